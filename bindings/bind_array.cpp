// The Array handle. NumPy arrays arrive as nb::ndarray arguments and dtypes as
// the DType enum (numpy_args.hpp); this file only converts them to core types
// and back.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <complex>
#include <span>

#include "pycauset/array/array.hpp"
#include "pycauset/storage/mapped_file.hpp"
#include "numpy_args.hpp"

namespace nb = nanobind;
using namespace pycauset;
using index_t = Array::index_t;

namespace {

using bindings::IndexArray;
using bindings::NumpyIn;
using bindings::NumpyOut;
using bindings::scalar_from_python;
using bindings::scalar_to_python;
using bindings::strided_ref;

std::span<const index_t> index_span(const IndexArray& a) {
  return {a.data(), a.shape(0)};
}

nb::dlpack::dtype dlpack_dtype(DType d) {
  const auto& info = dtype_info(d);
  nb::dlpack::dtype_code code;
  switch (info.kind) {
    case DTypeKind::signed_int: code = nb::dlpack::dtype_code::Int; break;
    case DTypeKind::unsigned_int: code = nb::dlpack::dtype_code::UInt; break;
    case DTypeKind::floating: code = nb::dlpack::dtype_code::Float; break;
    case DTypeKind::complex: code = nb::dlpack::dtype_code::Complex; break;
    default: throw TypeError("bit arrays have no zero-copy NumPy layout");
  }
  return {uint8_t(code), uint8_t(info.bits), 1};
}

// What an exported view owns: a pin on the storage and a reference to the
// pycauset object, so neither can go away while NumPy holds the memory.
struct ViewOwner {
  BufferPin pin;
  nb::object owner;
};

nb::tuple shape_of(const Array& a) {
  return a.ndim() == 2 ? nb::make_tuple(a.shape(0), a.shape(1)) : nb::make_tuple(a.shape(0));
}

}  // namespace

