// The tape-file digests (index/digest.h) against the real programs:
// XXH3-128 against `xxhsum -H2` (the xxhash package), SHA-256 against
// `sha256sum`, on lengths around XXH3's internal boundaries (16, 128 and
// 240 bytes, its 1 KiB stripes and 64 KiB blocks), fed whole and in odd
// pieces; and the names the catalog and --digest use.
#include <gtest/gtest.h>

#include "index/digest.h"
#include "tests/index/index_test_util.h"

namespace vtape::testing {
namespace {

std::string digest_of(DigestAlgorithm algorithm, const std::vector<uint8_t>& bytes) {
  Digest d(algorithm);
  d.update(bytes);
  return d.hex_digest();
}

// The same bytes in pieces of 1, 2, 3, ... bytes, restarting at 97.
std::string digest_in_pieces(DigestAlgorithm algorithm, const std::vector<uint8_t>& bytes) {
  Digest d(algorithm);
  std::span<const uint8_t> all(bytes);
  for (size_t at = 0, k = 0; at < all.size(); ++k) {
    size_t n = std::min(all.size() - at, 1 + k % 97);
    d.update(all.subspan(at, n));
    at += n;
  }
  return d.hex_digest();
}

const size_t kLengths[] = {0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1024, 1025, 65536, 65537, 1000003};

TEST(Xxh3_128, KnownVectors) {
  // xxhsum -H2 of "", "a" and "abc" (0.8.1), the canonical big-endian form.
  EXPECT_EQ(digest_of(DigestAlgorithm::kXxh3_128, {}), "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(digest_of(DigestAlgorithm::kXxh3_128, bytes_of("abc")), "06b05ab6733a618578af5f94892f3950");
}

TEST(Xxh3_128, MatchesXxhsumAtEveryLengthWholeAndInPieces) {
  for (size_t n : kLengths) {
    auto bytes = pattern_bytes(n, static_cast<uint32_t>(n * 7 + 1));
    std::string expected = xxhsum_of(bytes);
    ASSERT_EQ(expected.size(), 32u);
    EXPECT_EQ(digest_of(DigestAlgorithm::kXxh3_128, bytes), expected) << n << " bytes";
    EXPECT_EQ(digest_in_pieces(DigestAlgorithm::kXxh3_128, bytes), expected) << n << " bytes in pieces";
  }
}

TEST(Sha256Digest, MatchesSha256sumWholeAndInPieces) {
  for (size_t n : {size_t{0}, size_t{55}, size_t{56}, size_t{64}, size_t{65537}}) {
    auto bytes = pattern_bytes(n, static_cast<uint32_t>(n + 3));
    std::string expected = sha256sum_of(bytes);
    EXPECT_EQ(digest_of(DigestAlgorithm::kSha256, bytes), expected) << n << " bytes";
    EXPECT_EQ(digest_in_pieces(DigestAlgorithm::kSha256, bytes), expected) << n << " bytes in pieces";
  }
}

TEST(Digest, HexDigestStartsANewDigest) {
  for (auto algorithm : {DigestAlgorithm::kXxh3_128, DigestAlgorithm::kSha256}) {
    Digest d(algorithm);
    d.update(bytes_of("first"));
    std::string first = d.hex_digest();
    d.update(bytes_of("abc"));
    EXPECT_EQ(d.hex_digest(), digest_of(algorithm, bytes_of("abc")));
    EXPECT_NE(first, digest_of(algorithm, bytes_of("abc")));
    EXPECT_EQ(d.hex_digest(), digest_of(algorithm, {}));
  }
}

TEST(Digest, NamesRoundTripAndTheDefaultIsXxh3) {
  EXPECT_EQ(digest_name(DigestAlgorithm::kXxh3_128), "xxh3-128");
  EXPECT_EQ(digest_name(DigestAlgorithm::kSha256), "sha256");
  EXPECT_EQ(parse_digest_name("xxh3-128"), DigestAlgorithm::kXxh3_128);
  EXPECT_EQ(parse_digest_name("sha256"), DigestAlgorithm::kSha256);
  EXPECT_EQ(parse_digest_name("SHA-256"), std::nullopt);
  EXPECT_EQ(parse_digest_name("md5"), std::nullopt);
  EXPECT_EQ(kDefaultDigest, DigestAlgorithm::kXxh3_128);
}

}  // namespace
}  // namespace vtape::testing
