#include "index/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

namespace vtape {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78;  // reflected Castagnoli polynomial

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kTable = make_table();

#if defined(__x86_64__)
// The crc32 instruction takes 3 cycles but can start one every cycle, so a
// long buffer goes as three independent streams: a block of 3 x kStride
// bytes becomes three CRCs, which are then combined by carrying the first
// two over the bytes that follow them.  Carrying a CRC register over n zero
// bytes is linear in the register, so it is applied with four 256-entry
// tables per distance, built once from where each of the 32 bits goes.
constexpr size_t kStride = 2048;

__attribute__((target("sse4.2"))) uint32_t over_zeros(uint32_t reg, size_t bytes) {
  uint64_t c = reg;
  for (size_t i = 0; i < bytes / 8; ++i) c = _mm_crc32_u64(c, 0);
  return static_cast<uint32_t>(c);
}

class ZerosOperator {
 public:
  explicit ZerosOperator(size_t bytes) {
    uint32_t bit_image[32];
    for (int i = 0; i < 32; ++i) bit_image[i] = over_zeros(1u << i, bytes);
    for (int k = 0; k < 4; ++k) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t v = 0;
        for (int j = 0; j < 8; ++j) {
          if ((b >> j) & 1) v ^= bit_image[8 * k + j];
        }
        table_[k][b] = v;
      }
    }
  }
  uint32_t apply(uint32_t reg) const {
    return table_[0][reg & 0xFF] ^ table_[1][(reg >> 8) & 0xFF] ^ table_[2][(reg >> 16) & 0xFF] ^
           table_[3][reg >> 24];
  }

 private:
  uint32_t table_[4][256];
};

__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(std::span<const uint8_t> data) {
  static const ZerosOperator over_one_stride(kStride), over_two_strides(2 * kStride);
  uint64_t crc = 0xFFFFFFFFu;
  const uint8_t* p = data.data();
  size_t n = data.size();
  while (n >= 3 * kStride) {
    uint64_t c0 = crc, c1 = 0, c2 = 0;
    for (size_t i = 0; i < kStride; i += 8) {
      uint64_t w0, w1, w2;
      std::memcpy(&w0, p + i, 8);
      std::memcpy(&w1, p + kStride + i, 8);
      std::memcpy(&w2, p + 2 * kStride + i, 8);
      c0 = _mm_crc32_u64(c0, w0);
      c1 = _mm_crc32_u64(c1, w1);
      c2 = _mm_crc32_u64(c2, w2);
    }
    crc = over_two_strides.apply(static_cast<uint32_t>(c0)) ^ over_one_stride.apply(static_cast<uint32_t>(c1)) ^
          static_cast<uint32_t>(c2);
    p += 3 * kStride;
    n -= 3 * kStride;
  }
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    crc = _mm_crc32_u64(crc, word);
    p += 8;
    n -= 8;
  }
  uint32_t c = static_cast<uint32_t>(crc);
  while (n-- > 0) c = _mm_crc32_u8(c, *p++);
  return c ^ 0xFFFFFFFFu;
}

// CPUID leaf 1 ECX bit 20: SSE4.2.
bool have_sse42() {
  unsigned a, b, c, d;
  return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & (1u << 20)) != 0;
}
#endif

}  // namespace

uint32_t crc32c_portable(std::span<const uint8_t> data) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t byte : data) c = kTable[(c ^ byte) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t crc32c(std::span<const uint8_t> data) {
#if defined(__x86_64__)
  static const bool hardware = have_sse42();
  if (hardware) return crc32c_sse42(data);
#endif
  return crc32c_portable(data);
}

}  // namespace vtape
