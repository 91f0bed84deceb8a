// Whole-record compression as HET stores it: one zlib stream (RFC 1950, as
// zlib's compress2 makes) or one bzip2 stream per record.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tapeformat/base/status.h"
#include "tapeformat/tape_format.h"

namespace vtape {

// Compresses `in` into `out`.  Returns false when the result would not be
// smaller than the input (HET then stores the record uncompressed).
bool compress_record(Compression method, int level, std::span<const uint8_t> in,
                     std::vector<uint8_t>* out);

// Decompresses one record.  `offset` names the record in error messages; the
// result may not exceed `max_size` bytes.
Status decompress_record(Compression method, std::span<const uint8_t> in, uint64_t offset,
                         uint32_t max_size, std::vector<uint8_t>* out);

}  // namespace vtape
