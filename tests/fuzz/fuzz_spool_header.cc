// libFuzzer target: the spool header record (index/spool_header.h), the
// first record of every spool tape file, as `vtape spool` and the catalog
// decode it.  A header that decodes must encode again to one that decodes
// to the same fields (nothing is read that the layout cannot hold).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "index/spool_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> record(data, size);
  (void)vtape::looks_like_spool_header(record);
  vtape::SpoolMetadata m;
  if (!vtape::decode_spool_header(record, &m).is_ok()) return 0;
  std::vector<uint8_t> again = vtape::encode_spool_header(m);
  vtape::SpoolMetadata m2;
  vtape::Status s = vtape::decode_spool_header(again, &m2);
  if (!s.is_ok()) {
    std::fprintf(stderr, "broken invariant: a decoded spool header does not decode once encoded again: %s\n",
                 s.message().c_str());
    std::abort();
  }
  if (vtape::encode_spool_header(m2) != again) {
    std::fprintf(stderr, "broken invariant: encode(decode(encode(h))) differs from encode(h)\n");
    std::abort();
  }
  return 0;
}
