// Constants of the AWSTAPE / HET chunk header (see man/vtape-formats.5,
// "AWS and HET").
#pragma once

#include <cstdint>

namespace vtape::aws {

inline constexpr uint32_t kHeaderSize = 6;
inline constexpr uint8_t kStartOfRecord = 0x80;
inline constexpr uint8_t kTapeMark = 0x40;
inline constexpr uint8_t kEndOfRecord = 0x20;
inline constexpr uint8_t kZlib = 0x01;
inline constexpr uint8_t kBzip2 = 0x02;
inline constexpr uint8_t kCompressionMask = 0x03;
inline constexpr uint8_t kKnownFlags = kStartOfRecord | kTapeMark | kEndOfRecord | kCompressionMask;
inline constexpr uint32_t kMaxChunk = 0xFFFF;

struct ChunkHeader {
  uint16_t length = 0;       // bytes of data in this chunk
  uint16_t prev_length = 0;  // bytes of data in the chunk before (0 at BOT)
  uint8_t flags1 = 0;
  uint8_t flags2 = 0;
};

}  // namespace vtape::aws
