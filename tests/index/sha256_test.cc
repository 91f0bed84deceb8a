// SHA-256 against the FIPS 180-4 example messages, and streaming: the
// digest must not depend on how the bytes are split between update() calls.
#include <gtest/gtest.h>

#include <random>

#include "index/sha256.h"
#include "tests/index/index_test_util.h"

namespace vtape::testing {

namespace {

std::string digest(const std::string& s) {
  Sha256 h;
  h.update(bytes_of(s));
  return h.hex_digest();
}

TEST(Sha256, EmptyMessage) {
  EXPECT_EQ(digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;  // no update at all
  EXPECT_EQ(h.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, Abc) { EXPECT_EQ(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); }

TEST(Sha256, FourHundredFortyEightBitMessage) {
  EXPECT_EQ(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, EightHundredNinetySixBitMessage) {
  EXPECT_EQ(digest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmn"
                   "opqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, OneMillionA) {
  const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  EXPECT_EQ(digest(std::string(1000000, 'a')), expected);
  // Fed as 1000 updates of 1000 bytes, and in odd pieces.
  Sha256 h;
  std::vector<uint8_t> thousand(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.update(thousand);
  EXPECT_EQ(h.hex_digest(), expected);
  std::vector<uint8_t> all(1000000, 'a');
  for (size_t at = 0; at < all.size();) {
    size_t n = std::min<size_t>(all.size() - at, 1 + at % 97);
    h.update(std::span<const uint8_t>(all).subspan(at, n));
    at += n;
  }
  EXPECT_EQ(h.hex_digest(), expected);
}

TEST(Sha256, FinishGivesTheBytesOfTheHexDigestAndResets) {
  Sha256 h;
  h.update(bytes_of("abc"));
  std::array<uint8_t, 32> raw = h.finish();
  EXPECT_EQ(raw[0], 0xba);
  EXPECT_EQ(raw[31], 0xad);
  // finish() starts a new message.
  h.update(bytes_of("abc"));
  EXPECT_EQ(h.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(h.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// Lengths around the padding boundaries (55/56 bytes: the length fits or
// needs one more block; 64: a whole block), against sha256sum.
TEST(Sha256, LengthsAroundTheBlockBoundaryMatchSha256sum) {
  for (size_t n : {1u, 55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 127u, 128u, 129u, 1000u}) {
    auto data = pattern_bytes(n, static_cast<uint32_t>(n));
    Sha256 h;
    h.update(data);
    EXPECT_EQ(h.hex_digest(), sha256sum_of(data)) << n << " bytes";
  }
}

TEST(Sha256, EverySplitOfAMessageGivesTheSameDigest) {
  auto data = pattern_bytes(300, 42);
  Sha256 whole;
  whole.update(data);
  const std::string expected = whole.hex_digest();
  std::span<const uint8_t> all(data);
  // Two pieces, at every point (including empty pieces).
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    Sha256 h;
    h.update(all.first(cut));
    h.update(all.subspan(cut));
    ASSERT_EQ(h.hex_digest(), expected) << "cut at " << cut;
  }
  // Three pieces around the first block boundary.
  for (size_t a = 0; a <= 70; ++a) {
    for (size_t b = a; b <= 140; b += 3) {
      Sha256 h;
      h.update(all.first(a));
      h.update(all.subspan(a, b - a));
      h.update(all.subspan(b));
      ASSERT_EQ(h.hex_digest(), expected) << "cuts at " << a << " and " << b;
    }
  }
  // One byte at a time, and random pieces.
  Sha256 h;
  for (size_t i = 0; i < data.size(); ++i) h.update(all.subspan(i, 1));
  EXPECT_EQ(h.hex_digest(), expected);
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    Sha256 r;
    for (size_t at = 0; at < data.size();) {
      size_t n = std::min<size_t>(data.size() - at, rng() % 150);
      r.update(all.subspan(at, n));
      at += n;
    }
    ASSERT_EQ(r.hex_digest(), expected) << "round " << round;
  }
}

}  // namespace
}  // namespace vtape::testing
