#include "index/digest.h"

#include <xxhash.h>

#include <cstdio>
#include <cstdlib>

namespace vtape {

std::string_view digest_name(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kSha256 ? "sha256" : "xxh3-128";
}

std::optional<DigestAlgorithm> parse_digest_name(std::string_view name) {
  if (name == "xxh3-128") return DigestAlgorithm::kXxh3_128;
  if (name == "sha256") return DigestAlgorithm::kSha256;
  return std::nullopt;
}

void Digest::FreeXxh3::operator()(XXH3_state_s* state) const { XXH3_freeState(state); }

Digest::Digest(DigestAlgorithm algorithm) : algorithm_(algorithm) {
  if (algorithm_ == DigestAlgorithm::kSha256) {
    sha_.emplace();
  } else {
    xxh3_.reset(XXH3_createState());
    // Only an allocation of a few hundred bytes can fail: there is no
    // checksum to give then, and a wrong one would be worse.
    if (!xxh3_) {
      std::fprintf(stderr, "vtape: cannot allocate an XXH3 state\n");
      std::abort();
    }
    reset();
  }
}

Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

void Digest::reset() {
  if (xxh3_) XXH3_128bits_reset(xxh3_.get());
}

void Digest::update(std::span<const uint8_t> data) {
  if (data.empty()) return;
  if (sha_) {
    sha_->update(data);
  } else {
    XXH3_128bits_update(xxh3_.get(), data.data(), data.size());
  }
}

std::string Digest::hex_digest() {
  if (sha_) return sha_->hex_digest();
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(xxh3_.get()));
  reset();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * sizeof canonical.digest);
  for (uint8_t b : canonical.digest) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

}  // namespace vtape
