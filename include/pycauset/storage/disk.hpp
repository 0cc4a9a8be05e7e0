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

/// The part of a file that will ever be written when only a staircase of
/// each row is: `rows` rows of `row_bytes` bytes from byte `offset`, of which
/// row r is written only from byte (r / rows_per_step) * step_bytes on (the
/// upper triangle of a row-major bit matrix: rows_per_step 64, step_bytes 8).
/// Bytes outside the rows are written as usual.
struct Staircase {
  std::uint64_t offset = 0;
  std::uint64_t rows = 0;
  std::uint64_t row_bytes = 0;
  std::uint64_t rows_per_step = 1;
  std::uint64_t step_bytes = 0;
  /// First written byte of row r, relative to the row's start (at most row_bytes).
  std::uint64_t skip(std::uint64_t r) const;
};

/// As above, for a file of `length` bytes of which only the parts `stairs`
/// says are written get blocks: the file is sized to `length`, the skipped
/// parts of the rows stay holes (they read as zero and take no disk where
/// they span whole file-system blocks), the rest is allocated. The free-space
/// check counts only the allocated bytes. Writes into a hole later (through
/// a mapping) are not covered by the reservation. On tmpfs and ramfs, where
/// reading a hole through a mapping allocates memory, the whole file is
/// reserved as above.
void reserve_file_space(int fd, const std::string& file, const std::string& target, std::uint64_t length,
                        const Staircase& stairs, SpaceUse use);

}  // namespace pycauset
