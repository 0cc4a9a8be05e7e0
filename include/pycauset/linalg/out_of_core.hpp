#pragma once
// Out-of-core linear algebra: matmul, inverse and solves for operands and
// results that do not fit the memory governor's budget. The in-RAM entry
// points (matmul.hpp, lapack.hpp) route here by themselves; users never call
// a different function.
//
// How they work: operands are moved in panels of whole rows (contiguous
// byte ranges of the row-major files) with pread/pwrite on one I/O thread,
// double-buffered so that BLAS computes on one panel while the next is read
// and the last finished one is written; panel sizes come from the RAM the
// budget leaves free, so the tiles and workspaces stay within it. Input pages
// are dropped from the page cache once read for the last time, output pages
// once written. Results are created through the governor (spill files past
// the budget). Long runs report through core/progress.hpp; an exception
// thrown there (Ctrl-C) abandons the run, frees its temporaries and leaves
// the inputs untouched. Routers decide with the governor's budget
// (storage/governor.hpp: fits_in_budget) and array/blocks.hpp's
// bytes_outside_ram; tiles come from allocate_tile, sized by largest_fitting.
//
// pycauset stores row-major; LAPACK is column-major. A row-major N x N matrix
// is the column-major G = A^T, whose column panels are the row panels of A,
// so the factorizations below work on G: inv(A) = inv(G)^T has exactly the
// bytes of inv(G) in column-major order.
#include <cstddef>

#include "pycauset/array/array.hpp"

namespace pycauset::linalg::ooc {

/// a @ b computed in `dtype` (float32, float64, complex64 or complex128) with
/// NumPy's rules for rank 1 and 2 operands (not 1-D @ 1-D). Inner dimensions
/// must agree (checked by the caller).
Array matmul(const Array& a, const Array& b, DType dtype);

/// Explicit inverse: left-looking blocked LU with partial pivoting, with U^-1
/// formed in the same pass, then X L = U^-1 solved panel by panel from the
/// right and the column interchanges applied as each panel is written.
/// LinAlgError "Singular matrix" for an exactly zero pivot.
Array inv(const Array& a, DType dtype);

/// Solution of a x = b (b rank 1 or n x k): blocked LU as for inv, then a
/// forward and a backward sweep over the factor panels for as many
/// right-hand sides at a time as the budget allows. Never forms the inverse.
Array solve(const Array& a, const Array& b, DType dtype);

/// Inverse of the upper (or lower) triangle of a, the other never read.
/// `overwrite`: the result is written into a itself (a must be contiguous,
/// writable and of `dtype`; the caller checks).
Array inv_triangular(const Array& a, DType dtype, bool lower, bool unit_diagonal, bool overwrite);

/// Solution of a x = b with a triangular.
Array solve_triangular(const Array& a, const Array& b, DType dtype, bool lower, bool unit_diagonal);

}  // namespace pycauset::linalg::ooc
