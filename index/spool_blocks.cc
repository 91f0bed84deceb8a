#include "index/spool_blocks.h"

#include <algorithm>

#include <fmt/format.h>

namespace vtape {
namespace {

constexpr size_t kMaxLengthBytes = 10;  // LEB128 of a 64-bit length

void put_length(std::vector<uint8_t>* out, uint64_t n) {
  while (n >= 0x80) {
    out->push_back(static_cast<uint8_t>(n | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<uint8_t>(n));
}

size_t length_size(uint64_t n) {
  size_t k = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++k;
  }
  return k;
}

}  // namespace

Status SpoolBlockWriter::add(std::string_view record) {
  size_t need = length_size(record.size()) + record.size();
  if (!block_.empty() && block_.size() + need > kSpoolBlockSize) VTAPE_RETURN_IF_ERROR(finish());
  put_length(&block_, record.size());
  block_.insert(block_.end(), record.begin(), record.end());
  if (block_.size() >= kSpoolBlockSize) return finish();
  return Status::ok();
}

Status SpoolBlockWriter::finish() {
  if (block_.empty()) return Status::ok();
  Status s = write_block_(block_);
  block_.clear();
  return s;
}

SpoolBlocksBound spool_blocks_bound(uint64_t records, uint64_t data_bytes) {
  SpoolBlocksBound b;
  b.bytes = data_bytes + records * kMaxLengthBytes;
  // A block is closed only when the next record does not fit, so two
  // blocks in a row hold more than a block's size.
  b.blocks = std::min<uint64_t>(records, 2 * (b.bytes / kSpoolBlockSize) + 1);
  return b;
}

Status unpack_spool_block(std::span<const uint8_t> block, const std::function<void(std::string_view)>& each) {
  size_t at = 0;
  while (at < block.size()) {
    size_t start = at;
    uint64_t n = 0;
    int shift = 0;
    for (;;) {
      if (at >= block.size() || shift > 63) {
        return Status::corrupt(start, "a data record length (LEB128) within the block",
                               fmt::format("{} bytes left in a block of {}", block.size() - start, block.size()));
      }
      uint8_t b = block[at++];
      n |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) break;
    }
    if (n > block.size() - at) {
      return Status::corrupt(start, fmt::format("a data record of {} bytes within the block", n),
                             fmt::format("{} bytes left in a block of {}", block.size() - at, block.size()));
    }
    each(std::string_view(reinterpret_cast<const char*>(block.data()) + at, static_cast<size_t>(n)));
    at += static_cast<size_t>(n);
  }
  return Status::ok();
}

}  // namespace vtape
