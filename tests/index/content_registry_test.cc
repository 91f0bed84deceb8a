// The registry of content detectors (index/content_detector.h): a detector
// added at run time is used by the analyzer, in the table's order, and its
// content name and members are what the catalog gets; removing it brings
// back the old answer.
#include <gtest/gtest.h>

#include <cstring>

#include "index/content_detector.h"
#include "tests/index/index_test_util.h"

namespace vtape::testing {
namespace {

// A made-up format: records beginning "VTEST1", each naming one member.
class TestFormatReader : public ContentReader {
 public:
  void add_record(std::span<const uint8_t> record) override {
    members_.push_back(TapeMember{"file", str_of(record.subspan(6)), record.size(), 0644, 0, offset_ + 6, ""});
    offset_ += record.size();
  }
  void finish(TapeFileAnalysis& out) override { out.members = std::move(members_); }

 private:
  std::vector<TapeMember> members_;
  uint64_t offset_ = 0;
};

ContentDetector test_format_detector() {
  return ContentDetector{
      "test-format",
      [](std::span<const uint8_t> first) { return first.size() >= 6 && std::memcmp(first.data(), "VTEST1", 6) == 0; },
      [] { return std::make_unique<TestFormatReader>(); },
      /*members_have_data=*/true,
  };
}

TEST(ContentRegistry, ADetectorAddedAtRunTimeIsUsedAndItsMembersReachTheAnalysis) {
  std::vector<std::vector<uint8_t>> records = {bytes_of("VTEST1alpha.txt"), bytes_of("VTEST1beta.txt")};
  EXPECT_EQ(analyze_records(records).content, ContentKind::kUnknown);
  EXPECT_FALSE(content_has_member_data("test-format"));

  add_content_detector(test_format_detector());
  TapeFileAnalysis a = analyze_records(records);
  remove_content_detector("test-format");

  EXPECT_EQ(a.content, ContentKind("test-format"));
  EXPECT_EQ(content_name(a.content), std::string("test-format"));
  ASSERT_EQ(a.members.size(), 2u);
  EXPECT_EQ(a.members[0].path, "alpha.txt");
  EXPECT_EQ(a.members[1].path, "beta.txt");
  EXPECT_EQ(a.members[1].data_offset, 15u + 6u);
  EXPECT_FALSE(a.damage);
  EXPECT_EQ(a.records, 2u);  // the analyzer's own bookkeeping is unchanged
  EXPECT_EQ(analyze_records(records).content, ContentKind::kUnknown);  // removed again
}

TEST(ContentRegistry, AddedDetectorsComeAfterTheBuiltInOnes) {
  // Matches everything: a tar archive stays tar, anything else is the new kind.
  add_content_detector(ContentDetector{
      "catch-all", [](std::span<const uint8_t>) { return true; },
      [] { return std::make_unique<TestFormatReader>(); }});
  TempDir dir;
  write_file_bytes(dir.file("x"), {'x'});
  bool made = run_ok("tar -cf " + shell_quote(dir.file("x.tar")) + " -C " + shell_quote(dir.path()) + " x");
  TapeFileAnalysis tar = analyze_in_records(read_file_bytes(dir.file("x.tar")), 10240);
  TapeFileAnalysis other = analyze_records({bytes_of("something else")});
  bool found = content_has_member_data("catch-all");
  remove_content_detector("catch-all");
  ASSERT_TRUE(made);
  EXPECT_EQ(tar.content, ContentKind::kTar);
  EXPECT_EQ(other.content, ContentKind("catch-all"));
  EXPECT_FALSE(found);  // members_have_data defaults to false
  EXPECT_TRUE(content_has_member_data("tar"));
  EXPECT_TRUE(content_has_member_data("cpio"));
  EXPECT_FALSE(content_has_member_data("ansi-labels"));
}

TEST(ContentRegistry, ADetectorOfArchivesIsAlsoLookedForInsideCompressedData) {
  add_content_detector(test_format_detector());
  TempDir dir;
  write_file_bytes(dir.file("plain"), bytes_of("VTEST1inside.txt"));
  bool made = run_ok("gzip -c " + shell_quote(dir.file("plain")) + " > " + shell_quote(dir.file("plain.gz")));
  TapeFileAnalysis a = analyze_in_records(read_file_bytes(dir.file("plain.gz")), 10240);
  remove_content_detector("test-format");
  ASSERT_TRUE(made);
  EXPECT_EQ(a.content, ContentKind("test-format"));
  EXPECT_EQ(a.compression, "gzip");
  ASSERT_EQ(a.members.size(), 1u);
  EXPECT_EQ(a.members[0].path, "inside.txt");
}

}  // namespace
}  // namespace vtape::testing
