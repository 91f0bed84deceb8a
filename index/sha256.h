// SHA-256 (FIPS 180-4), streaming, for the checksums the catalog keeps of
// every tape file: a thin wrapper over OpenSSL's EVP digests (libcrypto,
// which uses the CPU's SHA instructions where it has them).  Drives hash
// every record they write, so each hasher makes one EVP_MD_CTX and reuses
// it: update() never allocates.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

namespace vtape {

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    check(ctx_ != nullptr && md() != nullptr, "EVP_MD_CTX_new");
    reset();
  }
  Sha256(const Sha256& other) : ctx_(EVP_MD_CTX_new()) {
    check(ctx_ != nullptr, "EVP_MD_CTX_new");
    check(EVP_MD_CTX_copy_ex(ctx_.get(), other.ctx_.get()), "EVP_MD_CTX_copy_ex");
  }
  Sha256& operator=(const Sha256& other) {
    if (this != &other) check(EVP_MD_CTX_copy_ex(ctx_.get(), other.ctx_.get()), "EVP_MD_CTX_copy_ex");
    return *this;
  }
  Sha256(Sha256&&) noexcept = default;
  Sha256& operator=(Sha256&&) noexcept = default;

  // Starts a new digest.
  void reset() { check(EVP_DigestInit_ex(ctx_.get(), md(), nullptr), "EVP_DigestInit_ex"); }
  void update(std::span<const uint8_t> data) {
    if (!data.empty()) check(EVP_DigestUpdate(ctx_.get(), data.data(), data.size()), "EVP_DigestUpdate");
  }
  // The digest of everything since the last reset; starts a new one.
  std::array<uint8_t, 32> finish() {
    std::array<uint8_t, 32> out{};
    check(EVP_DigestFinal_ex(ctx_.get(), out.data(), nullptr), "EVP_DigestFinal_ex");
    reset();
    return out;
  }
  // finish() as 64 lower-case hex digits.
  std::string hex_digest() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    s.reserve(64);
    for (uint8_t b : finish()) {
      s += kHex[b >> 4];
      s += kHex[b & 15];
    }
    return s;
  }

 private:
  struct FreeContext {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  // Fetched once: EVP_sha256() would be looked up again at every init.
  static const EVP_MD* md() {
    static EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched;
  }
  // libcrypto fails only when it cannot allocate or has no SHA-256 at all:
  // there is no checksum to give then, and a wrong one would be worse.
  static void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "vtape: OpenSSL %s failed for SHA-256\n", what);
    std::abort();
  }

  std::unique_ptr<EVP_MD_CTX, FreeContext> ctx_;
};

}  // namespace vtape
