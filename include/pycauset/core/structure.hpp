#pragma once
// Structure: what a matrix's values are known to satisfy (triangular,
// symmetric, ...). The one list of structures, their names, their codes in the
// .pycauset header and their algebra (transpose, product). An Array carries
// one (array/array.hpp), checked against its values when set and kept true
// through writes; algorithms route on it.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pycauset {

/// The structure of a matrix. The value of each enumerator is its code in the
/// `.pycauset` header (docs/format.md); new structures take new codes.
enum class Structure : std::uint8_t {
  dense = 0,                      ///< nothing known
  upper_triangular = 1,           ///< A[i, j] == 0 for i > j
  lower_triangular = 2,           ///< A[i, j] == 0 for i < j
  symmetric = 3,                  ///< square, A[i, j] == A[j, i]
  diagonal = 4,                   ///< A[i, j] == 0 for i != j
  strictly_upper_triangular = 5,  ///< A[i, j] == 0 for i >= j
  strictly_lower_triangular = 6,  ///< A[i, j] == 0 for i <= j
  antisymmetric = 7,              ///< square, A[i, j] == -A[j, i] (zero diagonal)
};

/// Every structure, in code order.
inline constexpr std::array<Structure, 8> kStructures{
    Structure::dense,         Structure::upper_triangular,          Structure::lower_triangular,
    Structure::symmetric,     Structure::diagonal,                  Structure::strictly_upper_triangular,
    Structure::strictly_lower_triangular, Structure::antisymmetric};

/// The name the Python API shows ("upper_triangular", ...).
constexpr std::string_view structure_name(Structure s) {
  switch (s) {
    case Structure::dense: return "dense";
    case Structure::upper_triangular: return "upper_triangular";
    case Structure::lower_triangular: return "lower_triangular";
    case Structure::symmetric: return "symmetric";
    case Structure::diagonal: return "diagonal";
    case Structure::strictly_upper_triangular: return "strictly_upper_triangular";
    case Structure::strictly_lower_triangular: return "strictly_lower_triangular";
    case Structure::antisymmetric: return "antisymmetric";
  }
  return "dense";
}

/// The structure of this name, or nullopt.
constexpr std::optional<Structure> structure_from_name(std::string_view name) {
  for (Structure s : kStructures)
    if (structure_name(s) == name) return s;
  return std::nullopt;
}

/// The structure of this header code, or nullopt for an unknown code.
constexpr std::optional<Structure> structure_from_code(std::uint8_t code) {
  if (code < kStructures.size()) return kStructures[code];
  return std::nullopt;
}

/// "'dense', 'upper_triangular', ..." for error messages.
inline std::string structure_names() {
  std::string out;
  for (Structure s : kStructures) {
    if (!out.empty()) out += ", ";
    out += "'" + std::string(structure_name(s)) + "'";
  }
  return out;
}

/// Every element below the diagonal is zero (upper, strictly upper, diagonal).
constexpr bool is_upper(Structure s) {
  return s == Structure::upper_triangular || s == Structure::strictly_upper_triangular ||
         s == Structure::diagonal;
}
/// Every element above the diagonal is zero (lower, strictly lower, diagonal).
constexpr bool is_lower(Structure s) {
  return s == Structure::lower_triangular || s == Structure::strictly_lower_triangular ||
         s == Structure::diagonal;
}
/// The diagonal is zero too (strictly triangular).
constexpr bool is_strict(Structure s) {
  return s == Structure::strictly_upper_triangular || s == Structure::strictly_lower_triangular;
}

/// The structure of the transpose: upper and lower swap, the others stay.
constexpr Structure transposed(Structure s) {
  switch (s) {
    case Structure::upper_triangular: return Structure::lower_triangular;
    case Structure::lower_triangular: return Structure::upper_triangular;
    case Structure::strictly_upper_triangular: return Structure::strictly_lower_triangular;
    case Structure::strictly_lower_triangular: return Structure::strictly_upper_triangular;
    default: return s;
  }
}

/// The structure of a @ b in exact arithmetic (any shapes): upper @ upper is
/// upper, strictly upper if either factor is, diagonal if both are; lower
/// likewise; anything else is dense.
constexpr Structure product_structure(Structure a, Structure b) {
  if (a == Structure::diagonal && b == Structure::diagonal) return Structure::diagonal;
  if (is_upper(a) && is_upper(b))
    return is_strict(a) || is_strict(b) ? Structure::strictly_upper_triangular : Structure::upper_triangular;
  if (is_lower(a) && is_lower(b))
    return is_strict(a) || is_strict(b) ? Structure::strictly_lower_triangular : Structure::lower_triangular;
  return Structure::dense;
}

}  // namespace pycauset
