#include "pycauset/storage/buffer.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <iterator>
#include <mutex>
#include <new>
#include <optional>

#include "pycauset/core/error.hpp"

namespace pycauset {
namespace {

constexpr std::size_t kSlack = 8;                  // lets bit kernels read a whole word past the end
constexpr std::size_t kMmapThreshold = 1 << 20;    // below this, malloc is cheaper
constexpr std::size_t kHugePage = 2u << 20;
constexpr std::size_t kHugeThreshold = 4u << 20;   // as NumPy: huge pages from 4 MiB

std::atomic<std::size_t> g_ram_bytes{0};

// Freed large mappings are kept for reuse: their pages are already faulted in
// (and huge), so refilling one runs at copy speed instead of page-fault speed
// (~14 GB/s vs ~2.6-6.7 GB/s). glibc does the same for NumPy below 32 MiB.
// Bounded in total; zeroed allocations never take from it (fresh pages are free zeros).
class MappingCache {
 public:
  static constexpr std::size_t kCapacity = std::size_t(256) << 20;
  struct Mapping {
    void* ptr;
    std::size_t length;
  };

  // A cached mapping of at least `length` bytes, not wastefully larger.
  std::optional<Mapping> take(std::size_t length) {
    std::lock_guard lock(m_);
    // Most recently freed first: its lines are the likeliest to still be cached.
    for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
      if (it->length >= length && it->length - length <= length / 8) {
        Mapping found = *it;
        items_.erase(std::next(it).base());
        bytes_ -= found.length;
        return found;
      }
    }
    return std::nullopt;
  }

  // Keeps the mapping (evicting the oldest), or unmaps it if it cannot fit.
  void give(Mapping mapping) {
    if (mapping.length > kCapacity) {
      munmap(mapping.ptr, mapping.length);
      return;
    }
    std::lock_guard lock(m_);
    while (bytes_ + mapping.length > kCapacity && !items_.empty()) {
      munmap(items_.front().ptr, items_.front().length);
      bytes_ -= items_.front().length;
      items_.pop_front();
    }
    items_.push_back(mapping);
    bytes_ += mapping.length;
  }

  std::size_t bytes() {
    std::lock_guard lock(m_);
    return bytes_;
  }

  void clear() {
    std::lock_guard lock(m_);
    for (auto& m : items_) munmap(m.ptr, m.length);
    items_.clear();
    bytes_ = 0;
  }

 private:
  std::mutex m_;
  std::deque<Mapping> items_;
  std::size_t bytes_ = 0;
};

MappingCache& cache() {
  static MappingCache* c = new MappingCache;  // never destroyed: buffers may die during exit
  return *c;
}

[[noreturn]] void fail(std::size_t size) {
  throw MemoryError("could not allocate " + std::to_string(size) + " bytes of RAM");
}

// A large anonymous mapping of at least `need` bytes: a cached one when allowed
// and available, else a fresh one. Sets `length` (what to unmap or cache later)
// and `reused`.
std::byte* map_large(std::size_t need, bool may_reuse, std::size_t& length, bool& reused) {
  // Over-map by one huge page so the start can be 2 MiB aligned; the excess
  // head and tail are returned at once. Fresh anonymous pages read as zero.
  bool huge = need >= kHugeThreshold;
  std::size_t align = huge ? kHugePage : 4096;
  length = (need + align - 1) / align * align;
  if (may_reuse) {
    if (auto found = cache().take(length)) {
      length = found->length;
      reused = true;
      return static_cast<std::byte*>(found->ptr);
    }
  }
  reused = false;
  std::size_t mapped = length + (huge ? kHugePage : 0);
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto base = reinterpret_cast<std::uintptr_t>(p);
  auto start = (base + align - 1) / align * align;
  if (start > base) munmap(p, start - base);
  std::size_t tail = base + mapped - (start + length);
  if (tail) munmap(reinterpret_cast<void*>(start + length), tail);
#ifdef MADV_HUGEPAGE
  if (huge) madvise(reinterpret_cast<void*>(start), length, MADV_HUGEPAGE);
#endif
  return reinterpret_cast<std::byte*>(start);
}

}  // namespace

std::shared_ptr<RamBuffer> RamBuffer::allocate(std::size_t size, bool zero) {
  std::size_t need = size + kSlack;
  std::shared_ptr<RamBuffer> buf;
  if (need < kMmapThreshold) {
    void* p = std::aligned_alloc(64, (need + 63) / 64 * 64);
    if (!p) fail(size);
    if (zero) std::memset(p, 0, need);
    else std::memset(static_cast<char*>(p) + size, 0, kSlack);
    buf.reset(new RamBuffer(static_cast<std::byte*>(p), size, 0, false));
  } else {
    std::size_t length = 0;
    bool reused = false;
    std::byte* p = map_large(need, !zero, length, reused);
    if (!p) fail(size);
    if (reused) std::memset(p + size, 0, kSlack);  // fresh pages are zero already
    buf.reset(new RamBuffer(p, size, length, true));
  }
  g_ram_bytes.fetch_add(size);
  return buf;
}

RamBuffer::~RamBuffer() {
  g_ram_bytes.fetch_sub(size_);
  if (mmapped_) cache().give({data_, mapped_});
  else std::free(data_);
}

std::unique_ptr<ExportBlock> ExportBlock::allocate(std::size_t size) {
  std::size_t need = size == 0 ? 1 : size;
  if (need < kMmapThreshold) {
    void* p = std::aligned_alloc(64, (need + 63) / 64 * 64);
    if (!p) fail(size);
    return std::unique_ptr<ExportBlock>(new ExportBlock(static_cast<std::byte*>(p), size, 0, false, false));
  }
  std::size_t length = 0;
  bool reused = false;
  std::byte* p = map_large(need, true, length, reused);
  if (!p) fail(size);
  return std::unique_ptr<ExportBlock>(new ExportBlock(p, size, length, true, reused));
}

ExportBlock::~ExportBlock() {
  if (mmapped_) cache().give({data_, mapped_});
  else std::free(data_);
}

std::size_t ram_bytes_in_use() { return g_ram_bytes.load(); }

std::size_t ram_bytes_cached() { return cache().bytes(); }

void release_cached_ram() { cache().clear(); }

}  // namespace pycauset
