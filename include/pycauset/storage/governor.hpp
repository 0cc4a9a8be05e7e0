#pragma once
// The memory governor: a RAM budget, the accounting of every buffer, and the
// decision to create a new buffer in RAM or as a spill file on disk.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "pycauset/storage/buffer.hpp"
#include "pycauset/storage/disk.hpp"

namespace pycauset {

/// Snapshot of where pycauset's data lives.
struct MemoryInfo {
  std::size_t limit;         ///< the budget for RAM buffers, bytes
  std::size_t ram_in_use;    ///< bytes held by live RAM buffers
  std::size_t ram_cached;    ///< freed RAM kept for reuse (counts against the budget)
  std::size_t spill_in_use;  ///< bytes in live spill files
  std::size_t spill_files;   ///< number of live spill files
  std::string backing_dir;   ///< where spill directories are created
  std::string spill_dir;     ///< this process's spill directory ("" until the first spill)
  std::size_t disk_free;     ///< free space on the backing directory's file system (0 if unknown)
  std::size_t disk_reserve;  ///< of which spill files leave this much free
};

/// Default budget: half of physical memory or of the container's (cgroup)
/// limit (cgroup_memory_limit), whichever is smaller.
std::size_t default_memory_limit();
std::size_t memory_limit();
/// Sets the budget (bytes, > 0). Existing buffers stay where they are.
void set_memory_limit(std::size_t bytes);

/// Directory under which this process's spill directory is created. Default:
/// the system temporary directory ($TMPDIR or /tmp). Setting it takes effect
/// for spill files created afterwards; it must exist and be writable.
std::string backing_dir();
void set_backing_dir(const std::string& path);

/// The disk reserve: free space on a file system that spill files never use,
/// so that spilling cannot fill a disk other programs need. A spill file that
/// would leave less free raises MemoryError before the file is created.
/// Default rule, for a file system of `total` bytes: the larger of 1 GiB and
/// 5% of it, but at most half of it.
std::uint64_t default_disk_reserve(std::uint64_t total);
/// The reserve on a file system of `total` bytes: the setting, or the default rule.
std::uint64_t disk_reserve(std::uint64_t total);
/// The reserve on the file system holding `path` (the default rule needs its
/// size; 0 when that cannot be read).
std::uint64_t disk_reserve_at(const std::string& path);
/// Sets the reserve in bytes (0: spill files may fill the disk); a negative
/// value restores the default rule.
void set_disk_reserve(std::int64_t bytes);
/// The setting: bytes, or -1 for the default rule.
std::int64_t disk_reserve_setting();

MemoryInfo memory_info();

/// A new buffer of `size` bytes: in RAM when RAM use stays within the budget,
/// otherwise a spill file in this process's spill directory. Spill files are
/// always zero-filled; RAM buffers only when zero = true. A spill file's
/// blocks are reserved (fallocate) when it is created, so writing through its
/// mapping cannot run out of space; when the disk (less the reserve) cannot
/// hold it, MemoryError says how much was needed, where, and what is free.
std::shared_ptr<Buffer> allocate_buffer(std::size_t size, bool zero);
/// A zero-filled buffer of which only the `written` staircase (and the bytes
/// outside its rows) will ever be written, e.g. the upper triangle of a
/// bit matrix: in RAM as allocate_buffer(size, true) (pages never written
/// are never touched); a spill file gets disk blocks only for the written
/// part, the rest stays holes (disk.hpp, reserve_file_space).
std::shared_ptr<Buffer> allocate_buffer(std::size_t size, const Staircase& written);

/// Removes every spill directory this process created and the spill files
/// left in them (normal exit).
void remove_spill_dir();

/// Removes spill directories under `dir` whose owning process is gone (its
/// lock is free). Touches only pycauset-named directories and the files
/// pycauset creates in them. Returns how many directories it removed.
int remove_stale_spill_dirs(const std::string& dir);

// ---- The budget. Every router (in RAM or out of core?) and every tiled
// algorithm (how large may its tiles be?) asks these functions; no other
// code computes what the budget leaves.

/// RAM an operation may still take within the budget: the limit less what
/// live RAM buffers hold and what the reuse cache keeps (0, never negative,
/// when those already pass the limit).
std::size_t available_ram();

/// True when `bytes` more of RAM fit what the budget leaves
/// (bytes <= available_ram()). Routers call it with the RAM an in-RAM
/// computation would add (operands living in files, results, workspaces).
bool fits_in_budget(std::size_t bytes);

/// The RAM tiles may take now: releases the reuse cache (tiles about to be
/// allocated need that memory more), then `share` (0 < share <= 1) of
/// available_ram(). The rest of the free RAM is left for conversion staging,
/// pivots and the BLAS library's own buffers.
std::size_t ram_for_tiles(double share);

/// A governor-accounted RAM buffer of `bytes` (at least 1) for a tile: it
/// counts in ram_bytes_in_use() while alive and never spills. The reuse cache
/// is released first when the tile would not fit beside it. When the tile does
/// not fit the budget even then, it is still allocated (in RAM, past the
/// budget): tiled algorithms size their tiles from ram_for_tiles or
/// largest_fitting and pass a tiny budget only by their minimum tile size,
/// which is the documented way they degrade. MemoryError only when the system
/// refuses the memory. Contents are unspecified unless zero = true.
std::shared_ptr<RamBuffer> allocate_tile(std::size_t bytes, bool zero = false);

/// The largest width w in [lo, hi] whose working set bytes_of_width(w) is at
/// most share * ram_for_tiles(1) (the cache is released first), or lo when
/// none fits (also when hi < lo). bytes_of_width must be non-decreasing in w
/// and may return any arithmetic type (double avoids overflow for big w).
/// Example: panels of 4 double-precision n-row columns,
/// largest_fitting(32, n, [&](auto w) { return 4.0 * n * w * 8; }, 0.92).
template <class F>
std::int64_t largest_fitting(std::int64_t lo, std::int64_t hi, F&& bytes_of_width, double share) {
  if (hi <= lo) return lo;
  const double room = double(ram_for_tiles(share));
  auto fits = [&](std::int64_t w) { return double(bytes_of_width(w)) <= room; };
  if (!fits(lo)) return lo;
  if (fits(hi)) return hi;
  std::int64_t good = lo, bad = hi;  // fits(good), !fits(bad)
  while (bad - good > 1) {
    const std::int64_t mid = good + (bad - good) / 2;
    (fits(mid) ? good : bad) = mid;
  }
  return good;
}

// ---- What the system says about memory (the one probe of /proc and cgroups).

/// The container's memory limit (cgroup v2 memory.max, else v1
/// memory.limit_in_bytes), or 0 when there is none or it cannot be read.
std::size_t cgroup_memory_limit();

/// Bytes this process could still allocate from the system: MemAvailable of
/// /proc/meminfo, bounded by what the cgroup limit leaves (limit less current
/// usage). Empty when /proc/meminfo cannot be read.
std::optional<std::size_t> system_available_memory();

namespace detail {
void spill_created(std::size_t bytes);   ///< called by a spill buffer once it exists
void spill_released(std::size_t bytes);  ///< called by a spill buffer as it dies
}

}  // namespace pycauset
