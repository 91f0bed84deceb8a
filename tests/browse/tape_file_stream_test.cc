// TapeFileStream: a tape file's records read as one stream at any offset, in
// every writable format, with the shared record index.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "fuse/tape_file_stream.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

struct Built {
  TapeFileLocation location;
  std::vector<uint8_t> bytes;  // the tape file's records end to end
  uint64_t records = 0;
};

// An image with a short tape file 0 and a tape file 1 of `records` records
// of varied sizes (some compressible, some not); returns file 1.
Built build_image(const std::string& path, Format format, uint64_t records) {
  Built b;
  std::unique_ptr<TapeImage> img;
  Status s = TapeImage::create(path, format, WriteOptions{}, true, &img);
  EXPECT_TRUE(s.is_ok()) << s.message();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(img->write_record(pattern_bytes(800, 90 + i)).is_ok());
  EXPECT_TRUE(img->write_filemark().is_ok());
  b.location.image_path = path;
  b.location.format = format;
  b.location.image_offset = img->position().offset;
  std::mt19937 rng(7);
  for (uint64_t r = 0; r < records; ++r) {
    size_t n = 1 + rng() % 20000;
    std::vector<uint8_t> rec = (r % 3 == 0) ? std::vector<uint8_t>(n, static_cast<uint8_t>(r))
                                            : pattern_bytes(n, static_cast<uint32_t>(r));
    EXPECT_TRUE(img->write_record(rec).is_ok());
    b.bytes.insert(b.bytes.end(), rec.begin(), rec.end());
    b.location.largest = std::max<uint32_t>(b.location.largest, static_cast<uint32_t>(n));
  }
  EXPECT_TRUE(img->write_filemark().is_ok());
  EXPECT_TRUE(img->write_record(pattern_bytes(100, 3)).is_ok());  // file 2
  EXPECT_TRUE(img->write_filemark().is_ok());
  EXPECT_TRUE(img->close().is_ok());
  b.location.bytes = b.bytes.size();
  b.records = records;
  return b;
}

void expect_reads_match(TapeFileStream& s, const Built& b, uint64_t offset, size_t n) {
  std::vector<uint8_t> got(n);
  size_t count = 0;
  Status st = s.read(offset, n, got.data(), &count);
  ASSERT_TRUE(st.is_ok()) << st.message();
  size_t expect = offset >= b.bytes.size() ? 0 : std::min<size_t>(n, b.bytes.size() - offset);
  ASSERT_EQ(count, expect) << "at " << offset;
  EXPECT_TRUE(std::equal(got.begin(), got.begin() + static_cast<long>(count),
                         b.bytes.begin() + static_cast<long>(std::min<uint64_t>(offset, b.bytes.size()))))
      << "at " << offset << " size " << n;
}

class BrowseStream : public ::testing::TestWithParam<Format> {};

TEST_P(BrowseStream, RandomReadsMatchTheRecords) {
  TempDir dir;
  Built b = build_image(dir.file("t.img"), GetParam(), 700);
  std::unique_ptr<TapeFileStream> s;
  ASSERT_TRUE(TapeFileStream::open(b.location, nullptr, &s).is_ok());
  std::mt19937_64 rng(42);
  for (int i = 0; i < 300; ++i) {
    uint64_t off = rng() % (b.bytes.size() + 1000);
    size_t n = 1 + rng() % 70000;
    expect_reads_match(*s, b, off, n);
  }
  // Sequential reads of the whole file, and reads at both ends.
  for (uint64_t off = 0; off < b.bytes.size(); off += 131072) expect_reads_match(*s, b, off, 131072);
  expect_reads_match(*s, b, 0, 1);
  expect_reads_match(*s, b, b.bytes.size() - 1, 10);
  expect_reads_match(*s, b, b.bytes.size(), 10);
}

TEST_P(BrowseStream, TheSharedIndexSparesLaterStreamsTheWalk) {
  TempDir dir;
  Built b = build_image(dir.file("t.img"), GetParam(), 1000);
  auto index = std::make_shared<RecordIndex>(b.location.image_offset);
  std::unique_ptr<TapeFileStream> first, second;
  ASSERT_TRUE(TapeFileStream::open(b.location, index, &first).is_ok());
  expect_reads_match(*first, b, b.bytes.size() - 5, 5);
  EXPECT_GE(first->records_walked(), b.records - 1);
  EXPECT_GE(index->checkpoints(), b.records / RecordIndex::kStride);
  ASSERT_TRUE(TapeFileStream::open(b.location, index, &second).is_ok());
  expect_reads_match(*second, b, b.bytes.size() / 2, 4096);
  EXPECT_LE(second->records_walked(), RecordIndex::kStride + 2);
  // Backwards, a little: within the stream's own recent boundaries.
  uint64_t walked = second->records_walked();
  expect_reads_match(*second, b, b.bytes.size() / 2 - 30000, 4096);
  EXPECT_LE(second->records_walked() - walked, RecordIndex::kStride + 2);
}

TEST_P(BrowseStream, ConcurrentReadersOfOneStreamGetTheirOwnBytes) {
  TempDir dir;
  Built b = build_image(dir.file("t.img"), GetParam(), 300);
  std::unique_ptr<TapeFileStream> s;
  ASSERT_TRUE(TapeFileStream::open(b.location, nullptr, &s).is_ok());
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t));
      std::vector<uint8_t> buf(65536);
      for (int i = 0; i < 100; ++i) {
        uint64_t off = rng() % b.bytes.size();
        size_t got = 0;
        if (!s->read(off, buf.size(), buf.data(), &got).is_ok() ||
            got != std::min<size_t>(buf.size(), b.bytes.size() - off) ||
            !std::equal(buf.begin(), buf.begin() + static_cast<long>(got), b.bytes.begin() + static_cast<long>(off))) {
          ++bad;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_P(BrowseStream, ATapeFileShorterThanTheCatalogSaysIsAnError) {
  TempDir dir;
  Built b = build_image(dir.file("t.img"), GetParam(), 20);
  b.location.bytes += 100;
  std::unique_ptr<TapeFileStream> s;
  ASSERT_TRUE(TapeFileStream::open(b.location, nullptr, &s).is_ok());
  std::vector<uint8_t> buf(200);
  size_t got = 0;
  Status st = s->read(b.bytes.size() - 100, buf.size(), buf.data(), &got);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt) << st.message();
  EXPECT_NE(st.message().find("a filemark"), std::string::npos) << st.message();
}

INSTANTIATE_TEST_SUITE_P(Formats, BrowseStream, ::testing::Values(Format::kSimh, Format::kE11, Format::kAws, Format::kHet),
                         [](const ::testing::TestParamInfo<Format>& info) {
                           switch (info.param) {
                             case Format::kSimh: return std::string("Simh");
                             case Format::kE11: return std::string("E11");
                             case Format::kAws: return std::string("Aws");
                             case Format::kHet: return std::string("Het");
                             default: return std::string("Other");
                           }
                         });

}  // namespace
}  // namespace vtape::testing
