// Errors, dtypes, the thread pool and BLAS facts.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <nanobind/stl/tuple.h>

#include "pycauset/core/dtype.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/core/progress.hpp"
#include "pycauset/core/threads.hpp"
#include "pycauset/kernels/convert.hpp"
#include "pycauset/linalg/blas.hpp"
#include "pycauset/storage/buffer.hpp"
#include "pycauset/storage/format.hpp"

namespace nb = nanobind;
using namespace pycauset;

namespace {
PyObject* g_format_error = nullptr;   // pycauset.FormatError, created below
PyObject* g_linalg_error = nullptr;   // pycauset.linalg.LinAlgError
}

void bind_core(nb::module_& m) {
  g_format_error = PyErr_NewExceptionWithDoc(
      "pycauset.FormatError",
      "A file is not a valid .pycauset file: truncated, foreign, corrupt or of an unsupported "
      "version. The message names the file and what is wrong. Subclasses ValueError.",
      PyExc_ValueError, nullptr);
  m.attr("FormatError") = nb::handle(g_format_error);
  nb::object numpy_linalg_error = nb::module_::import_("numpy.linalg").attr("LinAlgError");
  g_linalg_error = PyErr_NewExceptionWithDoc(
      "pycauset.linalg.LinAlgError",
      "A linear-algebra routine failed (singular matrix, no convergence, not positive definite). "
      "Subclasses numpy.linalg.LinAlgError, so code catching NumPy's error also catches it.",
      numpy_linalg_error.ptr(), nullptr);
  m.attr("LinAlgError") = nb::handle(g_linalg_error);

  // Long operations report to pycauset._progress.report, which draws the bar.
  // A Ctrl-C pending in Python is raised here, inside the operation, which
  // then unwinds (releasing its temporaries) and re-raises it to the caller.
  set_progress_callback([](const std::string& what, double fraction) {
    nb::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw nb::python_error();
    nb::module_::import_("pycauset._progress").attr("report")(what, fraction);
  });

  // Monolithic LAPACK calls run on a worker while the calling thread polls
  // this; a pending Ctrl-C is raised at once (linalg/background.hpp).
  set_interrupt_check([] {
    nb::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw nb::python_error();
  });

  // The one place core exceptions become Python exceptions.
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const FormatError& e) {
      PyErr_SetString(g_format_error, e.what());
    } catch (const LinAlgError& e) {
      PyErr_SetString(g_linalg_error, e.what());
    } catch (const TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const OverflowError& e) {
      PyErr_SetString(PyExc_OverflowError, e.what());
    } catch (const MemoryError& e) {
      PyErr_SetString(PyExc_MemoryError, e.what());
    } catch (const OsError& e) {
      // OSError(errno, text, filename) constructs the errno's subclass (FileNotFoundError, ...).
      nb::object err = nb::handle(PyExc_OSError)(e.code, e.what(), e.filename);
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(err.ptr())), err.ptr());
    } catch (const ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  // The one binding of the element types: every binding that takes or gives a
  // dtype uses this enum (values are the file-format codes of core/dtype.hpp).
  nb::enum_<DType>(m, "DType", "Element type of a core Array (the codes the file format stores).")
      .value("bit", DType::bit)
      .value("int8", DType::int8)
      .value("int16", DType::int16)
      .value("int32", DType::int32)
      .value("int64", DType::int64)
      .value("uint8", DType::uint8)
      .value("uint16", DType::uint16)
      .value("uint32", DType::uint32)
      .value("uint64", DType::uint64)
      .value("float16", DType::float16)
      .value("float32", DType::float32)
      .value("float64", DType::float64)
      .value("complex64", DType::complex64)
      .value("complex128", DType::complex128);

  m.def("dtypes", [] {
    std::vector<std::tuple<DType, std::string, std::string, int>> out;
    for (const auto& d : all_dtypes())
      out.emplace_back(d.id, std::string(d.name), std::string(1, char(d.kind)), int(d.bits));
    return out;
  }, "(DType, pycauset token, kind letter, bits) of every dtype, in code order.");
  m.def("real_dtype", &real_dtype, nb::arg("dtype"),
        "The real dtype of a complex dtype (complex64 -> float32); other dtypes map to themselves.");

  m.def("num_threads", &num_threads);
  m.def("set_num_threads", &set_num_threads, nb::arg("n"), nb::call_guard<nb::gil_scoped_release>());
  m.def("blas_num_threads", &blas::num_threads);
  m.def("blas_set_num_threads", &blas::set_num_threads, nb::arg("n"));
  m.def("blas_config", &blas::config);
  m.def("blas_ddot", [](std::uintptr_t x, std::uintptr_t y, std::int64_t n) {
    return blas::dot(n, reinterpret_cast<const double*>(x), 1, reinterpret_cast<const double*>(y), 1);
  }, nb::arg("x_address"), nb::arg("y_address"), nb::arg("n"), nb::call_guard<nb::gil_scoped_release>(),
     "BLAS ddot over two contiguous float64 buffers (proof of the BLAS link).");
  m.def("kernel_isa", &kernel_isa, "Instruction set of the conversion kernels in use.");
  m.def("ram_bytes_in_use", &ram_bytes_in_use);
  m.def("ram_bytes_cached", &ram_bytes_cached);
  m.def("release_cached_ram", &release_cached_ram);
}
