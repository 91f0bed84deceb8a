// cpio archives made by the real GNU cpio in its newc, odc and binary
// formats, read back by CpioParser through TapeFileAnalyzer record by
// record: names, kinds, sizes, modes, mtimes and data_offset (checked by
// reading the archive there).
#include <gtest/gtest.h>

#include "index/cpio_parser.h"
#include "tests/index/index_test_util.h"

namespace vtape::testing {
namespace {

class CpioFormats : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    root_ = dir_.file("tree");
    ASSERT_TRUE(run_ok("mkdir -p " + shell_quote(root_)));
    ASSERT_TRUE(make_tar_tree(root_, true, true));
    std::string archive = dir_.file("a.cpio");
    ASSERT_TRUE(run_ok("cd " + shell_quote(root_) + " && find top | LC_ALL=C sort | cpio --quiet -o -H " + GetParam() +
                       " > " + shell_quote(archive)));
    archive_ = read_file_bytes(archive);
    names_ = output_lines("cpio --quiet -it < " + shell_quote(archive));
    ASSERT_GT(names_.size(), 8u);
  }

  TempDir dir_;
  std::string root_;
  std::vector<uint8_t> archive_;
  std::vector<std::string> names_;
};

INSTANTIATE_TEST_SUITE_P(GnuCpio, CpioFormats, ::testing::Values("newc", "odc", "bin"));

TEST_P(CpioFormats, MembersAtEveryRecordSize) {
  for (size_t record : {size_t{512}, size_t{5120}, size_t{10240}, size_t{1} << 20}) {
    SCOPED_TRACE("records of " + std::to_string(record));
    TapeFileAnalysis a = analyze_in_records(archive_, record);
    EXPECT_EQ(a.content, ContentKind::kCpio);
    EXPECT_FALSE(a.damage) << *a.damage;
    ASSERT_EQ(a.members.size(), names_.size()) << describe_members(a.members);
    for (size_t i = 0; i < a.members.size(); ++i) {
      const TapeMember& m = a.members[i];
      SCOPED_TRACE("member " + m.path);
      EXPECT_EQ(m.path, names_[i]);
      std::string on_disk = root_ + "/" + m.path;
      TreeEntry e = tree_entry(on_disk);
      EXPECT_EQ(m.kind, e.kind);
      EXPECT_EQ(m.mode, e.mode);
      EXPECT_EQ(m.mtime, e.mtime);
      ASSERT_LE(m.data_offset + m.size, archive_.size());
      if (e.kind == "directory") {
        EXPECT_EQ(m.size, 0u);
        continue;
      }
      struct stat st {};
      ASSERT_EQ(lstat(on_disk.c_str(), &st), 0);
      if (m.size == 0 && e.size != 0) {
        // newc stores a hard-linked file's data once, with its last link.
        EXPECT_GT(st.st_nlink, 1u);
        continue;
      }
      EXPECT_EQ(m.size, e.size);
      // A file's bytes, or a symlink's target, start at data_offset.
      EXPECT_TRUE(str_of(std::span<const uint8_t>(archive_).subspan(m.data_offset, m.size)) == e.content)
          << "the archive does not hold the member's bytes at " << m.data_offset;
    }
  }
}

TEST_P(CpioFormats, ParserFedSevenBytesAtATime) {
  TapeFileAnalysis reference = analyze_in_records(archive_, 512);
  CpioParser p;
  std::span<const uint8_t> all(archive_);
  for (size_t at = 0; at < all.size() && !p.done(); at += 7)
    p.feed(all.subspan(at, std::min<size_t>(7, all.size() - at)));
  p.finish();
  EXPECT_FALSE(p.damage());
  expect_same_members(p.members(), reference.members);
}

