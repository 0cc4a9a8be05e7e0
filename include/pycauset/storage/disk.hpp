#pragma once
// Disk space: what a file system has free, and reserving a file's blocks
// before it is written or mapped, so that running out of space is an error
// raised up front instead of a failed write halfway (or a SIGBUS through a mapping).
#include <cstdint>
#include <string>

namespace pycauset {

/// Size of the file system holding `path` and the space unprivileged writers
/// may still use there (statvfs f_blocks and f_bavail, in bytes).
struct DiskSpace {
  std::uint64_t total = 0;
  std::uint64_t free = 0;
};
/// False when the file system cannot be asked (then `out` is untouched).
bool disk_space(const std::string& path, DiskSpace& out);

/// The directory part of a path ("." for a bare name, "/" for a file in the root).
std::string dir_of(const std::string& path);

/// "68.7 MiB": a byte count for messages.
std::string format_bytes(std::uint64_t bytes);

/// Who is asking for the space; it decides the rule and the error.
enum class SpaceUse {
  /// A spill file: keeps the governor's disk reserve free (disk_reserve) and
  /// raises MemoryError when it does not fit.
  spill,
  /// A file the user asked for (save, convert_file): may use the disk to the
  /// end and raises OsError(ENOSPC) naming `target` when it does not fit.
  file,
};

/// Reserves bytes [0, length) of the open file `fd` (named `file`; `target`
/// is the name used in messages) before anything is written to it: checks the
/// free space of its file system (and, for spill files, the reserve), then
/// allocates the blocks with fallocate(2), which also sets the file's size to
/// at least `length`. Writes and page faults inside the reserved range can
/// then not fail for lack of space. On file systems without fallocate (some
/// network and FUSE file systems) only the free-space check is made, and a
/// spill file is sized sparse with ftruncate. Raises before writing anything.
void reserve_file_space(int fd, const std::string& file, const std::string& target, std::uint64_t length,
                        SpaceUse use);

}  // namespace pycauset
