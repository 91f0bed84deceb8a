// SIMH, E11 and MTD framing: odd lengths, extreme sizes, markers, classes,
// backward motion, and every kind of damage.
#include <gtest/gtest.h>

#include "tests/tapeformat/test_images.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

TEST(SimhCodec, OddRecordIsPaddedAndReadBack) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  write_image(p, Format::kSimh, {rec("HELLO"), fm()});
  std::vector<uint8_t> expect;
  put_simh_record(expect, {'H', 'E', 'L', 'L', 'O'}, true);
  put_le32(expect, 0);
  EXPECT_EQ(read_file_bytes(p), expect);
  EXPECT_EQ(read_all(p), (std::vector<Obj>{rec("HELLO"), fm()}));
}

TEST(E11Codec, OddRecordIsNotPadded) {
  TempDir dir;
  std::string p = dir.file("t.e11");
  write_image(p, Format::kE11, {rec("ABC"), fm()});
  std::vector<uint8_t> expect;
  put_simh_record(expect, {'A', 'B', 'C'}, false);
  put_le32(expect, 0);
  EXPECT_EQ(read_file_bytes(p), expect);
  EXPECT_EQ(read_all(p, Format::kE11), (std::vector<Obj>{rec("ABC"), fm()}));
}

TEST(SimhCodec, OneByteAndMaximumSizeRecords) {
  TempDir dir;
  std::string p = dir.file("big.tap");
  std::vector<uint8_t> max = pattern_bytes(kMaxRecordSize, 7);
  std::vector<Obj> objs = {rec(std::vector<uint8_t>{0x42}), rec(max), fm()};
  write_image(p, Format::kSimh, objs);
  EXPECT_EQ(read_all(p), objs);
}

TEST(SimhCodec, RecordLargerThanMaximumIsRefused) {
  TempDir dir;
  auto img = create_image(dir.file("t.tap"), Format::kSimh);
  std::vector<uint8_t> too_big(size_t(kMaxRecordSize) + 1);
  Status s = img->write_record(too_big);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(img->size(), 0u);
}

TEST(SimhCodec, ZeroLengthRecordIsRefused) {
  TempDir dir;
  auto img = create_image(dir.file("t.tap"), Format::kSimh);
  EXPECT_EQ(img->write_record({}).code(), StatusCode::kInvalidArgument);
}

TEST(SimhCodec, ErrorFlagIsKeptAndReported) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  std::vector<Obj> objs = {rec(pattern_bytes(33, 1), true), rec("OK"), fm()};
  write_image(p, Format::kSimh, objs);
  auto bytes = read_file_bytes(p);
  EXPECT_EQ(bytes[3], 0x80);  // bit 31 of the leading length word
  EXPECT_EQ(read_all(p), objs);
}

TEST(SimhCodec, EmptyFilesAndDoubleFilemarks) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  std::vector<Obj> objs = {fm(), rec("A"), fm(), fm(), fm()};
  write_image(p, Format::kSimh, objs);
  EXPECT_EQ(read_all(p), objs);
}

TEST(SimhCodec, GapsAndPrivateMarkersAreSkipped) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  std::vector<uint8_t> b;
  put_le32(b, 0xFFFFFFFE);  // erase gap
  put_le32(b, 0xFFFFFFFE);
  put_simh_record(b, {'X', 'Y'});
  put_le32(b, 0x70000000);  // private marker
  put_simh_record(b, {1, 2, 3}, true, 0x10000000);  // private data class 1
  put_simh_record(b, {9, 9, 9, 9}, true, 0xE0000000);  // tape description class E
  put_le32(b, 0);
  write_file_bytes(p, b);
  auto img = open_image(p, Format::kSimh);
  EXPECT_EQ(read_all(*img), (std::vector<Obj>{rec("XY"), fm()}));
  // And backwards over the same.
  TapeObject obj;
  ASSERT_TRUE(img->step_back(&obj).is_ok());
  EXPECT_EQ(obj.kind, ObjectKind::kFilemark);
  ASSERT_TRUE(img->step_back(&obj).is_ok());
  EXPECT_EQ(obj.kind, ObjectKind::kRecord);
  EXPECT_EQ(obj.length, 2u);
  ASSERT_TRUE(img->step_back(&obj).is_ok());
  EXPECT_EQ(obj.kind, ObjectKind::kBeginningOfTape);
}

TEST(SimhCodec, HalfGapForwardMovesTwoBytes) {
  // An erase gap that starts half a word off: reading at byte 0 sees
  // FF FF FE FF (the forward half-gap word), moves on 2 bytes and is then
  // aligned on an ordinary gap word.
  TempDir dir;
  std::string p = dir.file("t.tap");
  std::vector<uint8_t> b = {0xFF, 0xFF};
  put_le32(b, 0xFFFFFFFE);
  put_simh_record(b, {'Q', 'R'});
  write_file_bytes(p, b);
  EXPECT_EQ(read_all(p, Format::kSimh), (std::vector<Obj>{rec("QR")}));
}

