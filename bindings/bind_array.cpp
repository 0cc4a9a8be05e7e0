// The Array handle. Arguments arrive as plain Python values (raw addresses and
// byte strides of NumPy arrays the Python layer keeps alive); this file only
// converts them to core types and back.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <complex>
#include <span>

#include "pycauset/array/array.hpp"
#include "pycauset/storage/mapped_file.hpp"

namespace nb = nanobind;
using namespace pycauset;
using index_t = Array::index_t;

namespace {

DType parse_dtype(const std::string& name) {
  if (auto d = dtype_from_name(name)) return *d;
  throw TypeError("unknown dtype '" + name + "'");
}

// A NumPy array described by address, dtype token, shape and byte strides.
StridedRef numpy_ref(std::uintptr_t address, const std::string& dtype,
                     const std::vector<index_t>& shape, const std::vector<index_t>& strides) {
  if (shape.size() != strides.size() || shape.empty() || shape.size() > 2)
    throw ValueError("numpy_ref: need 1 or 2 extents with matching strides");
  StridedRef r;
  r.data = reinterpret_cast<std::byte*>(address);
  r.dtype = parse_dtype(dtype);
  if (shape.size() == 2) {
    r.rows = shape[0], r.cols = shape[1], r.s0 = strides[0], r.s1 = strides[1];
  } else {
    r.rows = 1, r.cols = shape[0], r.s0 = 0, r.s1 = strides[0];
  }
  return r;
}

std::span<const index_t> index_span(std::uintptr_t address, std::size_t count) {
  return {reinterpret_cast<const index_t*>(address), count};
}

}  // namespace

// Shared with bind_ops.cpp: a Python bool/int/float/complex as a core Scalar.
Scalar scalar_from_python(nb::handle v) {
  if (PyBool_Check(v.ptr())) return Scalar::of_bool(v.ptr() == Py_True);
  if (PyLong_Check(v.ptr())) {
    int overflow = 0;
    long long i = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
    if (!overflow) return Scalar::of_int(i);
    if (overflow > 0) {
      unsigned long long u = PyLong_AsUnsignedLongLong(v.ptr());
      if (!PyErr_Occurred()) return Scalar::of_uint(u);
      PyErr_Clear();
    }
    throw OverflowError("Python integer " + nb::cast<std::string>(nb::str(v)) +
                        " is out of bounds for every pycauset integer dtype");
  }
  if (PyFloat_Check(v.ptr())) return Scalar::of_float(PyFloat_AsDouble(v.ptr()));
  if (PyComplex_Check(v.ptr()))
    return Scalar::of_complex({PyComplex_RealAsDouble(v.ptr()), PyComplex_ImagAsDouble(v.ptr())});
  throw TypeError("expected a bool, int, float or complex value, got " +
                  nb::cast<std::string>(nb::str(v.type())));
}

