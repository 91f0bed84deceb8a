// Compressed archives on tape (tar -z, -j, -J, --zstd and compressed cpio),
// made by the real programs and cut into records as a drive would get them:
// the archive inside is cataloged with the compression named; a truncated
// or corrupt stream keeps the members before the damage and records the
// damage, never a crash.
#include <gtest/gtest.h>

#include "index/decompressor.h"
#include "tests/index/index_test_util.h"

namespace vtape::testing {
namespace {

struct Kind {
  const char* name;        // as the catalog records it
  const char* tar_option;  // tar's option for it
  const char* program;     // the compressor, for cpio
};

const Kind kKinds[] = {
    {"gzip", "-z", "gzip"}, {"bzip2", "-j", "bzip2"}, {"xz", "-J", "xz"}, {"zstd", "--zstd", "zstd"}};

class CompressedContent : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (!have_program(GetParam().program)) GTEST_SKIP() << GetParam().program << " is not installed";
    std::string src = dir_.file("src");
    ASSERT_TRUE(run_ok("mkdir -p " + shell_quote(src + "/sub")));
    // Random data does not compress: the archive spans many records, and
    // more than one bzip2 block (900 kB).
    write_file_bytes(src + "/first.bin", pattern_bytes(1'000'000, 1));
    write_file_bytes(src + "/sub/second.txt", bytes_of(std::string(50'000, 'a')));
    write_file_bytes(src + "/sub/third.bin", pattern_bytes(300'000, 3));
  }
  std::vector<uint8_t> tar_archive() {
    std::string out = dir_.file("a");
    EXPECT_TRUE(run_ok("tar -c " + std::string(GetParam().tar_option) + " -f " + shell_quote(out) + " -C " +
                       shell_quote(dir_.path()) + " src/first.bin src/sub"));
    return read_file_bytes(out);
  }
  TempDir dir_;
};

TEST_P(CompressedContent, TheTarInsideIsCatalogedWithTheCompressionNamed) {
  TapeFileAnalysis a = analyze_in_records(tar_archive(), 10240);
  EXPECT_EQ(a.content, ContentKind::kTar);
  EXPECT_EQ(a.compression, GetParam().name);
  EXPECT_FALSE(a.damage) << *a.damage;
  std::vector<std::string> paths;
  for (const auto& m : a.members) paths.push_back(m.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"src/first.bin", "src/sub/", "src/sub/second.txt", "src/sub/third.bin"}))
      << ::testing::PrintToString(paths);
  ASSERT_EQ(a.members.size(), 4u);
  EXPECT_EQ(a.members[0].size, 1'000'000u);
  EXPECT_EQ(a.members[0].data_offset, 512u);  // in the decompressed stream
}

TEST_P(CompressedContent, ATruncatedStreamKeepsTheMembersBeforeTheCutAndRecordsIt) {
  std::vector<uint8_t> whole = tar_archive();
  // Well before the end, past the first bzip2 block (bzip2 gives out
  // nothing of a block it does not have whole).
  std::vector<uint8_t> cut(whole.begin(), whole.begin() + static_cast<ptrdiff_t>(whole.size() * 4 / 5));
  TapeFileAnalysis a = analyze_in_records(cut, 10240);
  EXPECT_EQ(a.content, ContentKind::kTar);
  EXPECT_EQ(a.compression, GetParam().name);
  ASSERT_FALSE(a.members.empty());
  EXPECT_EQ(a.members[0].path, "src/first.bin");
  ASSERT_TRUE(a.damage);
  EXPECT_NE(a.damage->find(std::string(GetParam().name) + " data ends early"), std::string::npos) << *a.damage;
}

TEST_P(CompressedContent, CorruptDataIsRecordedAsDamageNeverACrash) {
  std::vector<uint8_t> whole = tar_archive();
  // Garbage over the compressed data past the first bzip2 block (random
  // data is stored as it is by the other compressors: only the stream's
  // check at its end sees the damage).
  for (size_t i = whole.size() * 4 / 5; i < whole.size() * 4 / 5 + 4096; ++i) {
    whole[i] = static_cast<uint8_t>(i * 7 + 1);
  }
  TapeFileAnalysis a = analyze_in_records(whole, 10240);
  EXPECT_EQ(a.content, ContentKind::kTar);
  EXPECT_EQ(a.compression, GetParam().name);
  ASSERT_FALSE(a.members.empty());
  EXPECT_EQ(a.members[0].path, "src/first.bin");
  ASSERT_TRUE(a.damage);
  EXPECT_NE(a.damage->find(GetParam().name), std::string::npos) << *a.damage;
}

TEST_P(CompressedContent, ACompressedCpioArchiveIsCatalogedToo) {
  std::string archive = dir_.file("a.cpio.z");
  ASSERT_TRUE(run_ok("cd " + shell_quote(dir_.path()) + " && find src | LC_ALL=C sort | cpio -o -H newc --quiet | " +
                     GetParam().program + " -c > " + shell_quote(archive)));
  TapeFileAnalysis a = analyze_in_records(read_file_bytes(archive), 512);
  EXPECT_EQ(a.content, ContentKind::kCpio);
  EXPECT_EQ(a.compression, GetParam().name);
  EXPECT_FALSE(a.damage) << *a.damage;
  EXPECT_EQ(a.members.size(), 5u);  // src, src/first.bin, src/sub and its two files
}

INSTANTIATE_TEST_SUITE_P(Compressions, CompressedContent, ::testing::ValuesIn(kKinds),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(CompressedContentMore, StreamsOneAfterAnotherAndZeroPaddingAreOneArchive) {
  // pigz and pbzip2 write several streams; tar pads its last record with
  // zeros.  Here a tar archive is cut in two, each half gzipped, the two
  // streams concatenated and padded.
  TempDir dir;
  write_file_bytes(dir.file("one.bin"), pattern_bytes(100'000, 4));
  write_file_bytes(dir.file("two.bin"), pattern_bytes(100'000, 5));
  ASSERT_TRUE(run_ok("cd " + shell_quote(dir.path()) + " && tar -cf x.tar one.bin two.bin && head -c 60000 x.tar | "
                     "gzip -c > x.gz && tail -c +60001 x.tar | gzip -c >> x.gz"));
  std::vector<uint8_t> data = read_file_bytes(dir.file("x.gz"));
  data.resize(data.size() + 5000, 0);
  TapeFileAnalysis a = analyze_in_records(data, 10240);
  EXPECT_EQ(a.content, ContentKind::kTar);
  EXPECT_EQ(a.compression, "gzip");
  EXPECT_FALSE(a.damage) << *a.damage;
  ASSERT_EQ(a.members.size(), 2u);
  EXPECT_EQ(a.members[1].path, "two.bin");
}

TEST(CompressedContentMore, CompressedDataThatIsNoArchiveIsUnknownWithItsCompression) {
  TempDir dir;
  write_file_bytes(dir.file("text"), bytes_of(std::string(100'000, 'z')));
  ASSERT_TRUE(run_ok("xz -c " + shell_quote(dir.file("text")) + " > " + shell_quote(dir.file("text.xz"))));
  TapeFileAnalysis a = analyze_in_records(read_file_bytes(dir.file("text.xz")), 10240);
  EXPECT_EQ(a.content, ContentKind::kUnknown);
  EXPECT_EQ(a.compression, "xz");
  EXPECT_TRUE(a.members.empty());
  EXPECT_FALSE(a.damage);
}

TEST(CompressedContentMore, TheDecompressorHandsOutContentInBoundedPieces) {
  // 20 MB of zeros compress to a few kilobytes: the content still comes
  // out in pieces of at most one chunk.
  TempDir dir;
  ASSERT_TRUE(run_ok("head -c 20000000 /dev/zero | zstd -q -c > " + shell_quote(dir.file("z.zst"))));
  std::vector<uint8_t> in = read_file_bytes(dir.file("z.zst"));
  StreamDecompressor d(*find_compression("zstd"));
  size_t largest = 0;
  uint64_t total = 0;
  std::span<const uint8_t> rest(in);
  ASSERT_TRUE(d.feed(rest, [&](std::span<const uint8_t> piece) {
    largest = std::max(largest, piece.size());
    total += piece.size();
    return true;
  }));
  EXPECT_TRUE(rest.empty());
  EXPECT_TRUE(d.finish());
  EXPECT_EQ(total, 20'000'000u);
  EXPECT_LE(largest, StreamDecompressor::kChunk);
}

}  // namespace
}  // namespace vtape::testing
