#include "pycauset/storage/buffer.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "pycauset/core/error.hpp"

namespace pycauset {
namespace {

constexpr std::size_t kSlack = 8;                  // lets bit kernels read a whole word past the end
constexpr std::size_t kMmapThreshold = 1 << 20;    // below this, malloc is cheaper
constexpr std::size_t kHugePage = 2u << 20;
constexpr std::size_t kHugeThreshold = 4u << 20;   // as NumPy: huge pages from 4 MiB

std::atomic<std::size_t> g_ram_bytes{0};

[[noreturn]] void fail(std::size_t size) {
  throw MemoryError("could not allocate " + std::to_string(size) + " bytes of RAM");
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
    // Over-map by one huge page so the start can be 2 MiB aligned; the excess
    // head and tail are returned at once. Fresh anonymous pages read as zero.
    bool huge = need >= kHugeThreshold;
    std::size_t align = huge ? kHugePage : 4096;
    std::size_t length = (need + align - 1) / align * align;
    std::size_t mapped = length + (huge ? kHugePage : 0);
    void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) fail(size);
    auto base = reinterpret_cast<std::uintptr_t>(p);
    auto start = (base + align - 1) / align * align;
    if (start > base) munmap(p, start - base);
    std::size_t tail = base + mapped - (start + length);
    if (tail) munmap(reinterpret_cast<void*>(start + length), tail);
#ifdef MADV_HUGEPAGE
    if (huge) madvise(reinterpret_cast<void*>(start), length, MADV_HUGEPAGE);
#endif
    buf.reset(new RamBuffer(reinterpret_cast<std::byte*>(start), size, length, true));
  }
  g_ram_bytes.fetch_add(size);
  return buf;
}

RamBuffer::~RamBuffer() {
  g_ram_bytes.fetch_sub(size_);
  if (mmapped_) munmap(data_, mapped_);
  else std::free(data_);
}

std::size_t ram_bytes_in_use() { return g_ram_bytes.load(); }

}  // namespace pycauset
