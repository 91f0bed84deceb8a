// AWSTAPE and HET: chunk headers, chunking of large records, compression,
// backward motion over chunk chains, and damage to the chain.
#include <gtest/gtest.h>

#include "tests/tapeformat/test_images.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

std::vector<uint8_t> aws_header(uint16_t len, uint16_t prev, uint8_t flags1) {
  std::vector<uint8_t> h;
  put_le16(h, len);
  put_le16(h, prev);
  h.push_back(flags1);
  h.push_back(0);
  return h;
}

void append(std::vector<uint8_t>& v, const std::vector<uint8_t>& more) {
  v.insert(v.end(), more.begin(), more.end());
}

TEST(AwsCodec, SingleChunkRecordsAndTapeMarkBytes) {
  TempDir dir;
  std::string p = dir.file("t.aws");
  write_image(p, Format::kAws, {rec("HELLO"), fm(), rec("AB")});
  std::vector<uint8_t> expect = aws_header(5, 0, 0xA0);
  append(expect, {'H', 'E', 'L', 'L', 'O'});
  append(expect, aws_header(0, 5, 0x40));
  append(expect, aws_header(2, 0, 0xA0));
  append(expect, {'A', 'B'});
  EXPECT_EQ(read_file_bytes(p), expect);
}

TEST(AwsCodec, LargeRecordsAreSplitIntoChunks) {
  TempDir dir;
  std::string p = dir.file("t.aws");
  WriteOptions o;
  o.chunk_size = 4096;
  std::vector<uint8_t> big = pattern_bytes(10000, 5);
  write_image(p, Format::kAws, {rec(big), fm()}, o);
  auto bytes = read_file_bytes(p);
  ASSERT_EQ(bytes.size(), 3 * 6 + 10000 + 6u);
  EXPECT_EQ(bytes[4], 0x80);                       // first chunk: start of record
  EXPECT_EQ(bytes[6 + 4096 + 4], 0x00);            // middle chunk
  EXPECT_EQ(bytes[2 * (6 + 4096) + 4], 0x20);      // last chunk: end of record
  EXPECT_EQ(bytes[2 * (6 + 4096) + 2], 0x00);      // its previous length 4096 = 0x1000
  EXPECT_EQ(bytes[2 * (6 + 4096) + 3], 0x10);
  EXPECT_EQ(read_all(p), (std::vector<Obj>{rec(big), fm()}));
}

TEST(AwsCodec, MaximumSizeRecordAcrossManyChunks) {
  TempDir dir;
  std::string p = dir.file("t.aws");
  std::vector<uint8_t> max = pattern_bytes(kMaxRecordSize, 9);
  std::vector<Obj> objs = {rec(std::vector<uint8_t>{1}), rec(max), fm()};
  write_image(p, Format::kAws, objs);
  auto img = open_image(p);
  EXPECT_EQ(read_all(*img), objs);
  TapeObject obj;
  ASSERT_TRUE(img->step_back(&obj).is_ok());
  ASSERT_TRUE(img->step_back(&obj).is_ok());
  EXPECT_EQ(obj.kind, ObjectKind::kRecord);
  EXPECT_EQ(obj.length, kMaxRecordSize);
}

TEST(HetCodec, ZlibAndBzip2RoundTripAtSeveralLevels) {
  TempDir dir;
  std::vector<uint8_t> text(50000);
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<uint8_t>("tape "[i % 5]);
  std::vector<uint8_t> noise = pattern_bytes(3000, 11);  // does not compress: stored plain
  std::vector<Obj> objs = {rec(text), rec(noise), fm(), rec("x"), fm()};
  for (Compression c : {Compression::kZlib, Compression::kBzip2}) {
    for (int level : {1, 4, 9}) {
      WriteOptions o;
      o.compression = c;
      o.level = level;
      o.chunk_size = 4096;
      std::string p = dir.file(std::string(compression_name(c)) + std::to_string(level) + ".het");
      write_image(p, Format::kHet, objs, o);
      auto bytes = read_file_bytes(p);
      EXPECT_LT(bytes.size(), 20000u) << p;
      EXPECT_EQ(bytes[4] & 0x03, c == Compression::kZlib ? 0x01 : 0x02) << p;
      auto img = open_image(p);
      EXPECT_EQ(img->format(), Format::kHet);
      EXPECT_EQ(read_all(*img), objs) << p;
      TapeObject obj;
      std::vector<uint8_t> data;
      ASSERT_TRUE(img->rewind().is_ok());
      ASSERT_TRUE(img->read(&obj, &data).is_ok());
      EXPECT_TRUE(obj.compressed);
      EXPECT_EQ(obj.length, 50000u);
      EXPECT_LT(obj.stored_length, 50000u);
      ASSERT_TRUE(img->read(&obj, &data).is_ok());
      EXPECT_FALSE(obj.compressed);
    }
  }
}

