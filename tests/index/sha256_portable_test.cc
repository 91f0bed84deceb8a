// The portable SHA-256 compression function.  On a CPU with the x86 SHA
// extensions the library never runs it, so this file compiles its own copy
// of index/sha256.cc with __x86_64__ undefined, in a namespace of its own
// (vtape_portable), and checks it against the FIPS 180-4 examples and
// against the library's digests (computed in sha256_test.cc).
//
// index/sha256.h must not be included before the copy (it is #pragma once
// and has to declare the class in vtape_portable); everything else the
// copy includes comes first, while __x86_64__ is still defined, since the C
// library's headers depend on it.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "tests/test_support.h"

#pragma push_macro("__x86_64__")
#undef __x86_64__
#define vtape vtape_portable
#include "index/sha256.cc"  // NOLINT(bugprone-suspicious-include)
#undef vtape
#pragma pop_macro("__x86_64__")

namespace vtape::testing {

// The library's digest (sha256_test.cc).
std::string library_sha256_hex(std::span<const uint8_t> data);

namespace {

std::string portable_digest(std::span<const uint8_t> data) {
  vtape_portable::Sha256 h;
  h.update(data);
  return h.hex_digest();
}

std::string portable_digest(const std::string& s) {
  return portable_digest(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

TEST(Sha256Portable, FipsExamples) {
  EXPECT_EQ(portable_digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(portable_digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(portable_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(portable_digest(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Portable, SameDigestsAsTheLibraryInAnyPieces) {
  std::mt19937 rng(3);
  for (size_t n : {0u, 1u, 55u, 56u, 64u, 65u, 127u, 128u, 1000u, 4096u, 100000u}) {
    auto data = pattern_bytes(n, static_cast<uint32_t>(n) + 1);
    std::span<const uint8_t> all(data);
    // Random pieces, so that buffered and multi-block updates both happen.
    vtape_portable::Sha256 h;
    for (size_t at = 0; at < all.size();) {
      size_t k = std::min<size_t>(all.size() - at, rng() % 700);
      h.update(all.subspan(at, k));
      at += k;
    }
    EXPECT_EQ(h.hex_digest(), library_sha256_hex(all)) << n << " bytes";
  }
}

}  // namespace
}  // namespace vtape::testing
