// Digest: the checksum the catalog keeps of every tape file, of one of two
// algorithms chosen when it is made: XXH3-128 (xxHash, over 10 GB/s on one
// core: the default) or SHA-256 (libcrypto, about 0.6 s per GiB: for those
// who want a cryptographic digest).  Each catalog row records the algorithm
// of its value (tape_files.digest_algorithm, man/vtape-catalog.5), so a
// check always uses what the row was made with, whatever the library's
// setting is now.
//
// Text form of a value: lower-case hex, 32 digits for XXH3-128 (the
// canonical big-endian form `xxhsum -H2` prints), 64 for SHA-256.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "index/sha256.h"

struct XXH3_state_s;

namespace vtape {

enum class DigestAlgorithm { kXxh3_128, kSha256 };

// The one place that decides the default (a library without a setting).
inline constexpr DigestAlgorithm kDefaultDigest = DigestAlgorithm::kXxh3_128;

// "xxh3-128", "sha256": the names the catalog, --json and --digest use.
std::string_view digest_name(DigestAlgorithm algorithm);
std::optional<DigestAlgorithm> parse_digest_name(std::string_view name);
// "xxh3-128|sha256", for usage lines and messages.
inline constexpr const char* kDigestNames = "xxh3-128|sha256";

class Digest {
 public:
  explicit Digest(DigestAlgorithm algorithm);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;

  DigestAlgorithm algorithm() const { return algorithm_; }
  void update(std::span<const uint8_t> data);
  // The digest of everything since the last one, as lower-case hex; starts
  // a new one.
  std::string hex_digest();

 private:
  struct FreeXxh3 {
    void operator()(XXH3_state_s* state) const;
  };
  void reset();

  DigestAlgorithm algorithm_;
  std::optional<Sha256> sha_;                       // for kSha256
  std::unique_ptr<XXH3_state_s, FreeXxh3> xxh3_;    // for kXxh3_128
};

}  // namespace vtape