TEST(HetCodec, UncompressedHetIsPlainAws) {
  TempDir dir;
  WriteOptions o;
  o.compression = Compression::kNone;
  write_image(dir.file("a.het"), Format::kHet, {rec("SAME DATA SAME DATA"), fm()}, o);
  write_image(dir.file("a.aws"), Format::kAws, {rec("SAME DATA SAME DATA"), fm()});
  EXPECT_EQ(read_file_bytes(dir.file("a.het")), read_file_bytes(dir.file("a.aws")));
}

TEST(HetCodec, DamagedCompressedDataIsReported) {
  TempDir dir;
  std::string p = dir.file("t.het");
  std::vector<uint8_t> text(4000, 'a');
  write_image(p, Format::kHet, {rec(text), fm()});
  auto bytes = read_file_bytes(p);
  for (size_t i = 8; i < 14; ++i) bytes[i] ^= 0x5A;
  write_file_bytes(p, bytes);
  auto img = open_image(p, Format::kHet);
  TapeObject obj;
  std::vector<uint8_t> data;
  Status s = img->read(&obj, &data);
  ASSERT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.offset(), 0u);
  EXPECT_NE(s.expected().find("zlib"), std::string::npos);
}

TEST(AwsCodec, BrokenPreviousLengthChainIsReported) {
  TempDir dir;
  std::string p = dir.file("t.aws");
  std::vector<uint8_t> b = aws_header(2, 0, 0xA0);
  append(b, {'A', 'B'});
  append(b, aws_header(2, 7, 0xA0));  // previous length should be 2
  append(b, {'C', 'D'});
  write_file_bytes(p, b);
  auto img = open_image(p, Format::kAws);
  TapeObject obj;
  ASSERT_TRUE(img->read(&obj, nullptr).is_ok());
  Status s = img->read(&obj, nullptr);
  ASSERT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.offset(), 10u);
  EXPECT_EQ(s.expected(), "previous chunk length 2");
  EXPECT_EQ(s.found(), "7");
}

TEST(AwsCodec, ChunkWithoutStartOfRecordIsReported) {
  TempDir dir;
  std::string p = dir.file("t.aws");
  std::vector<uint8_t> b = aws_header(2, 0, 0x20);
  append(b, {'A', 'B'});
  write_file_bytes(p, b);
  auto img = open_image(p, Format::kAws);
  TapeObject obj;
  Status s = img->read(&obj, nullptr);
  ASSERT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.expected().find("0x80"), std::string::npos);
}

TEST(AwsCodec, UnknownFlagsAndBadTapeMarkAreReported) {
  TempDir dir;
  for (auto header : {aws_header(0, 0, 0x48), aws_header(3, 0, 0x40), aws_header(1, 0, 0xA4)}) {
    std::string p = dir.file("t.aws");
    std::vector<uint8_t> b = header;
    append(b, {1, 2, 3});
    write_file_bytes(p, b);
    auto img = open_image(p, Format::kAws);
    TapeObject obj;
    EXPECT_EQ(img->read(&obj, nullptr).code(), StatusCode::kCorrupt);
  }
}

TEST(AwsCodec, TruncatedChunkIsReported) {
  TempDir dir;
  std::string p = dir.file("t.aws");
  std::vector<uint8_t> b = aws_header(100, 0, 0xA0);
  append(b, pattern_bytes(40, 1));
  write_file_bytes(p, b);
  auto img = open_image(p, Format::kAws);
  TapeObject obj;
  Status s = img->read(&obj, nullptr);
  ASSERT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.found().find("end of the file at byte 46"), std::string::npos) << s.found();
}

TEST(AwsCodec, BackwardOverChunksFilemarksAndToBot) {
  TempDir dir;
  std::string p = dir.file("t.aws");
  WriteOptions o;
  o.chunk_size = 100;
  std::vector<Obj> objs = {rec(pattern_bytes(250, 1)), fm(), rec(pattern_bytes(99, 2)),
                           rec(pattern_bytes(301, 3)), fm()};
  write_image(p, Format::kAws, objs, o);
  auto img = open_image(p);
  ASSERT_TRUE(img->seek_end_of_data().is_ok());
  std::vector<ObjectKind> kinds;
  std::vector<uint32_t> lengths;
  for (;;) {
    TapeObject obj;
    ASSERT_TRUE(img->step_back(&obj).is_ok());
    if (obj.kind == ObjectKind::kBeginningOfTape) break;
    kinds.push_back(obj.kind);
    lengths.push_back(obj.length);
  }
  EXPECT_EQ(kinds, (std::vector<ObjectKind>{ObjectKind::kFilemark, ObjectKind::kRecord, ObjectKind::kRecord,
                                            ObjectKind::kFilemark, ObjectKind::kRecord}));
  EXPECT_EQ(lengths, (std::vector<uint32_t>{0, 301, 99, 0, 250}));
  EXPECT_EQ(read_all(*img), objs);
}

}  // namespace
}  // namespace vtape::testing
