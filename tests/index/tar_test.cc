// tar archives made by the real GNU tar in every format it writes (gnu,
// posix/pax, ustar, v7), read back by TarParser and TapeFileAnalyzer as a
// drive would hand them over: record by record at 512 bytes, 10 KiB, 1 MiB,
// and in odd pieces.  Every member is checked against the tree it came from
// (name, kind, size, mode, mtime, link target) and its data_offset by
// reading the archive's bytes there.
#include <gtest/gtest.h>

#include <random>

#include "index/tar_parser.h"
#include "tests/index/index_test_util.h"

namespace vtape::testing {
namespace {

struct TarCase {
  std::string format;
  bool long_names;   // paths over 100 characters
  bool long_target;  // a symlink target over 100 characters
};

std::string case_name(const ::testing::TestParamInfo<TarCase>& info) { return info.param.format; }
void PrintTo(const TarCase& c, std::ostream* os) { *os << "--format=" << c.format; }

// Archive of ROOT/top made by GNU tar, members in name order.
std::vector<uint8_t> make_tar(const TempDir& dir, const std::string& root, const std::string& format,
                              const std::string& extra = "") {
  std::string archive = dir.file(format + ".tar");
  if (!run_ok("tar --format=" + format + " --sort=name " + extra + " -C " + shell_quote(root) + " -cf " +
              shell_quote(archive) + " top")) {
    return {};
  }
  return read_file_bytes(archive);
}

std::vector<std::string> tar_names(const TempDir& dir, const std::string& format) {
  return output_lines("tar --quoting-style=literal -tf " + shell_quote(dir.file(format + ".tar")));
}

std::string without_trailing_slash(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// Checks members against the tree and the archive bytes.
void check_members(const std::vector<TapeMember>& members, const std::vector<std::string>& names,
                   const std::vector<uint8_t>& archive, const std::string& root) {
  ASSERT_EQ(members.size(), names.size()) << describe_members(members);
  int hardlinks = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    const TapeMember& m = members[i];
    SCOPED_TRACE("member " + std::to_string(i) + ": " + m.path);
    EXPECT_EQ(m.path, names[i]);
    std::string on_disk = root + "/" + without_trailing_slash(m.path);
    TreeEntry e = tree_entry(on_disk);
    EXPECT_EQ(m.mode, e.mode);
    EXPECT_EQ(m.mtime, e.mtime);
    EXPECT_EQ(m.data_offset % 512, 0u);
    ASSERT_GE(m.data_offset, 512u);
    ASSERT_LE(m.data_offset, archive.size());
    if (m.kind == "hardlink") {
      ++hardlinks;
      EXPECT_EQ(e.kind, "file");
      EXPECT_EQ(m.size, 0u);
      // The target is another member, the same inode.
      struct stat a {
      }, b{};
      ASSERT_EQ(lstat(on_disk.c_str(), &a), 0);
      ASSERT_EQ(lstat((root + "/" + m.link_target).c_str(), &b), 0) << m.link_target;
      EXPECT_EQ(a.st_ino, b.st_ino);
      EXPECT_NE(std::find(names.begin(), names.end(), m.link_target), names.end());
      continue;
    }
    EXPECT_EQ(m.kind, e.kind);
    if (e.kind == "file") {
      EXPECT_EQ(m.size, e.size);
      ASSERT_LE(m.data_offset + m.size, archive.size());
      // The data starts at data_offset.
      EXPECT_TRUE(str_of(std::span<const uint8_t>(archive).subspan(m.data_offset, m.size)) == e.content)
          << "the archive does not hold the file's bytes at " << m.data_offset;
      EXPECT_TRUE(m.link_target.empty());
    } else if (e.kind == "symlink") {
      EXPECT_EQ(m.link_target, e.link_target);
      EXPECT_EQ(m.size, 0u);
    } else {
      EXPECT_EQ(m.size, 0u);
    }
  }
  EXPECT_EQ(hardlinks, 1);
}

class TarFormats : public ::testing::TestWithParam<TarCase> {
 protected:
  void SetUp() override {
    root_ = dir_.file("tree");
    ASSERT_TRUE(run_ok("mkdir -p " + shell_quote(root_)));
    ASSERT_TRUE(make_tar_tree(root_, GetParam().long_names, GetParam().long_target));
    if (GetParam().format != "v7") {
      // A name with a space and UTF-8 bytes, kept exactly as written.
      ASSERT_TRUE(run_ok("cd " + shell_quote(root_) +
                         " && printf 'accents' > 'top/caf\xc3\xa9 na\xc3\xafve.txt' && "
                         "touch -d @1234567890 'top/caf\xc3\xa9 na\xc3\xafve.txt' top"));
    }
    archive_ = make_tar(dir_, root_, GetParam().format);
    ASSERT_FALSE(archive_.empty());
    names_ = tar_names(dir_, GetParam().format);
    ASSERT_GT(names_.size(), 8u);
  }

