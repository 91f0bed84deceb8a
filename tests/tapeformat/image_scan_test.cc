// Walking a whole image, and salvage: damage is reported region by region
// and reading resumes at the next good object.
#include <gtest/gtest.h>

#include "tapeformat/image_scan.h"
#include "tests/tapeformat/test_images.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

std::vector<Obj> many_records(int n) {
  std::vector<Obj> v;
  for (int i = 0; i < n; ++i) {
    v.push_back(rec(pattern_bytes(100 + i, i)));
    if (i % 10 == 9) v.push_back(fm());
  }
  return v;
}

ScanSummary scan(const std::string& path, bool salvage, std::vector<uint32_t>* lengths = nullptr) {
  auto img = open_image(path);
  ScanOptions o;
  o.salvage = salvage;
  ScanSummary summary;
  Status s = scan_image(
      *img, o,
      [&](const TapeObject& obj, const TapePosition&, const std::vector<uint8_t>*) {
        if (lengths && obj.kind == ObjectKind::kRecord) lengths->push_back(obj.length);
        return true;
      },
      nullptr, &summary);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return summary;
}

TEST(ImageScan, CleanImageCountsEverything) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  write_image(p, Format::kSimh, many_records(30));
  ScanSummary s = scan(p, false);
  EXPECT_TRUE(s.clean());
  EXPECT_EQ(s.records, 30u);
  EXPECT_EQ(s.filemarks, 3u);
  EXPECT_EQ(s.end_offset, read_file_bytes(p).size());
}

class SalvageEveryFormat : public ::testing::TestWithParam<Format> {};
INSTANTIATE_TEST_SUITE_P(Formats, SalvageEveryFormat,
                         ::testing::Values(Format::kSimh, Format::kE11, Format::kAws, Format::kHet),
                         [](const auto& info) { return std::string(format_name(info.param)); });

TEST_P(SalvageEveryFormat, ResumesAfterAFlippedLengthWord) {
  TempDir dir;
  std::string p = dir.file("t.img");
  WriteOptions o;
  o.compression = Compression::kNone;
  auto objs = many_records(30);
  write_image(p, GetParam(), objs, o);
  // Find record 12's offset and damage its length word.
  uint64_t victim = 0;
  {
    auto img = open_image(p, GetParam());
    std::vector<uint8_t> d;
    TapeObject obj;
    int records = 0;
    while (records <= 12) {
      ASSERT_TRUE(img->read(&obj, &d).is_ok());
      if (obj.kind == ObjectKind::kRecord) ++records;
    }
    victim = obj.offset;
  }
  auto bytes = read_file_bytes(p);
  bytes[victim] ^= 0x40;
  bytes[victim + 1] ^= 0x11;
  write_file_bytes(p, bytes);

  ScanSummary stop = scan(p, false);
  ASSERT_EQ(stop.damage.size(), 1u);
  EXPECT_EQ(stop.damage[0].start, victim);
  EXPECT_EQ(stop.records, 12u);

  std::vector<uint32_t> lengths;
  ScanSummary salvaged = scan(p, true, &lengths);
  ASSERT_GE(salvaged.damage.size(), 1u);
  EXPECT_EQ(salvaged.damage[0].start, victim);
  EXPECT_GT(salvaged.damage[0].end, victim);
  // Everything but the damaged record comes back.
  EXPECT_EQ(salvaged.records, 29u);
  EXPECT_EQ(lengths.back(), 129u);
  EXPECT_EQ(salvaged.end_offset, bytes.size());
}

TEST(ImageScan, SalvageOfGarbageAtTheEndReportsOneRegion) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  write_image(p, Format::kSimh, many_records(5));
  auto bytes = read_file_bytes(p);
  size_t good = bytes.size();
  auto junk = pattern_bytes(3000, 42);
  for (auto& b : junk) b |= 0x80;  // no plausible length words in it
  bytes.insert(bytes.end(), junk.begin(), junk.end());
  write_file_bytes(p, bytes);
  ScanSummary s = scan(p, true);
  ASSERT_EQ(s.damage.size(), 1u);
  EXPECT_EQ(s.damage[0].start, good);
  EXPECT_EQ(s.damage[0].end, bytes.size());
  EXPECT_EQ(s.records, 5u);
}

}  // namespace
}  // namespace vtape::testing
