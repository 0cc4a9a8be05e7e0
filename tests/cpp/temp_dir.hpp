#pragma once
// A fresh directory under the system temporary directory, removed with its
// contents when the object dies. Shared by the C++ tests that make files.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace pycauset::test_support {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("pycauset-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string str() const { return path.string(); }
};

}  // namespace pycauset::test_support