void bind_array(nb::module_& m) {
  auto structure = nb::enum_<Structure>(m, "Structure");
  for (Structure s : kStructures) structure.value(std::string(structure_name(s)).c_str(), s);

  nb::class_<Array>(m, "Array")
      .def_static("empty", [](const std::vector<index_t>& shape, DType dtype, bool zero) {
        return Array::empty(shape, dtype, zero);
      }, nb::arg("shape"), nb::arg("dtype"), nb::arg("zero") = false,
         nb::call_guard<nb::gil_scoped_release>())
      .def_static("from_numpy", [](const NumpyIn& src, DType dtype) {
        StridedRef ref = strided_ref(src);
        nb::gil_scoped_release release;
        return Array::from_strided(ref, dtype, int(src.ndim()));
      }, nb::arg("src"), nb::arg("dtype"),
         "A new Array of `dtype` holding a converted copy of a 1-D or 2-D NumPy array.")
      .def_static("from_bytes", [](const NumpyIn& raw, const std::vector<index_t>& shape, DType dtype) {
        // The inverse of raw_view for a contiguous Array: `raw` (uint8, contiguous) holds
        // the elements row-major, bit rows padded to whole 64-bit words.
        if (raw.ndim() != 1 || raw.itemsize() != 1 || (raw.shape(0) > 1 && raw.stride(0) != 1))
          throw ValueError("from_bytes: need a contiguous 1-D array of bytes");
        if (shape.empty() || shape.size() > 2) throw ValueError("from_bytes: need 1 or 2 extents");
        StridedRef ref;
        ref.data = reinterpret_cast<std::byte*>(const_cast<void*>(static_cast<const void*>(raw.data())));
        ref.dtype = dtype;
        ref.rows = shape.size() == 2 ? shape[0] : 1;
        ref.cols = shape.back();
        const auto& info = dtype_info(dtype);
        const index_t row = dtype == DType::bit ? (ref.cols + 63) / 64 * 64 : ref.cols * index_t(info.bits);
        ref.s1 = dtype == DType::bit ? 1 : index_t(info.itemsize());
        ref.s0 = shape.size() == 2 ? (dtype == DType::bit ? row : row / 8) : 0;
        const index_t need = ref.rows == 0 || ref.cols == 0 ? 0
                             : dtype == DType::bit ? (ref.rows - 1) * row / 8 + (ref.cols + 7) / 8
                                                   : ref.rows * row / 8;
        if (index_t(raw.shape(0)) < need)
          throw ValueError("from_bytes: " + std::to_string(raw.shape(0)) + " bytes for a " +
                           std::string(dtype_name(dtype)) + " array that needs " + std::to_string(need));
        nb::gil_scoped_release release;
        return Array::from_strided(ref, dtype, int(shape.size()));
      }, nb::arg("raw"), nb::arg("shape"), nb::arg("dtype"),
         "A new Array from the row-major bytes of a contiguous one (bit rows padded to 64-bit words).")
      .def_prop_ro("ndim", &Array::ndim)
      // The token, not the enum: a str is cheaper to return, and element access reads it.
      .def_prop_ro("dtype", [](const Array& a) { return std::string(dtype_name(a.dtype())); },
                   "The pycauset token of the element type, e.g. 'complex_float64'.")
      .def_prop_ro("shape", &shape_of)
      .def_prop_ro("size", &Array::size)
      .def_prop_ro("nbytes", &Array::nbytes)
      .def_prop_ro("is_contiguous", &Array::is_contiguous)
      .def_prop_ro("writable", &Array::writable)
      .def_prop_ro("storage_kind", [](const Array& a) {
        switch (a.buffer()->kind()) {
          case StorageKind::ram: return "ram";
          case StorageKind::file: return "file";
          case StorageKind::spill: return "spill";
        }
        return "ram";
      })
      .def_prop_ro("storage_path", [](const Array& a) { return a.buffer()->path(); })
      .def_prop_ro("storage_nbytes", [](const Array& a) { return a.buffer()->size(); })
      .def_prop_ro("storage_address", [](const Array& a) { return std::uintptr_t(a.buffer()->data()); })
      .def_prop_ro("pins", [](const Array& a) { return a.buffer()->pins(); })
      .def("shares_storage", [](const Array& a, const Array& b) { return a.buffer() == b.buffer(); })
      .def_prop_ro("structure", &Array::structure)
      .def_prop_ro("structure_current", &Array::structure_current)
      .def("set_structure", &Array::set_structure, nb::arg("structure"))
      .def("claim_structure", &Array::claim_structure, nb::arg("structure"))
      .def("assume_structure", &Array::assume_structure, nb::arg("structure"))
      .def("transpose", &Array::transpose)
      .def("slice", &Array::slice, nb::arg("axis"), nb::arg("start"), nb::arg("step"), nb::arg("count"))
      .def("select", &Array::select, nb::arg("axis"), nb::arg("index"))
      .def("diagonal", &Array::diagonal)
      // Integer-array indexing: indices arrive as contiguous int64 NumPy arrays.
      .def("take", [](const Array& a, int axis, const IndexArray& index) {
        nb::gil_scoped_release release;
        return a.take(axis, index_span(index));
      }, nb::arg("axis"), nb::arg("index"))
      .def("put", [](Array& a, int axis, const IndexArray& index, const Array& src) {
        nb::gil_scoped_release release;
        a.put(axis, index_span(index), src);
      }, nb::arg("axis"), nb::arg("index"), nb::arg("src"))
      .def("reshape", [](const Array& a, const std::vector<index_t>& shape) {
        nb::gil_scoped_release release;
        return a.reshape(shape);
      }, nb::arg("shape"))
      .def("take_pairs", [](const Array& a, const IndexArray& rows, const IndexArray& cols) {
        if (rows.shape(0) != cols.shape(0)) throw ValueError("take_pairs: rows and cols differ in length");
        nb::gil_scoped_release release;
        return a.take_pairs(index_span(rows), index_span(cols));
      }, nb::arg("rows"), nb::arg("cols"))
      .def("put_pairs", [](Array& a, const IndexArray& rows, const IndexArray& cols, const Array& src) {
        if (rows.shape(0) != cols.shape(0)) throw ValueError("put_pairs: rows and cols differ in length");
        nb::gil_scoped_release release;
        a.put_pairs(index_span(rows), index_span(cols), src);
      }, nb::arg("rows"), nb::arg("cols"), nb::arg("src"))
      .def("broadcast_to", [](const Array& a, const std::vector<index_t>& shape) { return a.broadcast_to(shape); },
           nb::arg("shape"), "Read-only-use view repeated to `shape` (1 or 2 extents) by NumPy's broadcasting.")
      .def("copy", &Array::copy, nb::call_guard<nb::gil_scoped_release>())
      .def("astype", &Array::astype, nb::arg("dtype"), nb::call_guard<nb::gil_scoped_release>())
      .def("get", [](const Array& a, index_t i, index_t j) { return scalar_to_python(a.get(i, j)); },
           nb::arg("i"), nb::arg("j") = 0)
      .def("set", [](Array& a, index_t i, index_t j, nb::handle v) { a.set(i, j, scalar_from_python(v)); },
           nb::arg("i"), nb::arg("j"), nb::arg("value"))
      .def("fill", [](Array& a, nb::handle v) {
        Scalar s = scalar_from_python(v);
        nb::gil_scoped_release release;
        a.fill(s);
      }, nb::arg("value"))
      .def("assign_numpy", [](Array& a, const NumpyIn& src) {
        StridedRef ref = strided_ref(src);
        nb::gil_scoped_release release;
        a.assign(ref);
      }, nb::arg("src"), "Copies a NumPy array of this view's shape into it (casting).")
      .def("assign", [](Array& a, const Array& src) { a.assign(src.ref()); }, nb::arg("src"),
           nb::call_guard<nb::gil_scoped_release>())
      .def("export_to", [](const Array& a, const NumpyOut& out) {
        StridedRef ref = strided_ref(out);
        nb::gil_scoped_release release;
        convert(a.ref(), ref);
      }, nb::arg("out"), "Copies this view into a writeable NumPy array of the same shape (casting).")
      .def_static("export_block", [](std::size_t nbytes) {
        // Writeable memory for a copy export, owned by the returned array (through a
        // capsule that hands the mapping back to the reuse cache when NumPy frees it).
        std::unique_ptr<ExportBlock> block;
        {
          nb::gil_scoped_release release;
          block = ExportBlock::allocate(nbytes);
        }
        std::byte* data = block->data();
        std::size_t shape[1] = {nbytes};
        nb::capsule cap(block.get(), [](void* p) noexcept { delete static_cast<ExportBlock*>(p); });
        block.release();  // the capsule owns it now
        return nb::ndarray<nb::numpy, std::uint8_t>(data, 1, shape, cap);
      }, nb::arg("nbytes"),
         "Writeable uint8 NumPy array of nbytes, from the reuse cache of freed mappings when one fits.")
      .def("numpy_view", [](const Array& a, nb::object owner) {
        std::size_t shape[2];
        std::int64_t strides[2];
        for (int k = 0; k < a.ndim(); ++k) {
          shape[k] = std::size_t(a.shape(k));
          strides[k] = a.stride(k);
        }
        auto* keep = new ViewOwner{BufferPin(a.buffer()), std::move(owner)};
        nb::capsule cap(keep, [](void* p) noexcept { delete static_cast<ViewOwner*>(p); });
        return nb::ndarray<nb::numpy, nb::ro>(a.data(), std::size_t(a.ndim()), shape, cap, strides,
                                              dlpack_dtype(a.dtype()));
      }, nb::arg("owner"), "Read-only NumPy view of the storage; pins it while alive.")
      // Pickling (python/pycauset/_pickle.py): the view's geometry, the mode of
      // a loaded file, a view rebuilt from a recorded geometry, and the raw
      // bytes of a contiguous view as a read-only uint8 array.
      .def_prop_ro("strides", [](const Array& a) {
        return a.ndim() == 2 ? nb::make_tuple(a.stride(0), a.stride(1)) : nb::make_tuple(a.stride(0));
      })
      .def_prop_ro("offset", &Array::offset)
      .def_prop_ro("storage_mode", [](const Array& a) -> nb::object {
        auto* f = dynamic_cast<const MappedFileBuffer*>(a.buffer().get());
        if (f == nullptr) return nb::none();
        switch (f->mode()) {
          case MapMode::read_only: return nb::str("r");
          case MapMode::read_write: return nb::str("r+");
          case MapMode::copy_on_write: return nb::str("c");
        }
        return nb::none();
      })
      .def("as_strided", [](const Array& a, const std::vector<index_t>& shape,
                            const std::vector<index_t>& strides, index_t offset) {
        if (shape.size() != strides.size() || shape.empty() || shape.size() > 2)
          throw ValueError("as_strided: need 1 or 2 extents with matching strides");
        std::array<index_t, 2> sh{shape[0], shape.size() == 2 ? shape[1] : 0};
        std::array<index_t, 2> st{strides[0], strides.size() == 2 ? strides[1] : 0};
        return a.as_strided(int(shape.size()), sh, st, offset);
      }, nb::arg("shape"), nb::arg("strides"), nb::arg("offset"))
      .def("raw_view", [](const Array& a, nb::object owner, std::size_t nbytes) {
        if (a.dtype() == DType::bit && a.offset() % 8 != 0)
          throw ValueError("raw_view: a bit view must start on a byte boundary");
        const auto start = std::size_t(a.data() - a.buffer()->data());
        if (start > a.buffer()->size() || nbytes > a.buffer()->size() - start)
          throw ValueError("raw_view: " + std::to_string(nbytes) + " bytes leave the buffer");
        std::size_t shape[1] = {nbytes};
        auto* keep = new ViewOwner{BufferPin(a.buffer()), std::move(owner)};
        nb::capsule cap(keep, [](void* p) noexcept { delete static_cast<ViewOwner*>(p); });
        return nb::ndarray<nb::numpy, nb::ro, std::uint8_t>(a.data(), 1, shape, cap);
      }, nb::arg("owner"), nb::arg("nbytes"),
         "Read-only uint8 NumPy view of nbytes of storage from the first element; pins it while alive.");
}
