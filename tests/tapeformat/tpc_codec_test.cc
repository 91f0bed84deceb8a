// TPC: 16-bit lengths without trailers, read only, backward motion through
// the index built on open.
#include <gtest/gtest.h>

#include "tests/tapeformat/test_images.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

void put_tpc_record(std::vector<uint8_t>& v, const std::vector<uint8_t>& data) {
  put_le16(v, static_cast<uint16_t>(data.size()));
  v.insert(v.end(), data.begin(), data.end());
  if (data.size() & 1) v.push_back(0);
}

TEST(TpcCodec, ReadsRecordsFilemarksAndEndOfMedium) {
  TempDir dir;
  std::string p = dir.file("t.tpc");
  std::vector<uint8_t> b;
  put_tpc_record(b, {'A', 'B', 'C'});
  put_le16(b, 0);
  put_tpc_record(b, pattern_bytes(65535, 2));
  put_le16(b, 0);
  put_le16(b, 0xFFFF);  // end of medium, only as the last word
  write_file_bytes(p, b);
  auto img = open_image(p);
  ASSERT_TRUE(img);
  EXPECT_EQ(img->format(), Format::kTpc);
  EXPECT_EQ(read_all(*img), (std::vector<Obj>{rec("ABC"), fm(), rec(pattern_bytes(65535, 2)), fm()}));
}

TEST(TpcCodec, BackwardMotionAcrossManyCheckpoints) {
  TempDir dir;
  std::string p = dir.file("t.tpc");
  std::vector<uint8_t> b;
  std::vector<Obj> objs;
  for (int i = 0; i < 1000; ++i) {
    auto d = pattern_bytes(1 + (i * 7) % 97, i);
    put_tpc_record(b, d);
    objs.push_back(rec(d));
    if (i % 100 == 99) {
      put_le16(b, 0);
      objs.push_back(fm());
    }
  }
  write_file_bytes(p, b);
  auto img = open_image(p, Format::kTpc);
  EXPECT_EQ(read_all(*img), objs);
  // Walk all the way back, checking each object against what was written.
  for (size_t i = objs.size(); i-- > 0;) {
    TapeObject obj;
    ASSERT_TRUE(img->step_back(&obj).is_ok()) << i;
    ASSERT_EQ(obj.kind == ObjectKind::kFilemark, objs[i].filemark) << i;
    if (!objs[i].filemark) {
      ASSERT_EQ(obj.length, objs[i].data.size()) << i;
    }
  }
  TapeObject obj;
  ASSERT_TRUE(img->step_back(&obj).is_ok());
  EXPECT_EQ(obj.kind, ObjectKind::kBeginningOfTape);
  EXPECT_EQ(img->position().object_index, 0u);
}

TEST(TpcCodec, IsReadOnly) {
  TempDir dir;
  std::unique_ptr<TapeImage> img;
  EXPECT_EQ(TapeImage::create(dir.file("t.tpc"), Format::kTpc, {}, true, &img).code(),
            StatusCode::kNotSupported);
  std::vector<uint8_t> b;
  put_tpc_record(b, {'A', 'B'});
  write_file_bytes(dir.file("r.tpc"), b);
  OpenOptions o;
  o.writable = true;
  o.format = Format::kTpc;
  EXPECT_EQ(TapeImage::open(dir.file("r.tpc"), o, &img).code(), StatusCode::kNotSupported);
}

TEST(TpcCodec, TruncatedRecordIsReported) {
  TempDir dir;
  std::string p = dir.file("t.tpc");
  std::vector<uint8_t> b;
  put_tpc_record(b, {'A', 'B'});
  put_le16(b, 300);
  b.resize(b.size() + 20);
  write_file_bytes(p, b);
  auto img = open_image(p, Format::kTpc);
  TapeObject obj;
  ASSERT_TRUE(img->read(&obj, nullptr).is_ok());
  Status s = img->read(&obj, nullptr);
  ASSERT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.offset(), 4u);
}

}  // namespace
}  // namespace vtape::testing