namespace {

Scalar to_scalar(nb::handle v) { return scalar_from_python(v); }

nb::object from_scalar(const Scalar& s) {
  switch (s.kind) {
    case Scalar::Kind::boolean: return nb::bool_(s.i != 0);
    case Scalar::Kind::signed_int: return nb::int_(s.i);
    case Scalar::Kind::unsigned_int: return nb::steal(PyLong_FromUnsignedLongLong(s.u));
    case Scalar::Kind::floating: return nb::float_(s.c.real());
    case Scalar::Kind::complex: return nb::steal(PyComplex_FromDoubles(s.c.real(), s.c.imag()));
  }
  return nb::none();
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
      .def_static("empty", [](const std::vector<index_t>& shape, const std::string& dtype, bool zero) {
        return Array::empty(shape, parse_dtype(dtype), zero);
      }, nb::arg("shape"), nb::arg("dtype"), nb::arg("zero") = false,
         nb::call_guard<nb::gil_scoped_release>())
      .def_static("from_numpy", [](std::uintptr_t address, const std::string& src_dtype,
                                   const std::vector<index_t>& shape, const std::vector<index_t>& strides,
                                   const std::string& dtype) {
        StridedRef src = numpy_ref(address, src_dtype, shape, strides);
        return Array::from_strided(src, parse_dtype(dtype), int(shape.size()));
      }, nb::arg("address"), nb::arg("src_dtype"), nb::arg("shape"), nb::arg("strides"), nb::arg("dtype"),
         nb::call_guard<nb::gil_scoped_release>())
      .def_prop_ro("ndim", &Array::ndim)
      .def_prop_ro("dtype", [](const Array& a) { return std::string(dtype_name(a.dtype())); })
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
      .def("transpose", &Array::transpose)
      .def("slice", &Array::slice, nb::arg("axis"), nb::arg("start"), nb::arg("step"), nb::arg("count"))
      .def("select", &Array::select, nb::arg("axis"), nb::arg("index"))
      .def("diagonal", &Array::diagonal)
      // Integer-array indexing: indices arrive as the address and length of a
      // contiguous int64 NumPy array the caller keeps alive.
      .def("take", [](const Array& a, int axis, std::uintptr_t address, std::size_t count) {
        nb::gil_scoped_release release;
        return a.take(axis, index_span(address, count));
      }, nb::arg("axis"), nb::arg("address"), nb::arg("count"))
      .def("put", [](Array& a, int axis, std::uintptr_t address, std::size_t count, const Array& src) {
        nb::gil_scoped_release release;
        a.put(axis, index_span(address, count), src);
      }, nb::arg("axis"), nb::arg("address"), nb::arg("count"), nb::arg("src"))
      .def("reshape", [](const Array& a, const std::vector<index_t>& shape) {
        nb::gil_scoped_release release;
        return a.reshape(shape);
      }, nb::arg("shape"))
      .def("take_pairs", [](const Array& a, std::uintptr_t rows, std::uintptr_t cols, std::size_t count) {
        nb::gil_scoped_release release;
        return a.take_pairs(index_span(rows, count), index_span(cols, count));
      }, nb::arg("rows"), nb::arg("cols"), nb::arg("count"))
      .def("put_pairs", [](Array& a, std::uintptr_t rows, std::uintptr_t cols, std::size_t count,
                           const Array& src) {
        nb::gil_scoped_release release;
        a.put_pairs(index_span(rows, count), index_span(cols, count), src);
      }, nb::arg("rows"), nb::arg("cols"), nb::arg("count"), nb::arg("src"))
      .def("broadcast_to", &Array::broadcast_to, nb::arg("rows"), nb::arg("cols"))
      .def("copy", &Array::copy, nb::call_guard<nb::gil_scoped_release>())
      .def("astype", [](const Array& a, const std::string& dtype) {
        DType d = parse_dtype(dtype);
        nb::gil_scoped_release release;
        return a.astype(d);
      }, nb::arg("dtype"))
      .def("get", [](const Array& a, index_t i, index_t j) { return from_scalar(a.get(i, j)); },
           nb::arg("i"), nb::arg("j") = 0)
      .def("set", [](Array& a, index_t i, index_t j, nb::handle v) { a.set(i, j, to_scalar(v)); },
           nb::arg("i"), nb::arg("j"), nb::arg("value"))
      .def("fill", [](Array& a, nb::handle v) {
        Scalar s = to_scalar(v);
        nb::gil_scoped_release release;
        a.fill(s);
      }, nb::arg("value"))
      .def("assign_numpy", [](Array& a, std::uintptr_t address, const std::string& src_dtype,
                              const std::vector<index_t>& shape, const std::vector<index_t>& strides) {
        a.assign(numpy_ref(address, src_dtype, shape, strides));
      }, nb::arg("address"), nb::arg("src_dtype"), nb::arg("shape"), nb::arg("strides"),
         nb::call_guard<nb::gil_scoped_release>())
      .def("assign", [](Array& a, const Array& src) { a.assign(src.ref()); }, nb::arg("src"),
           nb::call_guard<nb::gil_scoped_release>())
      .def("export_into", [](const Array& a, std::uintptr_t address, const std::string& dst_dtype,
                             const std::vector<index_t>& shape, const std::vector<index_t>& strides) {
        convert(a.ref(), numpy_ref(address, dst_dtype, shape, strides));
      }, nb::arg("address"), nb::arg("dst_dtype"), nb::arg("shape"), nb::arg("strides"),
         nb::call_guard<nb::gil_scoped_release>())
      .def("export_to", [](const Array& a, nb::ndarray<nb::numpy, nb::device::cpu> out,
                           const std::string& dst_dtype) {
        // As export_into, with the address, shape and strides read from the array itself
        // (ndarray.ctypes.data alone costs ~10 us a call).
        const std::size_t nd = out.ndim();
        if (nd < 1 || nd > 2) throw ValueError("export_to: need a 1-D or 2-D array");
        const auto item = index_t(out.itemsize());
        std::vector<index_t> shape(nd), strides(nd);
        for (std::size_t k = 0; k < nd; ++k) {
          shape[k] = index_t(out.shape(k));
          strides[k] = index_t(out.stride(k)) * item;
        }
        convert(a.ref(), numpy_ref(reinterpret_cast<std::uintptr_t>(out.data()), dst_dtype, shape, strides));
      }, nb::arg("out"), nb::arg("dst_dtype"), nb::call_guard<nb::gil_scoped_release>())
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