  TempDir dir_;
  std::string root_;
  std::vector<uint8_t> archive_;
  std::vector<std::string> names_;
};

INSTANTIATE_TEST_SUITE_P(GnuTar, TarFormats,
                         ::testing::Values(TarCase{"gnu", true, true}, TarCase{"posix", true, true},
                                           TarCase{"ustar", true, false}, TarCase{"v7", false, false}),
                         case_name);

TEST_P(TarFormats, TheTreeIsWhatTheTestExpects) {
  // The archive really needs the format's long-name mechanism.
  bool long_path = false;
  for (const auto& n : names_) long_path |= n.size() > 100;
  EXPECT_EQ(long_path, GetParam().long_names);
  EXPECT_EQ(archive_.size() % 10240, 0u);  // tar's default record size
}

TEST_P(TarFormats, MembersAtEveryRecordSize) {
  for (size_t record : {size_t{512}, size_t{10240}, size_t{1} << 20}) {
    SCOPED_TRACE("records of " + std::to_string(record));
    TapeFileAnalysis a = analyze_in_records(archive_, record);
    EXPECT_EQ(a.content, ContentKind::kTar);
    EXPECT_FALSE(a.damage) << *a.damage;
    EXPECT_EQ(a.bytes, archive_.size());
    EXPECT_EQ(a.records, (archive_.size() + record - 1) / record);
    EXPECT_EQ(a.digest, xxhsum_of(archive_));
    check_members(a.members, names_, archive_, root_);
  }
}

TEST_P(TarFormats, ParserFedInOddPiecesFindsTheSameMembers) {
  TapeFileAnalysis reference = analyze_in_records(archive_, 10240);
  std::span<const uint8_t> all(archive_);
  // 7 bytes per feed.
  {
    TarParser p;
    for (size_t at = 0; at < all.size() && !p.done(); at += 7)
      p.feed(all.subspan(at, std::min<size_t>(7, all.size() - at)));
    p.finish();
    EXPECT_FALSE(p.damage()) << *p.damage();
    expect_same_members(p.members(), reference.members);
  }
  // One byte per feed, and random pieces up to 3000 bytes (header and data
  // boundaries fall anywhere in a piece).
  {
    TarParser p;
    for (size_t at = 0; at < all.size(); ++at) p.feed(all.subspan(at, 1));
    p.finish();
    EXPECT_FALSE(p.damage());
    expect_same_members(p.members(), reference.members);
  }
  std::mt19937 rng(11);
  for (int round = 0; round < 5; ++round) {
    TarParser p;
    for (size_t at = 0; at < all.size();) {
      size_t n = std::min<size_t>(all.size() - at, rng() % 3000);
      p.feed(all.subspan(at, n));
      at += n;
    }
    p.finish();
    EXPECT_FALSE(p.damage());
    expect_same_members(p.members(), reference.members);
  }
  // Through the analyzer: a first record of 512 bytes, then odd records.
  {
    TapeFileAnalyzer a(kDefaultDigest);
    a.add_record(all.first(512));
    size_t sizes[] = {7, 513, 10241, 1, 65537};
    size_t k = 0;
    for (size_t at = 512; at < all.size();) {
      size_t n = std::min(sizes[k++ % 5], all.size() - at);
      a.add_record(all.subspan(at, n));
      at += n;
    }
    TapeFileAnalysis r = a.finish();
    EXPECT_EQ(r.content, ContentKind::kTar);
    EXPECT_FALSE(r.damage);
    expect_same_members(r.members, reference.members);
    EXPECT_EQ(r.digest, reference.digest);
    EXPECT_EQ(r.smallest, 1u);
    EXPECT_EQ(r.largest, std::min<size_t>(65537, archive_.size() - 512));
  }
}

TEST_P(TarFormats, ACorruptHeaderInTheMiddleIsDamageAtItsOffset) {
  TapeFileAnalysis good = analyze_in_records(archive_, 10240);
  // The header of top/sub/big.bin: some members come before it.
  size_t k = 0;
  while (k < good.members.size() && good.members[k].path != "top/sub/big.bin") ++k;
  ASSERT_LT(k, good.members.size());
  ASSERT_GT(k, 2u);
  uint64_t header = good.members[k].data_offset - 512;
  for (int how = 0; how < 2; ++how) {
    SCOPED_TRACE(how == 0 ? "checksum field changed" : "a name byte changed");
    std::vector<uint8_t> bad = archive_;
    if (how == 0) {
      // A different (valid octal) checksum.
      std::string sum(reinterpret_cast<const char*>(&bad[header + 148]), 6);
      sum[5] = sum[5] == '1' ? '2' : '1';
      std::copy(sum.begin(), sum.end(), bad.begin() + static_cast<ptrdiff_t>(header + 148));
    } else {
      bad[header + 5] ^= 0x20;
    }
    for (size_t record : {size_t{512}, size_t{10240}}) {
      TapeFileAnalysis a = analyze_in_records(bad, record);
      EXPECT_EQ(a.content, ContentKind::kTar);
      ASSERT_TRUE(a.damage);
      EXPECT_NE(a.damage->find("byte " + std::to_string(header) + " "), std::string::npos) << *a.damage;
      // Members before the damage are kept as they were.
      ASSERT_EQ(a.members.size(), k) << describe_members(a.members);
      expect_same_members(a.members, std::vector<TapeMember>(good.members.begin(), good.members.begin() + k));
      // The file's statistics still cover all of it.
      EXPECT_EQ(a.bytes, bad.size());
      EXPECT_EQ(a.digest, xxhsum_of(bad));
    }
  }
}

TEST_P(TarFormats, AnArchiveCutShortIsDamage) {
  TapeFileAnalysis good = analyze_in_records(archive_, 10240);
  size_t k = 0;
  while (k < good.members.size() && good.members[k].path != "top/sub/big.bin") ++k;
  ASSERT_LT(k, good.members.size());
  // Cut inside big.bin's data, and right before its header.
  for (uint64_t cut : {good.members[k].data_offset + 1000, good.members[k].data_offset - 512}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    std::vector<uint8_t> part(archive_.begin(), archive_.begin() + static_cast<ptrdiff_t>(cut));
    TapeFileAnalysis a = analyze_in_records(part, 512);
    EXPECT_EQ(a.content, ContentKind::kTar);
    ASSERT_TRUE(a.damage);
    EXPECT_NE(a.damage->find("byte " + std::to_string(cut)), std::string::npos) << *a.damage;
    size_t kept = cut > good.members[k].data_offset ? k + 1 : k;
    expect_same_members(a.members, std::vector<TapeMember>(good.members.begin(), good.members.begin() + kept));
  }
}

// tar -b 2048 pads the archive to 1 MiB records: the same members, one or
// two records.
TEST(TarBlocking, ABlockingFactorOf2048GivesOneMiBRecords) {
  TempDir dir;
  std::string root = dir.file("tree");
  ASSERT_TRUE(run_ok("mkdir -p " + shell_quote(root)));
  ASSERT_TRUE(make_tar_tree(root, true, true));
  std::vector<uint8_t> archive = make_tar(dir, root, "gnu", "-b 2048");
  ASSERT_EQ(archive.size() % (1u << 20), 0u);
  TapeFileAnalysis a = analyze_in_records(archive, 1u << 20);
  EXPECT_EQ(a.content, ContentKind::kTar);
  EXPECT_FALSE(a.damage);
  EXPECT_EQ(a.smallest, 1u << 20);
  check_members(a.members, tar_names(dir, "gnu"), archive, root);
}

// ---- hand-made headers -------------------------------------------------------

// A 512-byte tar header with a correct checksum.
std::vector<uint8_t> header(const std::string& name, char type, uint64_t size, bool ustar) {
  std::vector<uint8_t> h(512, 0);
  auto put = [&](size_t at, const std::string& s) {
    std::copy(s.begin(), s.end(), h.begin() + static_cast<ptrdiff_t>(at));
  };
  put(0, name);
  put(100, "0000644");
  put(108, "0001750");
  put(116, "0001750");
  char buf[16];
  std::snprintf(buf, sizeof buf, "%011llo", static_cast<unsigned long long>(size));
  put(124, buf);
  put(136, "14524770400");  // 1700000000
  h[156] = static_cast<uint8_t>(type);
  if (ustar) {
    put(257, std::string("ustar\0", 6));
    put(263, "00");
  }
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
  std::snprintf(buf, sizeof buf, "%06o", sum);
  put(148, buf);
  h[155] = ' ';
  return h;
}

TEST(TarHandMade, OldStyleDirectoryIsMarkedByItsTrailingSlash) {
  std::vector<uint8_t> a = header("olddir/", '\0', 0, false);
  auto f = header("olddir/file", '\0', 3, false);
  a.insert(a.end(), f.begin(), f.end());
  std::vector<uint8_t> data(512, 0);
  data[0] = 'a';
  data[1] = 'b';
  data[2] = 'c';
  a.insert(a.end(), data.begin(), data.end());
  a.resize(a.size() + 1024, 0);
  TapeFileAnalysis r = analyze_in_records(a, 512);
  EXPECT_EQ(r.content, ContentKind::kTar);
  EXPECT_FALSE(r.damage);
  ASSERT_EQ(r.members.size(), 2u);
  EXPECT_EQ(r.members[0].kind, "directory");
  EXPECT_EQ(r.members[0].path, "olddir/");
  EXPECT_EQ(r.members[1].kind, "file");
  EXPECT_EQ(r.members[1].size, 3u);
  EXPECT_EQ(r.members[1].mtime, 1700000000);
  EXPECT_EQ(r.members[1].mode, 0644u);
  EXPECT_EQ(r.members[1].data_offset, 1024u);
}

TEST(TarHandMade, AnEmptyArchiveIsNotTar) {
  // Only the end-of-archive blocks: nothing says "tar".
  std::vector<uint8_t> a(10240, 0);
  TapeFileAnalysis r = analyze_in_records(a, 10240);
  EXPECT_EQ(r.content, ContentKind::kUnknown);
  EXPECT_TRUE(r.members.empty());
}

TEST(TarHandMade, IsTarHeaderWantsTheChecksum) {
  auto h = header("x", '0', 0, true);
  EXPECT_TRUE(is_tar_header(h));
  h[0] = 'y';
  EXPECT_FALSE(is_tar_header(h));
  EXPECT_FALSE(is_tar_header(std::vector<uint8_t>(512, 0)));
  EXPECT_FALSE(is_tar_header(std::vector<uint8_t>(100, 'a')));
}

// Times before 1970: GNU tar writes them base-256 (gnu) or as pax mtime
// records (posix).
TEST(TarTimes, MtimesBefore1970) {
  for (std::string format : {"gnu", "posix"}) {
    SCOPED_TRACE(format);
    TempDir dir;
    std::string root = dir.file("tree");
    ASSERT_TRUE(run_ok("mkdir -p " + shell_quote(root) + "/top && cd " + shell_quote(root) +
                       " && printf old > top/old && touch -d @-100 top/old && touch -d @-86400000 top"));
    std::vector<uint8_t> archive = make_tar(dir, root, format);
    TapeFileAnalysis a = analyze_in_records(archive, 10240);
    EXPECT_FALSE(a.damage);
    ASSERT_EQ(a.members.size(), 2u) << describe_members(a.members);
    EXPECT_EQ(a.members[0].mtime, -86400000);
    EXPECT_EQ(a.members[1].mtime, -100);
    EXPECT_EQ(a.members[1].size, 3u);
  }
}

// Sizes of 8 GiB and more do not fit the octal field: GNU writes them
// base-256 (first byte 0x80).
TEST(TarHandMade, Base256Size) {
  std::vector<uint8_t> h = header("huge.img", '0', 0, false);
  // 8 GiB + 1, base-256 in the 12-byte size field.
  std::fill(h.begin() + 124, h.begin() + 136, 0);
  h[124] = 0x80;
  uint64_t size = (8ull << 30) + 1;
  for (int i = 0; i < 8; ++i) h[135 - i] = static_cast<uint8_t>(size >> (8 * i));
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06o", sum);
  std::copy(buf, buf + 6, h.begin() + 148);
  ASSERT_TRUE(is_tar_header(h));
  std::vector<uint8_t> stream = h;
  stream.resize(10240, 0x55);
  TapeFileAnalysis a = analyze_in_records(stream, 10240);
  EXPECT_EQ(a.content, ContentKind::kTar);
  ASSERT_EQ(a.members.size(), 1u);
  EXPECT_EQ(a.members[0].size, size);
  EXPECT_EQ(a.members[0].data_offset, 512u);
  ASSERT_TRUE(a.damage);  // the data is cut short
}

}  // namespace
}  // namespace vtape::testing
