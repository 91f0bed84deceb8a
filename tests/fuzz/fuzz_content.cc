// libFuzzer target: content detection and every content reader (tar, cpio,
// compressed tar, tape labels, Pick/D3, VMS BACKUP, Amanda, Bacula, dump:
// the registry of index/content_detector.h) through TapeFileAnalyzer, as a
// drive or `vtape index` feeds a tape file's records.  The input is a
// sequence of records, each a 2-byte little-endian length and that many
// bytes (the last one takes what is left), so the fuzzer can shape record
// boundaries; the first record decides the detector.  Nothing may crash,
// hang or leak.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "index/tape_file_analyzer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vtape::TapeFileAnalyzer analyzer(vtape::DigestAlgorithm::kXxh3_128);
  size_t pos = 0;
  while (pos < size) {
    size_t length = size - pos;
    if (length >= 2) {
      size_t want = data[pos] | size_t(data[pos + 1]) << 8;
      pos += 2;
      length = std::min(want, size - pos);
    } else {
      pos += length;
      length = 0;
    }
    if (length == 0) continue;  // a tape file has no empty records
    analyzer.add_record(std::span<const uint8_t>(data + pos, length));
    pos += length;
  }
  vtape::TapeFileAnalysis analysis = analyzer.finish();
  (void)analysis;
  return 0;
}
