#pragma once
// Directories for the C++ tests that make files: a fresh temporary directory
// (TempDir) and a small tmpfs of its own (Tmpfs), both removed when they die.
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
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

/// A tmpfs of `bytes` mounted on a fresh TempDir, for tests that need a file
/// system whose free space they control; `ok` is false, with the reason in
/// `why`, where mounting is not permitted.
struct Tmpfs {
  TempDir dir;
  bool ok = false;
  std::string why;
  explicit Tmpfs(std::size_t bytes) {
    const std::string opts = "size=" + std::to_string(bytes) + ",mode=0700";
    ok = ::mount("tmpfs", dir.path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) == 0;
    if (!ok) why = std::strerror(errno);
  }
  ~Tmpfs() {
    if (ok) ::umount2(dir.path.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  std::string str() const { return dir.str(); }
};

}  // namespace pycauset::test_support
