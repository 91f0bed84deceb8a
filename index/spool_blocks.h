// Blocked data records of a spool tape file (header flag bit 2; layout in
// man/vtape-formats.5, "SPOOL FILES"): the data records are packed into
// tape records of up to 64 KiB, each data record as its length (LEB128:
// 7 bits a byte, low bits first, the top bit set on every byte but the
// last) followed by its bytes.  A data record never spans two blocks; one
// longer than a block is a block of its own.  An empty printer line (one
// blank) so takes 2 bytes on tape, not a tape record of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "tapeformat/base/status.h"

namespace vtape {

inline constexpr size_t kSpoolBlockSize = 64 * 1024;

// Packs data records into blocks; hands each full block to `write_block`.
class SpoolBlockWriter {
 public:
  using BlockSink = std::function<Status(std::span<const uint8_t> block)>;
  explicit SpoolBlockWriter(BlockSink write_block) : write_block_(std::move(write_block)) {}
  Status add(std::string_view record);
  // Writes the last block (if any).
  Status finish();

 private:
  BlockSink write_block_;
  std::vector<uint8_t> block_;
};

// How many blocks, of how many bytes in all, `records` data records of
// `data_bytes` in all take at most (for the capacity check).
struct SpoolBlocksBound {
  uint64_t blocks = 0;
  uint64_t bytes = 0;
};
SpoolBlocksBound spool_blocks_bound(uint64_t records, uint64_t data_bytes);

// Every data record of one block, in order.  A length that runs past the
// block is a Corrupt status naming the byte offset within the block.
Status unpack_spool_block(std::span<const uint8_t> block, const std::function<void(std::string_view)>& each);

}  // namespace vtape
