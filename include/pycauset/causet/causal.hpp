#pragma once
// Causal matrices of points in flat spacetime, built block by block straight
// into bit storage (RAM or a spill file chosen by the governor).
//
// The relation (docs/causets.md): x precedes y iff t_y > t_x and
// (t_y - t_x)^2 >= |y - x|^2, the spatial separation taken per axis of
// period L as min(|dx|, L - |dx|) (the minimum image). Every comparison is
// made in float64 in one fixed order without fused multiply-adds, so the
// bits are the same on every machine, instruction set and thread count.
#include <cstdint>
#include <span>
#include <vector>

#include "pycauset/array/array.hpp"

namespace pycauset::causet {

/// Coordinates of n points as one array per axis (axis 0 is time), sorted
/// by time, with the spatial periods (empty: no periodic axis; 0 marks a
/// non-periodic axis).
class PointSet {
 public:
  using index_t = Array::index_t;

  /// From an n x d array (any real dtype, any layout; converted to float64).
  /// ValueError when d < 2, a coordinate is not finite, the times are not
  /// sorted (non-decreasing), or `periods` is neither empty nor d - 1 values
  /// >= 0 (a periodic coordinate must lie in [0, L)).
  PointSet(const Array& coords, std::span<const double> periods);

  index_t size() const { return n_; }
  int dim() const { return d_; }

  /// Bits of rows [r0, r1) of the causal matrix, words [w0, w1) of each row
  /// (word w holds columns 64w..64w+63, column j as bit j % 64), into dst
  /// with `ld` words from one row to the next. Bits on and below the
  /// diagonal are 0. Thread-safe (reads only).
  void relation_words(index_t r0, index_t r1, index_t w0, index_t w1, std::uint64_t* dst, index_t ld) const;
  /// IndexError unless rows [r0, r1) and words [w0, w1) lie inside the causal matrix.
  void check_block(index_t r0, index_t r1, index_t w0, index_t w1) const;

 private:
  index_t n_ = 0;
  int d_ = 0;
  std::vector<double> axes_;     // d_ arrays of n_ values, padded to whole words
  std::vector<double> periods_;  // d_ - 1 values, 0 = not periodic
  bool periodic_ = false;
};

/// The n x n strictly upper-triangular causal matrix (bit) of `points`,
/// marked so (Structure::strictly_upper_triangular):
/// governor-placed (RAM, or a spill file past the budget, written by block
/// I/O with only the words on or right of each row block's diagonal word
/// written). Storage is reserved for the upper triangle only
/// (allocate_buffer with a Staircase): a spill file's lower half stays holes,
/// and in RAM its pages are never touched. The light-cone test is the per-ISA
/// kernel of kernels/lightcone.hpp. Multithreaded; reports progress ("causal
/// matrix") and honours interrupts (the partial result is freed).
Array causal_matrix(const PointSet& points);

}  // namespace pycauset::causet

namespace pycauset::causet {

/// The link matrix of a strictly upper-triangular, transitively closed bit
/// matrix C: L[i, j] = C[i, j] and no k with C[i, k] and C[k, j]. Row i is
/// found by walking C[i] in order and OR-ing the futures C[l] of the links l
/// found so far (a non-link j is always in the future of an earlier link), so
/// the cost is O(links * n / 64) words. Rows are processed from the last to
/// the first in parallel blocks. With check_transitive, also verifies that C
/// is transitive (ValueError naming a violating triple otherwise) at no extra
/// cost: for transitive later rows, C[i] must contain the futures of its links.
Array link_matrix(const Array& c, bool check_transitive = false);

/// Throws ValueError unless C is square, bit, strictly upper-triangular
/// (naming the first entry on or below the diagonal) and, when
/// `transitive`, transitively closed; then marks C strictly upper-triangular.
void check_causal_matrix(Array& c, bool transitive);

}  // namespace pycauset::causet

namespace pycauset::causet {

/// Interval abundances of a causal matrix C (strictly upper-triangular,
/// transitive): counts[k] = number of related pairs i < j whose open interval
/// {m : i < m < j} holds exactly k elements, for k = 0..kmax (counts[0] are
/// the links). For kmax < 16, row i walks its future in order with
/// saturating counters (kmax + 1 thermometer bit planes, kernels/intervals.hpp)
/// of how many elements met so far with an interval of at most kmax precede
/// each later element, adding only those elements' futures: O(N_0..N_kmax * n
/// / 64) words. Larger kmax (n - 2: the full histogram) count each pair's
/// interval by popcount(C[i] & column j of C), stopping once it passes kmax:
/// O(R * n / 64) words at worst. Multithreaded; reports progress and honours
/// interrupts; C may be a spill file (read through its mapping).
std::vector<std::int64_t> interval_abundances(const Array& c, std::int64_t kmax);

/// Length (number of elements) of a longest chain of C: 0 for an empty set.
/// Dynamic programming over the time order on the link matrix L
/// (height[i] = 1 + max height over i's links).
std::int64_t longest_chain(const Array& links);

}  // namespace pycauset::causet
