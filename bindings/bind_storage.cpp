// The memory governor, spill directories, and .pycauset files.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>

#include "pycauset/array/file_io.hpp"
#include "pycauset/storage/governor.hpp"
#include "numpy_args.hpp"

namespace nb = nanobind;
using namespace pycauset;

namespace {

// A .pycauset file being written whose payload other processes write
// (pycauset._dask): reserved under a temporary name by the FileWriter,
// published by commit(); discard() (or dropping it uncommitted) removes it.
struct PendingFile {
  std::unique_ptr<FileWriter> writer;
  FileWriter& get() {
    if (!writer) throw ValueError("this pending file was already committed or discarded");
    return *writer;
  }
};

MapMode parse_mode(const std::string& mode) {
  if (mode == "r") return MapMode::read_only;
  if (mode == "r+") return MapMode::read_write;
  if (mode == "c") return MapMode::copy_on_write;
  throw ValueError("mode must be 'r', 'r+' or 'c', got '" + mode + "'");
}

}  // namespace

void bind_storage(nb::module_& m) {
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

  m.def("save_array", [](const Array& a, const std::string& path, nb::bytes metadata,
                          const std::vector<Array>& sections) {
    std::string meta(metadata.c_str(), metadata.size());
    nb::gil_scoped_release release;
    save_array(a, path, meta, sections);
  }, nb::arg("array"), nb::arg("path"), nb::arg("metadata"), nb::arg("sections") = std::vector<Array>{});
  m.def("section_offsets", [](std::uint64_t metadata_end, const std::vector<std::uint64_t>& nbytes) {
    return section_offsets(metadata_end, nbytes);
  }, nb::arg("metadata_end"), nb::arg("nbytes"));
  m.def("load_file", [](const std::string& path, const std::string& mode) {
    MapMode mm = parse_mode(mode);
    LoadedFile f = [&] {
      nb::gil_scoped_release release;
      return load_file(path, mm);
    }();
    return nb::make_tuple(f.array, nb::bytes(f.metadata.data(), f.metadata.size()));
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
    d["structure"] = h.structure;
    d["metadata"] = nb::bytes(info.metadata.data(), info.metadata.size());
    return d;
  }, nb::arg("path"), "Validated header fields and metadata of a .pycauset file (payload not mapped).");

  m.def("convert_npy_to_pycauset", [](const std::string& src, std::uint64_t data_offset, DType dtype,
                                      bool byteswap, bool fortran_order, const std::vector<std::uint64_t>& shape,
                                      const std::string& dst, nb::bytes metadata, std::size_t chunk_bytes) {
    if (shape.size() != 1 && shape.size() != 2) throw ValueError("shape must have 1 or 2 entries");
    NpyLayout npy{dtype, byteswap, fortran_order, int(shape.size()), shape.size() == 1 ? 1 : shape[0],
                  shape.back(), data_offset};
    std::string meta(metadata.c_str(), metadata.size());
    nb::gil_scoped_release release;
    convert_npy_to_pycauset(src, npy, dst, meta, chunk_bytes);
  }, nb::arg("src"), nb::arg("data_offset"), nb::arg("dtype"), nb::arg("byteswap"), nb::arg("fortran_order"),
     nb::arg("shape"), nb::arg("dst"), nb::arg("metadata"), nb::arg("chunk_bytes"));
  m.def("convert_pycauset_to_npy", [](const std::string& src, const std::string& dst, nb::bytes npy_header,
                                      std::size_t chunk_bytes) {
    std::string head(npy_header.c_str(), npy_header.size());
    nb::gil_scoped_release release;
    convert_pycauset_to_npy(src, dst, head, chunk_bytes);
  }, nb::arg("src"), nb::arg("dst"), nb::arg("npy_header"), nb::arg("chunk_bytes"));
  nb::class_<PendingFile>(m, "PendingFile")
      .def("__init__", [](PendingFile* self, const std::string& path, DType dtype, int ndim, std::uint64_t rows,
                          std::uint64_t cols) {
        nb::gil_scoped_release release;
        new (self) PendingFile{std::make_unique<FileWriter>(path, dtype, ndim, rows, cols)};
      }, nb::arg("path"), nb::arg("dtype"), nb::arg("ndim"), nb::arg("rows"), nb::arg("cols"))
      .def_prop_ro("temp_path", [](PendingFile& f) { return f.get().temp_path(); })
      .def_prop_ro("payload_offset", [](PendingFile& f) { return f.get().header().payload_offset; })
      .def_prop_ro("row_stride", [](PendingFile& f) { return f.get().header().row_stride; })
      .def("commit", [](PendingFile& f, nb::bytes metadata, Structure structure) {
        std::string meta(metadata.c_str(), metadata.size());
        FileWriter& w = f.get();
        {
          nb::gil_scoped_release release;
          w.commit(meta, structure);
        }
        f.writer.reset();
      }, nb::arg("metadata"), nb::arg("structure"))
      .def("discard", [](PendingFile& f) { f.writer.reset(); });
  m.def("save_npy", [](const Array& a, const std::string& dst, nb::bytes npy_header, std::size_t chunk_bytes) {
    std::string head(npy_header.c_str(), npy_header.size());
    nb::gil_scoped_release release;
    save_npy(a, dst, head, chunk_bytes);
  }, nb::arg("array"), nb::arg("dst"), nb::arg("npy_header"), nb::arg("chunk_bytes"));
}
