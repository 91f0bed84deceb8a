// Content recognition from a tape file's first record (the rules of
// tape-formats.md, "Tape labels and content seen inside tape files"): ANSI
// and IBM standard labels, OpenVMS BACKUP savesets, Pick/D3 labels, and
// anything else as unknown.
#include <gtest/gtest.h>

#include "index/tape_labels.h"
#include "tests/index/index_test_util.h"

namespace vtape::testing {
namespace {

std::vector<std::vector<uint8_t>> ascii_records(const std::vector<std::string>& texts) {
  std::vector<std::vector<uint8_t>> out;
  for (const auto& t : texts) out.push_back(bytes_of(t));
  return out;
}

std::vector<std::vector<uint8_t>> ebcdic_records(const std::vector<std::string>& texts) {
  std::vector<std::vector<uint8_t>> out;
  for (const auto& t : texts) out.push_back(to_ebcdic(t));
  return out;
}

TEST(Labels, AnsiVolumeAndHeaderLabels) {
  auto records = ascii_records({vol1_text("VT0001", "J SMITH"), hdr1_text("PAYROLL.DAT", 1), hdr2_text(2048, 80)});
  TapeFileAnalysis a = analyze_records(records);
  EXPECT_EQ(a.content, ContentKind::kAnsiLabels);
  EXPECT_EQ(content_name(a.content), std::string("ansi-labels"));
  EXPECT_EQ(a.label_volser, "VT0001");
  EXPECT_EQ(a.label_owner, "J SMITH");
  ASSERT_EQ(a.members.size(), 1u);
  EXPECT_EQ(a.members[0].kind, "hdr1");
  EXPECT_EQ(a.members[0].path, "PAYROLL.DAT");
  EXPECT_FALSE(a.damage);
  EXPECT_EQ(a.records, 3u);
  EXPECT_EQ(a.bytes, 240u);
  EXPECT_EQ(a.smallest, 80u);
  EXPECT_EQ(a.largest, 80u);
}

TEST(Labels, AnsiHeaderFileWithoutVol1AndTrailerLabels) {
  TapeFileAnalysis h = analyze_records(ascii_records({hdr1_text("SECOND.FILE", 2), hdr2_text(512, 512)}));
  EXPECT_EQ(h.content, ContentKind::kAnsiLabels);
  EXPECT_EQ(h.label_volser, "");
  ASSERT_EQ(h.members.size(), 1u);
  EXPECT_EQ(h.members[0].path, "SECOND.FILE");
  // The trailer labels after a file's data: labels, but no members.
  TapeFileAnalysis e = analyze_records(ascii_records({eof1_text("SECOND.FILE", 12), label_text("EOF2", {})}));
  EXPECT_EQ(e.content, ContentKind::kAnsiLabels);
  EXPECT_TRUE(e.members.empty());
}

TEST(Labels, IbmStandardLabelsInEbcdic) {
  // IBM puts the owner in columns 42-51.
  auto records = ebcdic_records(
      {label_text("VOL1", {{5, "IBM001"}, {42, "SYSPROG"}}), hdr1_text("SYS1.DUMP01", 1), hdr2_text(32760, 4096)});
  ASSERT_EQ(records[0][0], 0xE5);  // 'V' in EBCDIC
  ASSERT_EQ(records[0][3], 0xF1);  // '1'
  TapeFileAnalysis a = analyze_records(records);
  EXPECT_EQ(a.content, ContentKind::kIbmLabels);
  EXPECT_EQ(content_name(a.content), std::string("ibm-labels"));
  EXPECT_EQ(a.label_volser, "IBM001");
  EXPECT_EQ(a.label_owner, "SYSPROG");
  ASSERT_EQ(a.members.size(), 1u);
  EXPECT_EQ(a.members[0].kind, "hdr1");
  EXPECT_EQ(a.members[0].path, "SYS1.DUMP01");
}

TEST(Labels, ParseTapeLabelFields) {
  auto l = parse_tape_label(bytes_of(hdr1_text("A.B.C", 3)));
  ASSERT_TRUE(l);
  EXPECT_EQ(l->id, "HDR1");
  EXPECT_EQ(l->charset, LabelCharset::kAscii);
  EXPECT_EQ(l->file_id, "A.B.C");
  EXPECT_EQ(l->text.size(), 80u);
  auto e = parse_tape_label(to_ebcdic(vol1_text("XY1234", "OWNER")));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->charset, LabelCharset::kEbcdic);
  EXPECT_EQ(e->volser, "XY1234");
  EXPECT_EQ(e->owner, "OWNER");
  EXPECT_EQ(e->text.substr(0, 10), "VOL1XY1234");
}

TEST(Labels, NotALabel) {
  // Right letters, wrong length.
  std::string t = vol1_text("VT0001", "X");
  EXPECT_FALSE(parse_tape_label(bytes_of(t + " ")));
  EXPECT_FALSE(parse_tape_label(bytes_of(t.substr(0, 79))));
  // Right length and letters, but binary data after them.
  auto b = bytes_of(t);
  b[20] = 0x01;
  EXPECT_FALSE(parse_tape_label(b));
  TapeFileAnalysis a = analyze_records({b});
  EXPECT_EQ(a.content, ContentKind::kUnknown);
  // An id that is not a label's.
  EXPECT_FALSE(parse_tape_label(bytes_of(label_text("ABCD", {}))));
}

TEST(VmsBackup, SavesetBlocks) {
  std::vector<std::vector<uint8_t>> records;
  for (uint32_t i = 1; i <= 3; ++i) records.push_back(vms_backup_block("USERS.BCK", 8192, i));
  TapeFileAnalysis a = analyze_records(records);
  EXPECT_EQ(a.content, ContentKind::kVmsBackup);
  EXPECT_EQ(content_name(a.content), std::string("vms-backup"));
  ASSERT_EQ(a.members.size(), 1u);
  EXPECT_EQ(a.members[0].kind, "saveset");
  EXPECT_EQ(a.members[0].path, "USERS.BCK");
  EXPECT_EQ(a.records, 3u);
  EXPECT_FALSE(a.damage);
}

TEST(VmsBackup, BlockSizeMustBeTheRecordLength) {
  auto b = vms_backup_block("USERS.BCK", 8192, 1);
  b.resize(4096);  // header says 8192
  EXPECT_EQ(analyze_records({b}).content, ContentKind::kUnknown);
  auto c = vms_backup_block("USERS.BCK", 8192, 1);
  c[48] = 40;  // name longer than 31
  EXPECT_EQ(analyze_records({c}).content, ContentKind::kUnknown);
}

TEST(PickLabel, HeaderTextIsTheMember) {
  std::vector<std::vector<uint8_t>> records = {pick_label("INVENTORY"), pattern_bytes(500, 1), pattern_bytes(500, 2)};
  TapeFileAnalysis a = analyze_records(records);
  EXPECT_EQ(a.content, ContentKind::kPickLabel);
  EXPECT_EQ(content_name(a.content), std::string("pick-label"));
  ASSERT_EQ(a.members.size(), 1u);
  EXPECT_EQ(a.members[0].kind, "pick-label");
  EXPECT_EQ(a.members[0].path, "INVENTORY");
  EXPECT_EQ(a.records, 3u);
}

TEST(PickLabel, NeedsHexBlockLength) {
  auto l = pick_label("DATA");
  l[3] = 'G';
  EXPECT_EQ(analyze_records({l}).content, ContentKind::kUnknown);
}

TEST(Unknown, ArbitraryDataHasNoMembersAndNoDamage) {
  for (size_t n : {size_t{1}, size_t{80}, size_t{512}, size_t{10240}}) {
    TapeFileAnalysis a = analyze_records({pattern_bytes(n, 99), pattern_bytes(n, 98)});
    EXPECT_EQ(a.content, ContentKind::kUnknown) << n;
    EXPECT_EQ(content_name(a.content), std::string("unknown"));
    EXPECT_TRUE(a.members.empty());
    EXPECT_FALSE(a.damage);
    EXPECT_EQ(a.records, 2u);
  }
}

TEST(Unknown, ContentIsDecidedByTheFirstRecord) {
  // Labels after a first record of data do not make a label file.
  TapeFileAnalysis a = analyze_records({pattern_bytes(100, 1), bytes_of(vol1_text("VT0001", "X"))});
  EXPECT_EQ(a.content, ContentKind::kUnknown);
  EXPECT_EQ(a.label_volser, "");
}

TEST(Analyzer, EmptyFile) {
  TapeFileAnalyzer an(kDefaultDigest);
  TapeFileAnalysis a = an.finish();
  EXPECT_EQ(a.records, 0u);
  EXPECT_EQ(a.bytes, 0u);
  EXPECT_EQ(a.smallest, 0u);
  EXPECT_EQ(a.largest, 0u);
  EXPECT_EQ(a.content, ContentKind::kUnknown);
  EXPECT_EQ(a.digest, "99aa06d3014798d86001c324468d497f");  // xxhsum -H2 < /dev/null
  EXPECT_EQ(a.digest_algorithm, "xxh3-128");
}

}  // namespace
}  // namespace vtape::testing
