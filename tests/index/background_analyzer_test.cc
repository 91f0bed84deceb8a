// BackgroundAnalyzer: whatever way the records are cut and however the
// chunks fill (records that share a chunk, records that fill one exactly,
// records larger than a chunk, more records than the pool holds at once),
// the analysis must be the one TapeFileAnalyzer gives for the same records
// in the same order.  Small chunks make every case happen with small data.
#include <gtest/gtest.h>

#include <random>

#include "index/background_analyzer.h"
#include "tests/index/index_test_util.h"

namespace vtape::testing {
namespace {

void expect_same_analysis(const TapeFileAnalysis& actual, const TapeFileAnalysis& expected) {
  EXPECT_EQ(actual.records, expected.records);
  EXPECT_EQ(actual.bytes, expected.bytes);
  EXPECT_EQ(actual.smallest, expected.smallest);
  EXPECT_EQ(actual.largest, expected.largest);
  EXPECT_EQ(actual.digest, expected.digest);
  EXPECT_EQ(actual.digest_algorithm, expected.digest_algorithm);
  EXPECT_EQ(actual.content, expected.content);
  EXPECT_EQ(actual.damage, expected.damage);
  EXPECT_EQ(actual.label_volser, expected.label_volser);
  EXPECT_EQ(actual.label_owner, expected.label_owner);
  expect_same_members(actual.members, expected.members);
}

TapeFileAnalysis analyze_in_background(BackgroundAnalyzer& a, const std::vector<std::vector<uint8_t>>& records) {
  a.start();
  for (const auto& r : records) a.add_record(r);
  return a.finish();
}

// Records of sizes from 1 to `largest` bytes, pseudo-random but the same
// every run.
std::vector<std::vector<uint8_t>> random_records(size_t count, size_t largest, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> size(1, largest);
  std::vector<std::vector<uint8_t>> out;
  for (size_t i = 0; i < count; ++i) out.push_back(pattern_bytes(size(rng), seed + static_cast<uint32_t>(i)));
  return out;
}

TEST(BackgroundAnalyzer, ManySmallRecordsShareChunks) {
  BackgroundAnalyzer a(kDefaultDigest, 4096);
  auto records = random_records(5000, 700, 1);
  expect_same_analysis(analyze_in_background(a, records), analyze_records(records));
}

TEST(BackgroundAnalyzer, RecordsThatFillAChunkExactly) {
  BackgroundAnalyzer a(kDefaultDigest, 4096);
  std::vector<std::vector<uint8_t>> records;
  for (uint32_t i = 0; i < 40; ++i) records.push_back(pattern_bytes(i % 2 == 0 ? 4096 : 2048, i));
  expect_same_analysis(analyze_in_background(a, records), analyze_records(records));
}

TEST(BackgroundAnalyzer, RecordsLargerThanAChunkAndSmallOnesBetween) {
  BackgroundAnalyzer a(kDefaultDigest, 4096);
  std::vector<std::vector<uint8_t>> records;
  for (uint32_t i = 0; i < 30; ++i) records.push_back(pattern_bytes(i % 3 == 0 ? 10000 + i : 100 + i, i));
  expect_same_analysis(analyze_in_background(a, records), analyze_records(records));
}

TEST(BackgroundAnalyzer, ATarArchiveGivesTheSameMembers) {
  TempDir dir;
  std::string root = dir.file("tree");
  ASSERT_TRUE(run_ok("mkdir -p " + shell_quote(root)));
  ASSERT_TRUE(make_tar_tree(root, true, true));
  std::string tar = dir.file("a.tar");
  ASSERT_TRUE(run_ok("tar --sort=name -C " + shell_quote(root) + " -cf " + shell_quote(tar) + " top"));
  std::vector<uint8_t> stream = read_file_bytes(tar);
  for (size_t record_size : {512u, 10240u, 65536u}) {
    SCOPED_TRACE("records of " + std::to_string(record_size));
    BackgroundAnalyzer a(kDefaultDigest, 8192);
    TapeFileAnalysis got = analyze_in_background(a, split_records(stream, record_size));
    EXPECT_EQ(got.content, ContentKind::kTar);
    EXPECT_FALSE(got.members.empty());
    expect_same_analysis(got, analyze_in_records(stream, record_size));
  }
}

TEST(BackgroundAnalyzer, OneAnalyzerServesTapeFileAfterTapeFile) {
  BackgroundAnalyzer a(kDefaultDigest, 4096);
  for (uint32_t file = 0; file < 5; ++file) {
    SCOPED_TRACE("tape file " + std::to_string(file));
    auto records = random_records(300 + file * 100, 3000, 10 + file);
    expect_same_analysis(analyze_in_background(a, records), analyze_records(records));
  }
}

TEST(BackgroundAnalyzer, StartDropsWhatWasNotFinished) {
  BackgroundAnalyzer a(kDefaultDigest, 4096);
  for (const auto& r : random_records(200, 3000, 7)) a.add_record(r);
  auto records = random_records(50, 3000, 8);
  expect_same_analysis(analyze_in_background(a, records), analyze_records(records));
}

TEST(BackgroundAnalyzer, NothingAddedIsAnEmptyTapeFile) {
  BackgroundAnalyzer a(kDefaultDigest);
  a.start();
  expect_same_analysis(a.finish(), analyze_records({}));
}

TEST(BackgroundAnalyzer, DestroyedWithRecordsInFlight) {
  // The destructor stops the worker without waiting for an analysis nobody
  // asks for (and without touching freed memory: ASan watches).
  auto a = std::make_unique<BackgroundAnalyzer>(kDefaultDigest, 4096);
  for (const auto& r : random_records(2000, 4000, 3)) a->add_record(r);
  a.reset();
}

}  // namespace
}  // namespace vtape::testing