TEST_P(CpioFormats, AnArchiveCutShortIsDamage) {
  TapeFileAnalysis good = analyze_in_records(archive_, 512);
  size_t k = 0;
  while (k < good.members.size() && good.members[k].path != "top/sub/big.bin") ++k;
  ASSERT_LT(k, good.members.size());
  uint64_t cut = good.members[k].data_offset + 100;
  std::vector<uint8_t> part(archive_.begin(), archive_.begin() + static_cast<ptrdiff_t>(cut));
  TapeFileAnalysis a = analyze_in_records(part, 512);
  EXPECT_EQ(a.content, ContentKind::kCpio);
  ASSERT_TRUE(a.damage);
  EXPECT_NE(a.damage->find("TRAILER!!!"), std::string::npos) << *a.damage;
  EXPECT_NE(a.damage->find("byte " + std::to_string(cut)), std::string::npos) << *a.damage;
  expect_same_members(a.members, std::vector<TapeMember>(good.members.begin(), good.members.begin() + k + 1));
}

TEST_P(CpioFormats, ADamagedHeaderIsDamageAtItsOffset) {
  TapeFileAnalysis good = analyze_in_records(archive_, 512);
  size_t k = 0;
  while (k < good.members.size() && good.members[k].path != "top/sub/big.bin") ++k;
  ASSERT_LT(k, good.members.size());
  // The header of the member after big.bin starts where big.bin's data
  // (padded) ends; ruin its magic.
  uint64_t end = good.members[k].data_offset + good.members[k].size;
  uint64_t align = GetParam() == "newc" ? 4 : GetParam() == "bin" ? 2 : 1;
  uint64_t next = (end + align - 1) / align * align;
  std::vector<uint8_t> bad = archive_;
  bad[next] = 'X';
  bad[next + 1] = 'X';
  TapeFileAnalysis a = analyze_in_records(bad, 512);
  ASSERT_TRUE(a.damage);
  EXPECT_NE(a.damage->find("byte " + std::to_string(next)), std::string::npos) << *a.damage;
  expect_same_members(a.members, std::vector<TapeMember>(good.members.begin(), good.members.begin() + k + 1));
}

// GNU cpio writes the binary format in the host's byte order; a big-endian
// one (from a VAX-less, 68k or SPARC machine) is made by hand.
TEST(CpioHandMade, BigEndianBinaryFormat) {
  std::vector<uint8_t> a;
  auto be16 = [&](uint32_t v) {
    a.push_back(static_cast<uint8_t>(v >> 8));
    a.push_back(static_cast<uint8_t>(v));
  };
  auto entry = [&](const std::string& name, uint32_t mode, uint32_t mtime, const std::string& data) {
    be16(070707);
    be16(1);   // dev
    be16(42);  // ino
    be16(mode);
    be16(1000);  // uid
    be16(1000);  // gid
    be16(1);     // nlink
    be16(0);     // rdev
    be16(mtime >> 16);
    be16(mtime & 0xFFFF);
    be16(static_cast<uint32_t>(name.size() + 1));
    be16(static_cast<uint32_t>(data.size() >> 16));
    be16(static_cast<uint32_t>(data.size() & 0xFFFF));
    a.insert(a.end(), name.begin(), name.end());
    a.push_back(0);
    if (a.size() % 2) a.push_back(0);
    a.insert(a.end(), data.begin(), data.end());
    if (a.size() % 2) a.push_back(0);
  };
  entry("hello.txt", 0100640, 1700000000, "hi!");
  entry("dir", 040755, 1600000000, "");
  entry("TRAILER!!!", 0, 0, "");
  a.resize(512, 0);
  TapeFileAnalysis r = analyze_in_records(a, 512);
  EXPECT_EQ(r.content, ContentKind::kCpio);
  EXPECT_FALSE(r.damage);
  ASSERT_EQ(r.members.size(), 2u) << describe_members(r.members);
  EXPECT_EQ(r.members[0].path, "hello.txt");
  EXPECT_EQ(r.members[0].kind, "file");
  EXPECT_EQ(r.members[0].size, 3u);
  EXPECT_EQ(r.members[0].mode, 0640u);
  EXPECT_EQ(r.members[0].mtime, 1700000000);
  EXPECT_EQ(r.members[0].data_offset, 36u);
  EXPECT_EQ(str_of(std::span<const uint8_t>(a).subspan(36, 3)), "hi!");
  EXPECT_EQ(r.members[1].kind, "directory");
  EXPECT_EQ(r.members[1].mtime, 1600000000);
}

}  // namespace
}  // namespace vtape::testing
