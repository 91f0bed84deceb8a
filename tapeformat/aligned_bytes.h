// AlignedBytes: a growable run of bytes that will be written at a known
// offset of a file, laid out in memory so that every byte whose file offset
// is a multiple of kDirectAlignment also has an address that is one.  The
// aligned middle of the run can then be written with O_DIRECT straight from
// here (DirectWriter), without first copying it into aligned memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

namespace vtape {

// What O_DIRECT asks of offsets, lengths and addresses on the file systems
// a library lives on (their logical block size is at most this).
inline constexpr size_t kDirectAlignment = 4096;

class AlignedBytes {
 public:
  AlignedBytes() = default;
  AlignedBytes(AlignedBytes&& other) noexcept { *this = std::move(other); }
  AlignedBytes& operator=(AlignedBytes&& other) noexcept {
    block_ = std::move(other.block_);
    capacity_ = std::exchange(other.capacity_, 0);
    origin_ = std::exchange(other.origin_, 0);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }

  // Empties the run; the next byte appended goes to `file_offset`.
  void reset(uint64_t file_offset) {
    origin_ = static_cast<size_t>(file_offset % kDirectAlignment);
    size_ = 0;
  }
  void clear() { size_ = 0; }
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  uint8_t* data() { return block_.get() + origin_; }
  const uint8_t* data() const { return block_.get() + origin_; }

  void append(const uint8_t* bytes, size_t n) {
    if (n == 0) return;
    reserve(size_ + n);
    std::memcpy(data() + size_, bytes, n);
    size_ += n;
  }
  // Drops bytes from the end.
  void shrink_to(size_t n) {
    if (n < size_) size_ = n;
  }
  void reserve(size_t n) {
    if (origin_ + n <= capacity_) return;
    size_t want = origin_ + n;
    size_t capacity = capacity_ == 0 ? size_t(1) << 20 : capacity_;
    while (capacity < want) capacity *= 2;
    auto* block = static_cast<uint8_t*>(std::aligned_alloc(kDirectAlignment, capacity));
    if (block == nullptr) throw std::bad_alloc();
    if (size_ > 0) std::memcpy(block + origin_, data(), size_);
    block_.reset(block);
    capacity_ = capacity;
  }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> block_;
  size_t capacity_ = 0;
  size_t origin_ = 0;  // where data() begins in block_: the file offset modulo the alignment
  size_t size_ = 0;
};

}  // namespace vtape
