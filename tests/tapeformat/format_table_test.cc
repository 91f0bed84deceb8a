// The format table (tapeformat/format_table.h) is what every part of vtape
// asks about a format, so each row must say what its codec really does:
// every writable format takes a record of its largest size, writes exactly
// framed_size() bytes for it, and reads it back; names and extensions lead
// back to their row; detection can reach every format.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <random>

#include <fmt/format.h>

#include "tapeformat/codec.h"
#include "tapeformat/format_table.h"
#include "tapeformat/tape_image.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

// A ByteSink that keeps what is appended to it in memory, as a stream sink
// would hand it on.
class MemorySink : public ByteSink {
 public:
  uint64_t position() const override { return bytes.size(); }
  Status append_object(std::span<const std::span<const uint8_t>> pieces) override {
    for (auto piece : pieces) bytes.insert(bytes.end(), piece.begin(), piece.end());
    ++objects;
    return Status::ok();
  }
  std::vector<uint8_t> bytes;
  int objects = 0;
};

// Bytes that no compressor makes smaller (a HET record of them is stored
// uncompressed, so its framed size is known).
std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = static_cast<uint8_t>(gen());
  return out;
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<uint64_t>(st.st_size);
}

std::string image_name(const FormatSpec& spec) { return "t" + std::string(spec.extensions.front()); }

TEST(FormatTable, EveryWritableFormatRoundTripsItsLargestRecordInItsFramedSize) {
  int writable = 0;
  for (const FormatSpec& spec : format_table()) {
    if (!spec.writable) continue;
    ++writable;
    SCOPED_TRACE(std::string(spec.name));
    ASSERT_NE(spec.framed_size, nullptr);
    TempDir dir;
    std::string path = dir.file(image_name(spec));
    auto data = random_bytes(spec.max_record_size, 7);
    {
      std::unique_ptr<TapeImage> image;
      ASSERT_TRUE(TapeImage::create(path, spec.format, WriteOptions{}, false, &image).is_ok());
      Status s = image->write_record(data);
      ASSERT_TRUE(s.is_ok()) << s.message();
      // One byte more than the row allows is refused, and nothing is written.
      std::vector<uint8_t> too_big(size_t(spec.max_record_size) + 1, 0x55);
      EXPECT_FALSE(image->write_record(too_big).is_ok());
      ASSERT_TRUE(image->close().is_ok());
    }
    EXPECT_EQ(file_size(path), spec.framed_size(data.size(), WriteOptions{}));

    std::unique_ptr<TapeImage> image;
    Status s = TapeImage::open(path, {}, &image);
    ASSERT_TRUE(s.is_ok()) << s.message();
    EXPECT_EQ(image->format(), spec.format);
    TapeObject obj;
    std::vector<uint8_t> back;
    ASSERT_TRUE(image->read(&obj, &back).is_ok());
    EXPECT_EQ(obj.kind, ObjectKind::kRecord);
    EXPECT_TRUE(back == data) << "the record read back differs";
    ASSERT_TRUE(image->read(&obj, nullptr).is_ok());
    EXPECT_EQ(obj.kind, ObjectKind::kEndOfData);
  }
  EXPECT_GE(writable, 5);
}

TEST(FormatTable, FramedSizeIsWhatTheCodecWritesIntoAnySink) {
  // Lengths around every boundary of the framings: odd and even (SIMH pad),
  // one AWS chunk and the next, with the default and a small chunk size.
  const size_t lengths[] = {1, 2, 3, 80, 511, 512, 65534, 65535, 65536, 65537, 131070, 131071, 200001};
  WriteOptions small_chunks;
  small_chunks.chunk_size = 1000;
  for (const FormatSpec& spec : format_table()) {
    if (!spec.writable) continue;
    for (const WriteOptions& options : {WriteOptions{}, small_chunks}) {
      auto codec = spec.make_codec(options);
      ASSERT_NE(codec, nullptr);
      EXPECT_EQ(codec->format(), spec.format);
      MemorySink sink;
      uint64_t expected = 0;
      for (size_t n : lengths) {
        SCOPED_TRACE(fmt::format("{} record of {} bytes, chunks of {}", spec.name, n, options.chunk_size));
        uint64_t before = sink.position();
        Status s = codec->write_record(sink, random_bytes(n, static_cast<uint32_t>(n)), false);
        ASSERT_TRUE(s.is_ok()) << s.message();
        EXPECT_EQ(sink.position() - before, spec.framed_size(n, options));
        expected += spec.framed_size(n, options);
      }
      ASSERT_TRUE(codec->write_filemark(sink).is_ok());
      EXPECT_EQ(sink.objects, static_cast<int>(std::size(lengths)) + 1);

      // The sink's bytes are a valid image of the format: the same records
      // read back from a file holding them.
      TempDir dir;
      std::string path = dir.file(image_name(spec));
      {
        ImageFile file;
        ASSERT_TRUE(file.create(path, false).is_ok());
        std::span<const uint8_t> all[1] = {sink.bytes};
        ASSERT_TRUE(file.append_object(all).is_ok());
        ASSERT_TRUE(file.close().is_ok());
      }
      std::unique_ptr<TapeImage> image;
      OpenOptions open;
      open.format = spec.format;
      open.write = options;
      ASSERT_TRUE(TapeImage::open(path, open, &image).is_ok());
      for (size_t n : lengths) {
        TapeObject obj;
        std::vector<uint8_t> back;
        Status s = image->read(&obj, &back);
        ASSERT_TRUE(s.is_ok()) << image->describe(s);
        ASSERT_EQ(obj.kind, ObjectKind::kRecord);
        EXPECT_TRUE(back == random_bytes(n, static_cast<uint32_t>(n))) << spec.name << " record of " << n;
      }
      TapeObject obj;
      ASSERT_TRUE(image->read(&obj, nullptr).is_ok());
      EXPECT_EQ(obj.kind, ObjectKind::kFilemark);
      EXPECT_GT(expected, 0u);
    }
  }
}

TEST(FormatTable, NamesAndExtensionsLeadBackToTheirRow) {
  for (const FormatSpec& spec : format_table()) {
    SCOPED_TRACE(std::string(spec.name));
    EXPECT_EQ(&format_spec(spec.format), &spec);
    EXPECT_EQ(format_name(spec.format), spec.name);
    EXPECT_EQ(parse_format(spec.name), spec.format);
    ASSERT_FALSE(spec.extensions.empty());
    EXPECT_EQ(format_extension(spec.format), spec.extensions.front());
    for (std::string_view ext : spec.extensions) {
      EXPECT_EQ(format_from_extension("/x/y" + std::string(ext)), spec.format) << ext;
    }
    EXPECT_EQ(format_is_writable(spec.format), spec.writable);
    EXPECT_EQ(format_max_record_size(spec.format), spec.max_record_size);
    EXPECT_NE(format_names(", ").find(spec.name), std::string::npos);
    EXPECT_EQ(format_names("|", true).find(spec.name) != std::string::npos, spec.writable);
  }
  EXPECT_EQ(all_formats().size(), format_table().size());
}

TEST(FormatTable, DetectionReachesEveryFormat) {
  for (const FormatSpec& spec : format_table()) {
    SCOPED_TRACE(std::string(spec.name));
    ASSERT_FALSE(spec.read_by.empty());
    for (Format trial : spec.read_by) {
      EXPECT_GT(format_spec(trial).detection_rank, 0) << format_name(trial) << " is never tried";
    }
  }
}

}  // namespace
}  // namespace vtape::testing
