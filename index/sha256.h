// SHA-256 (FIPS 180-4), streaming, for the checksums the catalog keeps of
// every tape file.  Written here because the design card allows no crypto
// library.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace vtape {

class Sha256 {
 public:
  Sha256() { reset(); }
  void reset();
  void update(std::span<const uint8_t> data);
  std::array<uint8_t, 32> finish();
  // finish() as 64 lower-case hex digits.
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);
  std::array<uint32_t, 8> h_{};
  uint8_t buffer_[64] = {};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace vtape
