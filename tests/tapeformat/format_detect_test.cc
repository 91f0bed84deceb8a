// The format is told from the content; the name only breaks ties.
#include <gtest/gtest.h>

#include "tapeformat/format_detect.h"
#include "tests/tapeformat/test_images.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

Format detected(const std::string& path) {
  ImageFile f;
  EXPECT_TRUE(f.open(path, ImageFile::Mode::kReadOnly).is_ok());
  Format fmt = Format::kTpc;
  Status s = detect_format(f, &fmt);
  EXPECT_TRUE(s.is_ok()) << s.message_for(path);
  return fmt;
}

const std::vector<Obj> kOddTape = {rec("ODD"), rec("EVEN"), fm(), rec(pattern_bytes(1001, 4)), fm()};

TEST(FormatDetect, ContentWinsOverAMisleadingName) {
  TempDir dir;
  write_image(dir.file("really-aws.tap"), Format::kAws, kOddTape);
  write_image(dir.file("really-simh.aws"), Format::kSimh, kOddTape);
  write_image(dir.file("really-e11.tap"), Format::kE11, kOddTape);
  WriteOptions z;
  write_image(dir.file("really-het.dat"), Format::kHet, {rec(std::vector<uint8_t>(5000, 'z')), fm()}, z);
  EXPECT_EQ(detected(dir.file("really-aws.tap")), Format::kAws);
  EXPECT_EQ(detected(dir.file("really-simh.aws")), Format::kSimh);
  EXPECT_EQ(detected(dir.file("really-e11.tap")), Format::kE11);
  EXPECT_EQ(detected(dir.file("really-het.dat")), Format::kHet);
}

TEST(FormatDetect, NameDecidesWhatContentCannot) {
  TempDir dir;
  std::vector<Obj> even = {rec("EVEN"), fm()};
  write_image(dir.file("a.e11"), Format::kSimh, even);
  write_image(dir.file("a.mtd"), Format::kSimh, kOddTape);
  write_image(dir.file("b.mtd"), Format::kE11, kOddTape);
  write_image(dir.file("a.bin"), Format::kSimh, even);
  EXPECT_EQ(detected(dir.file("a.e11")), Format::kE11);
  EXPECT_EQ(detected(dir.file("a.mtd")), Format::kMtd);
  EXPECT_EQ(detected(dir.file("b.mtd")), Format::kMtd);
  EXPECT_EQ(detected(dir.file("a.bin")), Format::kSimh);
  write_file_bytes(dir.file("empty.het"), {});
  EXPECT_EQ(detected(dir.file("empty.het")), Format::kHet);
}

TEST(FormatDetect, TpcIsRecognised) {
  TempDir dir;
  std::vector<uint8_t> b;
  put_le16(b, 3);
  b.insert(b.end(), {'A', 'B', 'C', 0});
  put_le16(b, 0);
  write_file_bytes(dir.file("x.img"), b);
  EXPECT_EQ(detected(dir.file("x.img")), Format::kTpc);
}

TEST(FormatDetect, RandomBytesAreNotATapeImage) {
  TempDir dir;
  std::string p = dir.file("noise.bin");
  auto noise = pattern_bytes(4096, 99);
  noise[0] = 0xEE;  // make sure no reader sees a valid first object
  noise[1] = 0xEE;
  noise[2] = 0xEE;
  noise[3] = 0xEE;
  noise[4] = 0xEE;
  write_file_bytes(p, noise);
  std::unique_ptr<TapeImage> img;
  Status s = TapeImage::open(p, OpenOptions{}, &img);
  ASSERT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.offset(), 0u);
  EXPECT_NE(s.expected().find("a tape image"), std::string::npos) << s.expected();
}

TEST(FormatDetect, DamagedImageIsStillRecognisedForSalvage) {
  TempDir dir;
  std::string p = dir.file("damaged.img");
  write_image(p, Format::kAws, kOddTape);
  auto b = read_file_bytes(p);
  b[b.size() - 3] = 0x77;  // break the last header's flags
  write_file_bytes(p, b);
  EXPECT_EQ(detected(p), Format::kAws);
}

}  // namespace
}  // namespace vtape::testing
