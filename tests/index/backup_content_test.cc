// The Bacula, dump and Amanda detectors on hand-made blocks laid out as the
// formats document them (index/bacula_content.cc, index/dump_content.cc,
// index/amanda_content.cc):
// what they catalog, and damage named with its byte offset, never a crash.
// The real programs' tapes are tested in tests/drives/backup_programs_test.cc
// and amanda_changer_test.cc.
#include <cstring>

#include "tests/index/index_test_util.h"

namespace vtape::testing {
namespace {

// ---- Bacula -------------------------------------------------------------------

void put_be32(std::vector<uint8_t>& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}
void put_string(std::vector<uint8_t>& b, const std::string& s) {
  b.insert(b.end(), s.begin(), s.end());
  b.push_back(0);
}

// A BB02 block holding one PRE_LABEL record, as btape's `label` writes it.
std::vector<uint8_t> bacula_label_block(const std::string& volume, size_t block_size = 64512) {
  std::vector<uint8_t> data;
  put_string(data, "Bacula 1.0 immortal\n");
  put_be32(data, 11);                // VerNum
  data.insert(data.end(), 32, 0);    // label and write times, write date and time
  for (const char* s : {volume.c_str(), "", "Default", "Backup", "LTO-8", "host", "btape", "9.6.7", "2020"}) {
    put_string(data, s);
  }
  std::vector<uint8_t> b;
  put_be32(b, 0);  // checksum
  put_be32(b, static_cast<uint32_t>(24 + 12 + data.size()));
  put_be32(b, 1);  // block number
  b.insert(b.end(), {'B', 'B', '0', '2'});
  put_be32(b, 0);
  put_be32(b, 0);
  put_be32(b, static_cast<uint32_t>(-1));  // PRE_LABEL
  put_be32(b, 0);
  put_be32(b, static_cast<uint32_t>(data.size()));
  b.insert(b.end(), data.begin(), data.end());
  b.resize(block_size, 0);
  return b;
}

TEST(BaculaContent, VolumeLabelNamesTheVolume) {
  TapeFileAnalysis a = analyze_records({bacula_label_block("VOL-42")});
  EXPECT_EQ(a.content.name(), "bacula");
  EXPECT_EQ(a.label_volser, "VOL-42");
  ASSERT_EQ(a.members.size(), 3u);
  EXPECT_EQ(a.members[0].kind, "bacula-volume");
  EXPECT_EQ(a.members[0].path, "VOL-42");
  EXPECT_EQ(a.members[1].path, "Default");
  EXPECT_EQ(a.members[2].path, "LTO-8");
}

TEST(BaculaContent, CutOrForeignBlocksAreNotBacula) {
  std::vector<uint8_t> b = bacula_label_block("VOL-42");
  std::vector<uint8_t> cut(b.begin(), b.begin() + 60);  // the strings are cut off
  EXPECT_EQ(analyze_records({cut}).content, ContentKind::kUnknown);
  std::vector<uint8_t> other = b;
  other[12] = 'X';  // not BB02
  EXPECT_EQ(analyze_records({other}).content, ContentKind::kUnknown);
  std::vector<uint8_t> data_record = b;
  data_record[24 + 3] = 1;  // FileIndex 1: a data record, not a label
  data_record[24 + 0] = data_record[24 + 1] = data_record[24 + 2] = 0;
  EXPECT_EQ(analyze_records({data_record}).content, ContentKind::kUnknown);
}

// ---- dump ---------------------------------------------------------------------

constexpr size_t kBlock = 1024;

struct DumpHeader {
  uint32_t type = 0, inode = 0, count = 0;
  uint16_t mode = 0;
  uint64_t size = 0;
  int32_t date = 1700000000;
  std::vector<uint8_t> addr;
};

void put_le32(std::vector<uint8_t>& b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }

// A TP_BSIZE header block with NFS_MAGIC and a checksum of 84446.
std::vector<uint8_t> dump_header(const DumpHeader& h) {
  std::vector<uint8_t> b(kBlock, 0);
  put_le32(b, 0, h.type);
  put_le32(b, 4, static_cast<uint32_t>(h.date));
  put_le32(b, 20, h.inode);
  put_le32(b, 24, 60012);
  std::memcpy(b.data() + 32, &h.mode, 2);
  std::memcpy(b.data() + 40, &h.size, 8);
  put_le32(b, 56, static_cast<uint32_t>(h.date));
  put_le32(b, 160, h.count);
  std::copy(h.addr.begin(), h.addr.end(), b.begin() + 164);
  std::memcpy(b.data() + 676, "none", 4);
  std::memcpy(b.data() + 696, "/srv", 4);
  std::memcpy(b.data() + 760, "/dev/sdz1", 9);
  uint32_t sum = 0;
  for (size_t i = 0; i < kBlock; i += 4) {
    uint32_t w;
    std::memcpy(&w, b.data() + i, 4);
    sum += w;
  }
  put_le32(b, 28, 84446 - sum);
  return b;
}

void append(std::vector<uint8_t>& to, const std::vector<uint8_t>& b) { to.insert(to.end(), b.begin(), b.end()); }

// A directory block: entries (inode, name) in BSD form.
std::vector<uint8_t> dir_block(const std::vector<std::pair<uint32_t, std::string>>& entries) {
  std::vector<uint8_t> b(kBlock, 0);
  size_t at = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [ino, name] = entries[i];
    auto reclen = static_cast<uint16_t>(i + 1 == entries.size() ? kBlock - at : (8 + name.size() + 4) & ~3u);
    put_le32(b, at, ino);
    std::memcpy(b.data() + at + 4, &reclen, 2);
    b[at + 6] = 8;
    b[at + 7] = static_cast<uint8_t>(name.size());
    std::memcpy(b.data() + at + 8, name.data(), name.size());
    at += reclen;
  }
  return b;
}

// TS_TAPE, TS_CLRI and its map, root directory 2 holding "etc" (11), 11
// holding "motd" (12), file 12 of 1500 bytes in two blocks, TS_END.
std::vector<uint8_t> small_dump() {
  std::vector<uint8_t> s;
  append(s, dump_header({.type = 1, .count = 1, .addr = {0}}));
  append(s, dump_header({.type = 6, .count = 1, .addr = {}}));
  append(s, std::vector<uint8_t>(kBlock, 0xff));
  append(s, dump_header({.type = 2, .inode = 2, .count = 1, .mode = 040755, .size = 1024, .addr = {1}}));
  append(s, dir_block({{2, "."}, {2, ".."}, {11, "etc"}}));
  append(s, dump_header({.type = 2, .inode = 11, .count = 1, .mode = 040755, .size = 1024, .addr = {1}}));
  append(s, dir_block({{11, "."}, {2, ".."}, {12, "motd"}}));
  append(s, dump_header({.type = 2, .inode = 12, .count = 2, .mode = 0100644, .size = 1500, .addr = {1, 1}}));
  append(s, pattern_bytes(2 * kBlock, 3));
  append(s, dump_header({.type = 5, .addr = {}}));
  return s;
}

TEST(DumpContent, FileSystemLevelAndFiles) {
  TapeFileAnalysis a = analyze_records(split_records(small_dump(), 10 * kBlock));
  EXPECT_EQ(a.content.name(), "dump");
  EXPECT_FALSE(a.damage) << *a.damage;
  std::vector<std::string> got;
  for (const auto& m : a.members) got.push_back(m.kind + " " + m.path + " " + std::to_string(m.size));
  EXPECT_EQ(got, (std::vector<std::string>{"dump-filesystem /srv 0", "dump-device /dev/sdz1 0", "dump-level 0 0",
                                           "dump-date 2023-11-14T22:13:20Z 0", "directory ./etc 0",
                                           "file ./etc/motd 1500"}));
}

TEST(DumpContent, ABrokenHeaderIsDamageWithItsOffset) {
  std::vector<uint8_t> s = small_dump();
  s[7 * kBlock + 100] ^= 0x55;  // inode 12's header no longer checksums
  TapeFileAnalysis a = analyze_records(split_records(s, 10 * kBlock));
  EXPECT_EQ(a.content.name(), "dump");
  ASSERT_TRUE(a.damage);
  EXPECT_NE(a.damage->find("no valid header at byte 7168"), std::string::npos) << *a.damage;
  // What came before is kept.
  EXPECT_EQ(a.members.back().path, "./etc");
}

TEST(DumpContent, CutShortIsDamage) {
  std::vector<uint8_t> s = small_dump();
  s.resize(8 * kBlock + 100);
  TapeFileAnalysis a = analyze_records(split_records(s, 10 * kBlock));
  ASSERT_TRUE(a.damage);
  EXPECT_NE(a.damage->find("ends at byte 8292 without its TS_END"), std::string::npos) << *a.damage;
}

TEST(DumpContent, HostileCountsAndEntriesDoNotCrash) {
  std::vector<uint8_t> s;
  append(s, dump_header({.type = 1, .count = 0xffffffff, .addr = {}}));  // c_count beyond c_addr[]
  append(s, dump_header({.type = 2, .inode = 2, .count = 1, .mode = 040755, .size = ~0ull, .addr = {1}}));
  std::vector<uint8_t> bad(kBlock, 0);
  put_le32(bad, 0, 5);
  uint16_t reclen = 4000;  // past the block
  std::memcpy(bad.data() + 4, &reclen, 2);
  append(s, bad);
  append(s, dump_header({.type = 99, .addr = {}}));
  TapeFileAnalysis a = analyze_records({s});
  EXPECT_EQ(a.content.name(), "dump");
  ASSERT_TRUE(a.damage);
  EXPECT_NE(a.damage->find("c_count 4294967295"), std::string::npos) << *a.damage;
  // Every single byte flipped in turn: damage or not, never a crash.
  std::vector<uint8_t> good = small_dump();
  for (size_t i = 0; i < good.size(); i += 7) {
    std::vector<uint8_t> f = good;
    f[i] ^= 0xa5;
    analyze_records({f});
  }
}

// ---- Amanda -------------------------------------------------------------------

// An Amanda header block: the text, NUL-padded to 32 KiB as taper writes it.
std::vector<uint8_t> amanda_header(const std::string& text) {
  std::vector<uint8_t> b(text.begin(), text.end());
  b.resize(32768, 0);
  return b;
}

TEST(AmandaContent, TapeStartNamesTheLabelAndOtherHeadersAreDescribed) {
  TapeFileAnalysis start = analyze_records({amanda_header("AMANDA: TAPESTART DATE 20261207101010 TAPE VT0001\n\014\n")});
  EXPECT_EQ(start.content.name(), "amanda");
  EXPECT_EQ(start.label_volser, "VT0001");
  ASSERT_EQ(start.members.size(), 1u);
  EXPECT_EQ(start.members[0].kind, "amanda-label");

  // A compressed dump, with a quoted disk name: described, not read.
  TapeFileAnalysis gz = analyze_records(
      {amanda_header("AMANDA: SPLIT_FILE 20261207101010 db1 \"/srv/my data\" part 1/-1 lev 2 comp .gz program GNUTAR\n"),
       std::vector<uint8_t>(32768, 0x1f)});
  EXPECT_EQ(gz.content.name(), "amanda");
  ASSERT_EQ(gz.members.size(), 1u);
  EXPECT_EQ(gz.members[0].kind, "amanda-dump");
  EXPECT_EQ(gz.members[0].path, "db1:/srv/my data level 2 part 1");

  EXPECT_EQ(analyze_records({amanda_header("AMANDA: TAPEEND DATE 20261207101010\n")}).content.name(), "amanda");
  // Not Amanda's: another first word, or a dump line cut short.
  EXPECT_EQ(analyze_records({amanda_header("AMANDA: WHATEVER 1 2 3\n")}).content, ContentKind::kUnknown);
  EXPECT_EQ(analyze_records({amanda_header("AMANDA: FILE 20261207101010 db1 /srv lev\n")}).content,
            ContentKind::kUnknown);
  EXPECT_EQ(analyze_records({amanda_header("AMANDA: FILE 20261207 db1 \"/srv lev 0 comp N\n")}).content,
            ContentKind::kUnknown);
}

// An uncompressed GNU tar dump is read for its members, with data offsets
// from the tape file's first byte: the header block's 32 KiB included.
TEST(AmandaContent, AnUncompressedTarDumpListsItsMembersPastTheHeader) {
  TempDir dir;
  ASSERT_TRUE(make_tar_tree(dir.path(), false, false));
  std::string archive = dir.file("dump.tar");
  ASSERT_TRUE(run_ok("tar --format=gnu --sort=name -C " + shell_quote(dir.path()) + " -cf " + shell_quote(archive) +
                     " top"));
  std::vector<uint8_t> tar = read_file_bytes(archive);
  ASSERT_FALSE(tar.empty());
  std::vector<std::vector<uint8_t>> records{
      amanda_header("AMANDA: SPLIT_FILE 20261207101010 localhost /srv  part 1/-1  lev 0 comp N program /bin/tar\n"
                    "To restore, position tape at start of file and run:\n\tdd if=<tape> bs=32k skip=1 | "
                    "/bin/tar -xpGf - ...\n")};
  for (size_t at = 0; at < tar.size(); at += 32768) {
    records.emplace_back(tar.begin() + static_cast<ptrdiff_t>(at),
                         tar.begin() + static_cast<ptrdiff_t>(std::min(tar.size(), at + 32768)));
  }
  TapeFileAnalysis a = analyze_records(records);
  EXPECT_EQ(a.content.name(), "amanda-tar");
  EXPECT_FALSE(a.damage) << *a.damage;
  const TapeMember* big = nullptr;
  for (const TapeMember& m : a.members) {
    if (m.path == "top/sub/big.bin") big = &m;
  }
  ASSERT_NE(big, nullptr);
  std::vector<uint8_t> expected = read_file_bytes(dir.file("top/sub/big.bin"));
  ASSERT_EQ(big->size, expected.size());
  ASSERT_GE(big->data_offset, 32768u);
  auto in_tar = static_cast<ptrdiff_t>(big->data_offset - 32768);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), tar.begin() + in_tar));

  // The same dump compressed, or encrypted, is only described.
  records[0] = amanda_header("AMANDA: FILE 20261207101010 localhost /srv lev 0 comp N program GNUTAR crypt enc\n");
  EXPECT_EQ(analyze_records(records).content.name(), "amanda");
  records[0] = amanda_header("AMANDA: FILE 20261207101010 localhost /srv lev 0 comp .gz program GNUTAR\n");
  EXPECT_EQ(analyze_records(records).content.name(), "amanda");
}

}  // namespace
}  // namespace vtape::testing
