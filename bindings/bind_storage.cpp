// The memory governor, spill directories, and .pycauset files.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "pycauset/array/file_io.hpp"
#include "pycauset/storage/governor.hpp"

namespace nb = nanobind;
using namespace pycauset;

namespace {

MapMode parse_mode(const std::string& mode) {
  if (mode == "r") return MapMode::read_only;
  if (mode == "r+") return MapMode::read_write;
  if (mode == "c") return MapMode::copy_on_write;
  throw ValueError("mode must be 'r', 'r+' or 'c', got '" + mode + "'");
}

StridedRef numpy_block(std::uintptr_t address, const std::string& dtype, const std::vector<std::int64_t>& shape,
                       const std::vector<std::int64_t>& strides) {
  auto d = dtype_from_name(dtype);
  if (!d) throw TypeError("unknown dtype '" + dtype + "'");
  if (shape.size() != 2 || strides.size() != 2) throw ValueError("blocks are 2-D");
  return {reinterpret_cast<std::byte*>(address), *d, shape[0], shape[1], strides[0], strides[1], 0};
}

}  // namespace

void bind_storage(nb::module_& m) {
  nb::class_<AtomicFile>(m, "AtomicFile")
      .def(nb::init<std::string>(), nb::arg("path"))
      .def("write", [](AtomicFile& f, std::uintptr_t address, std::size_t n, std::uint64_t offset) {
        f.write(reinterpret_cast<const std::byte*>(address), n, offset);
      }, nb::arg("address"), nb::arg("nbytes"), nb::arg("offset"), nb::call_guard<nb::gil_scoped_release>())
      .def("write_bytes", [](AtomicFile& f, nb::bytes data, std::uint64_t offset) {
        f.write(reinterpret_cast<const std::byte*>(data.c_str()), data.size(), offset);
      }, nb::arg("data"), nb::arg("offset"))
      .def("commit", &AtomicFile::commit, nb::call_guard<nb::gil_scoped_release>())
      .def_static("direct_placement", &AtomicFile::direct_placement, nb::arg("address"),
                  nb::arg("file_offset"))
      .def("reserve", &AtomicFile::reserve, nb::arg("nbytes"), nb::call_guard<nb::gil_scoped_release>())
      .def_ro_static("direct_alignment", &AtomicFile::kDirectAlignment)
      .def_prop_ro("temp_path", &AtomicFile::temp_path);

  m.def("memory_limit", &memory_limit);
  m.def("default_memory_limit", &default_memory_limit);
  m.def("set_memory_limit", &set_memory_limit, nb::arg("bytes"));
  m.def("backing_dir", &backing_dir);
  m.def("set_backing_dir", &set_backing_dir, nb::arg("path"));
  m.def("set_disk_reserve", &set_disk_reserve, nb::arg("bytes"));
  m.def("disk_reserve_setting", &disk_reserve_setting);
  m.def("default_disk_reserve", &default_disk_reserve, nb::arg("total"));
  m.def("disk_reserve_at", &disk_reserve_at, nb::arg("path"));
  m.def("available_ram", &available_ram);
  m.def("cgroup_memory_limit", &cgroup_memory_limit);
  m.def("system_available_memory", &system_available_memory);
  m.def("memory_info", [] {
    MemoryInfo i = memory_info();
    nb::dict d;
    d["limit"] = i.limit;
    d["ram_in_use"] = i.ram_in_use;
    d["ram_cached"] = i.ram_cached;
    d["spill_in_use"] = i.spill_in_use;
    d["spill_files"] = i.spill_files;
    d["backing_dir"] = i.backing_dir;
    d["spill_dir"] = i.spill_dir.empty() ? nb::none() : nb::cast(i.spill_dir);
    d["disk_free"] = i.disk_free;
    d["disk_reserve"] = i.disk_reserve;
    return d;
  });
  m.def("remove_spill_dir", &remove_spill_dir);
  m.def("remove_stale_spill_dirs", &remove_stale_spill_dirs, nb::arg("dir"));

  m.def("save_array", [](const Array& a, const std::string& path, nb::bytes metadata, std::uint8_t structure) {
    std::string meta(metadata.c_str(), metadata.size());
    nb::gil_scoped_release release;
    save_array(a, path, meta, structure);
  }, nb::arg("array"), nb::arg("path"), nb::arg("metadata"), nb::arg("structure"));
  m.def("load_file", [](const std::string& path, const std::string& mode) {
    MapMode mm = parse_mode(mode);
    LoadedFile f = [&] {
      nb::gil_scoped_release release;
      return load_file(path, mm);
    }();
    return nb::make_tuple(f.array, nb::bytes(f.metadata.data(), f.metadata.size()), f.structure);
  }, nb::arg("path"), nb::arg("mode"));

  m.def("file_info", [](const std::string& path) {
    FileInfo info = [&] {
      nb::gil_scoped_release release;
      return read_file_info(path);
    }();
    const format::Header& h = info.header;
    nb::dict d;
    d["dtype"] = std::string(dtype_name(h.dtype));
    d["ndim"] = int(h.ndim);
    d["rows"] = h.rows;
    d["cols"] = h.cols;
    d["row_stride"] = h.row_stride;
    d["payload_offset"] = h.payload_offset;
    d["structure"] = int(h.structure);
    d["metadata"] = nb::bytes(info.metadata.data(), info.metadata.size());
    return d;
  }, nb::arg("path"), "Validated header fields and metadata of a .pycauset file (payload not mapped).");

  nb::class_<FileWriter>(m, "FileWriter")
      .def_static("create", [](const std::string& path, const std::string& dtype, int ndim, std::uint64_t rows,
                               std::uint64_t cols) {
        auto d = dtype_from_name(dtype);
        if (!d) throw TypeError("unknown dtype '" + dtype + "'");
        return new FileWriter(path, *d, ndim, rows, cols);
      }, nb::arg("path"), nb::arg("dtype"), nb::arg("ndim"), nb::arg("rows"), nb::arg("cols"))
      .def("write_numpy", [](FileWriter& w, std::uintptr_t address, const std::string& dtype,
                             const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>& strides,
                             std::uint64_t row0, std::uint64_t col0) {
        w.write_block(numpy_block(address, dtype, shape, strides), row0, col0);
      }, nb::arg("address"), nb::arg("dtype"), nb::arg("shape"), nb::arg("strides"), nb::arg("row0"),
         nb::arg("col0"), nb::call_guard<nb::gil_scoped_release>())
      .def("write_array", &FileWriter::write_array, nb::arg("array"), nb::call_guard<nb::gil_scoped_release>())
      .def("commit", [](FileWriter& w, nb::bytes metadata, std::uint8_t structure) {
        std::string meta(metadata.c_str(), metadata.size());
        nb::gil_scoped_release release;
        w.commit(meta, structure);
      }, nb::arg("metadata"), nb::arg("structure"));
}
