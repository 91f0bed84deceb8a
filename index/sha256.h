// SHA-256 (FIPS 180-4), streaming, for the checksums the catalog keeps of
// every tape file; drives hash every record they write, so speed matters.  Written here because the design card allows no crypto
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
  // Runs the compression function over `blocks` 64-byte blocks, with the
  // x86 SHA extensions where the CPU has them (about ten times faster),
  // else in portable C++.
  void compress(const uint8_t* data, size_t blocks);
  void compress_portable(const uint8_t* block);
  std::array<uint32_t, 8> h_{};
  uint8_t buffer_[64] = {};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace vtape
