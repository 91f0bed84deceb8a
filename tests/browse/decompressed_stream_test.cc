// DecompressedStream: the content of a compressed tape file read at any
// offset, forwards, backwards and out of order, equals the decompressed
// bytes; a read before what it keeps starts again from the beginning, a
// read within its window does not.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "fuse/decompressed_stream.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

TEST(DecompressedStream, ReadsAnywhereMatchTheContent) {
  TempDir dir;
  // 6 MB, half random, half runs: compressed by the real gzip.
  std::vector<uint8_t> content = pattern_bytes(3'000'000, 5);
  content.resize(6'000'000, 'r');
  write_file_bytes(dir.file("c"), content);
  ASSERT_EQ(run_command("gzip -c " + shell_quote(dir.file("c")) + " > " + shell_quote(dir.file("c.gz"))).exit_code, 0);
  std::vector<uint8_t> compressed = read_file_bytes(dir.file("c.gz"));
  std::unique_ptr<TapeImage> img;
  ASSERT_TRUE(TapeImage::create(dir.file("t.tap"), Format::kSimh, WriteOptions{}, true, &img).is_ok());
  TapeFileLocation loc;
  loc.image_path = dir.file("t.tap");
  loc.format = Format::kSimh;
  for (size_t at = 0; at < compressed.size(); at += 10240) {
    size_t n = std::min<size_t>(10240, compressed.size() - at);
    ASSERT_TRUE(img->write_record(std::span<const uint8_t>(compressed.data() + at, n)).is_ok());
    loc.largest = std::max<uint32_t>(loc.largest, static_cast<uint32_t>(n));
  }
  ASSERT_TRUE(img->write_filemark().is_ok());
  ASSERT_TRUE(img->close().is_ok());
  loc.bytes = compressed.size();

  std::unique_ptr<TapeFileStream> raw;
  ASSERT_TRUE(TapeFileStream::open(loc, nullptr, &raw).is_ok());
  DecompressedStream s(std::move(raw), *find_compression("gzip"));
  auto expect_read = [&](uint64_t offset, size_t n) {
    std::vector<uint8_t> got(n);
    size_t count = 0;
    Status st = s.read(offset, n, got.data(), &count);
    ASSERT_TRUE(st.is_ok()) << st.message();
    size_t expect = offset >= content.size() ? 0 : std::min<size_t>(n, content.size() - offset);
    ASSERT_EQ(count, expect) << "at " << offset;
    EXPECT_TRUE(std::equal(got.begin(), got.begin() + static_cast<long>(count),
                           content.begin() + static_cast<long>(std::min<uint64_t>(offset, content.size()))))
        << "at " << offset;
  };
  // In order, as cat reads: one pass.
  for (uint64_t off = 0; off < content.size(); off += 131072) expect_read(off, 131072);
  EXPECT_EQ(s.starts(), 1u);
  // Slightly back (read-ahead out of order): from the window.
  expect_read(content.size() - 300'000, 4096);
  EXPECT_EQ(s.starts(), 1u);
  expect_read(content.size() + 5, 10);  // past the end: nothing
  // Far back: starts again.
  expect_read(10, 100);
  EXPECT_EQ(s.starts(), 2u);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 40; ++i) expect_read(rng() % (content.size() + 1000), 1 + rng() % 200'000);
}

}  // namespace
}  // namespace vtape::testing