TEST(SimhCodec, EndOfMediumMarkerEndsDataAndIsOverwritten) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  std::vector<uint8_t> b;
  put_simh_record(b, {'A', 'B'});
  put_le32(b, 0xFFFFFFFF);
  put_simh_record(b, {'C', 'D'});  // beyond EOM: never read
  write_file_bytes(p, b);
  auto img = open_image(p, Format::kSimh, true);
  EXPECT_EQ(read_all(*img), (std::vector<Obj>{rec("AB")}));
  ASSERT_TRUE(img->write_record(std::vector<uint8_t>{'E', 'F'}).is_ok());
  ASSERT_TRUE(img->close().is_ok());
  EXPECT_EQ(read_all(p), (std::vector<Obj>{rec("AB"), rec("EF")}));
  EXPECT_EQ(read_file_bytes(p).size(), 20u);
}

TEST(SimhCodec, TrailerMismatchNamesOffsetAndBothValues) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  std::vector<uint8_t> b;
  put_simh_record(b, {'A', 'B'});
  put_le32(b, 4);
  b.insert(b.end(), {1, 2, 3, 4});
  put_le32(b, 5);  // wrong trailer at byte 18
  write_file_bytes(p, b);
  auto img = open_image(p, Format::kSimh);
  std::vector<uint8_t> data;
  TapeObject obj;
  ASSERT_TRUE(img->read(&obj, &data).is_ok());
  Status s = img->read(&obj, &data);
  ASSERT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.offset(), 18u);
  EXPECT_NE(s.expected().find("0x00000004"), std::string::npos) << s.expected();
  EXPECT_EQ(s.found(), "0x00000005");
  EXPECT_EQ(img->position().offset, 10u);  // unchanged by the failed read
  EXPECT_NE(img->describe(s).find(p + ": at byte 18"), std::string::npos);
}

TEST(SimhCodec, TruncatedRecordIsReported) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  std::vector<uint8_t> b;
  put_simh_record(b, pattern_bytes(100, 3));
  b.resize(b.size() - 10);
  write_file_bytes(p, b);
  auto img = open_image(p, Format::kSimh);
  TapeObject obj;
  Status s = img->read(&obj, nullptr);
  ASSERT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.offset(), 0u);
  EXPECT_NE(s.found().find("end of the file at byte 98"), std::string::npos) << s.found();
}

TEST(SimhCodec, ImpossibleLengthIsReported) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  std::vector<uint8_t> b;
  put_le32(b, 0x0F000000);  // class 0, length 251 MiB: beyond 24 bits
  b.resize(64);
  write_file_bytes(p, b);
  auto img = open_image(p, Format::kSimh);
  TapeObject obj;
  Status s = img->read(&obj, nullptr);
  ASSERT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.offset(), 0u);
  EXPECT_NE(s.expected().find("at most"), std::string::npos);
}

TEST(SimhCodec, StrayBytesAtEndAreReported) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  std::vector<uint8_t> b;
  put_simh_record(b, {'A', 'B'});
  b.push_back(0);
  b.push_back(0);
  write_file_bytes(p, b);
  auto img = open_image(p, Format::kSimh);
  TapeObject obj;
  ASSERT_TRUE(img->read(&obj, nullptr).is_ok());
  Status s = img->read(&obj, nullptr);
  ASSERT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.offset(), 10u);
}

TEST(MtdCodec, ReadsPaddedAndUnpaddedImages) {
  TempDir dir;
  std::vector<Obj> objs = {rec("ODD"), rec("EVEN"), fm(), rec("X"), fm()};
  for (bool padded : {true, false}) {
    std::string p = dir.file(padded ? "p.mtd" : "u.mtd");
    write_image(p, padded ? Format::kSimh : Format::kE11, objs);
    auto img = open_image(p, Format::kMtd);
    EXPECT_EQ(read_all(*img), objs) << p;
    // Backward over every object, then forward again.
    TapeObject obj;
    int steps = 0;
    do {
      ASSERT_TRUE(img->step_back(&obj).is_ok());
      ++steps;
    } while (obj.kind != ObjectKind::kBeginningOfTape);
    EXPECT_EQ(steps, 6);
    EXPECT_EQ(read_all(*img), objs);
  }
}

TEST(MtdCodec, WritesSimhFraming) {
  TempDir dir;
  std::string mtd = dir.file("t.mtd"), tap = dir.file("t.tap");
  std::vector<Obj> objs = {rec("ODD"), fm()};
  write_image(mtd, Format::kMtd, objs);
  write_image(tap, Format::kSimh, objs);
  EXPECT_EQ(read_file_bytes(mtd), read_file_bytes(tap));
}

}  // namespace
}  // namespace vtape::testing
