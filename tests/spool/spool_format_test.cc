// The spool header record (its documented layout, strict decoding), the
// records a printer and a punch keep, and selection criteria.
#include <gtest/gtest.h>

#include <cstring>

#include "index/spool_catalog.h"
#include "index/spool_header.h"
#include "index/spool_records.h"

namespace vtape::testing {
namespace {

SpoolMetadata sample() {
  SpoolMetadata m;
  m.device = SpoolDevice::kPunch;
  m.queue = SpoolQueue::kReader;
  m.spoolid = 1234;
  for (size_t i = 0; i < 16; ++i) m.unique_id[i] = static_cast<uint8_t>(0xA0 + i);
  m.opened_us = 1795000000123456;
  m.closed_us = 1795000001654321;
  m.owner = "MAINT";
  m.origin = "OPERATOR";
  m.origin_system = "VMSYS1";
  m.filename = "PROFILE";
  m.filetype = "EXEC";
  m.spool_class = 'Q';
  m.copies = 3;
  m.user_hold = true;
  m.keep = true;
  m.form = "WIDE";
  m.dest = "LOCAL";
  m.dist = "BLDG7";
  m.lrecl = 80;
  m.records = 7;
  m.data_bytes = 560;
  m.content_bytes = 321;
  m.unterminated = true;
  return m;
}

uint64_t be(const std::vector<uint8_t>& h, size_t at, size_t len) {
  uint64_t v = 0;
  for (size_t i = 0; i < len; ++i) v = (v << 8) | h[at + i];
  return v;
}

std::string text(const std::vector<uint8_t>& h, size_t at, size_t len) {
  return std::string(reinterpret_cast<const char*>(h.data() + at), len);
}

TEST(SpoolHeader, EveryFieldIsAtItsDocumentedOffset) {
  std::vector<uint8_t> h = encode_spool_header(sample());
  ASSERT_EQ(h.size(), 256u);
  EXPECT_EQ(text(h, 0, 8), "VTSPOOLH");
  EXPECT_EQ(be(h, 8, 2), 1u);
  EXPECT_EQ(be(h, 10, 2), 256u);
  EXPECT_EQ(text(h, 12, 4), "PUN ");
  EXPECT_EQ(text(h, 16, 4), "RDR ");
  EXPECT_EQ(be(h, 20, 4), 1234u);
  EXPECT_EQ(h[24], 0xA0);
  EXPECT_EQ(h[39], 0xAF);
  EXPECT_EQ(be(h, 40, 8), 1795000000123456u);
  EXPECT_EQ(be(h, 48, 8), 1795000001654321u);
  EXPECT_EQ(text(h, 56, 8), "MAINT   ");
  EXPECT_EQ(text(h, 64, 8), "OPERATOR");
  EXPECT_EQ(text(h, 72, 8), "VMSYS1  ");
  EXPECT_EQ(text(h, 80, 32), "PROFILE" + std::string(25, ' '));
  EXPECT_EQ(text(h, 112, 16), "EXEC" + std::string(12, ' '));
  EXPECT_EQ(h[128], 'Q');
  EXPECT_EQ(h[129], 3);
  EXPECT_EQ(h[130], 1);
  EXPECT_EQ(h[131], 1);
  EXPECT_EQ(text(h, 132, 8), "WIDE    ");
  EXPECT_EQ(text(h, 140, 8), "LOCAL   ");
  EXPECT_EQ(text(h, 148, 8), "BLDG7   ");
  EXPECT_EQ(be(h, 156, 4), 80u);
  EXPECT_EQ(be(h, 160, 8), 7u);
  EXPECT_EQ(be(h, 168, 8), 560u);
  EXPECT_EQ(be(h, 176, 8), 321u);
  EXPECT_EQ(h[184], 1);
  for (size_t i = 185; i < 256; ++i) EXPECT_EQ(h[i], 0) << i;
}

TEST(SpoolHeader, DecodeGivesBackEveryField) {
  SpoolMetadata in = sample();
  SpoolMetadata out;
  ASSERT_TRUE(decode_spool_header(encode_spool_header(in), &out).is_ok());
  EXPECT_EQ(out.device, in.device);
  EXPECT_EQ(out.queue, in.queue);
  EXPECT_EQ(out.spoolid, in.spoolid);
  EXPECT_EQ(out.unique_id, in.unique_id);
  EXPECT_EQ(out.opened_us, in.opened_us);
  EXPECT_EQ(out.closed_us, in.closed_us);
  EXPECT_EQ(out.owner, in.owner);
  EXPECT_EQ(out.origin, in.origin);
  EXPECT_EQ(out.origin_system, in.origin_system);
  EXPECT_EQ(out.filename, in.filename);
  EXPECT_EQ(out.filetype, in.filetype);
  EXPECT_EQ(out.spool_class, in.spool_class);
  EXPECT_EQ(out.copies, in.copies);
  EXPECT_EQ(out.user_hold, true);
  EXPECT_EQ(out.system_hold, false);
  EXPECT_EQ(out.keep, true);
  EXPECT_EQ(out.form, in.form);
  EXPECT_EQ(out.dest, in.dest);
  EXPECT_EQ(out.dist, in.dist);
  EXPECT_EQ(out.lrecl, in.lrecl);
  EXPECT_EQ(out.records, in.records);
  EXPECT_EQ(out.data_bytes, in.data_bytes);
  EXPECT_EQ(out.content_bytes, in.content_bytes);
  EXPECT_EQ(out.unterminated, true);
  EXPECT_EQ(out.carriage_control, false);
}

TEST(SpoolHeader, AFileWithoutTypeKeepsAnEmptyType) {
  SpoolMetadata in = sample();
  in.filetype = "";
  SpoolMetadata out;
  ASSERT_TRUE(decode_spool_header(encode_spool_header(in), &out).is_ok());
  EXPECT_EQ(out.filetype, "");
  EXPECT_EQ(out.name_type(), "PROFILE");
}

struct Damage {
  size_t at;
  uint8_t value;
  uint64_t reported_offset;
  const char* expected_words;
};

class SpoolHeaderDamage : public ::testing::TestWithParam<Damage> {};

TEST_P(SpoolHeaderDamage, IsRefusedNamingTheByteAndWhatWasExpected) {
  std::vector<uint8_t> h = encode_spool_header(sample());
  h[GetParam().at] = GetParam().value;
  SpoolMetadata out;
  Status s = decode_spool_header(h, &out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.offset(), GetParam().reported_offset) << s.message();
  EXPECT_NE(s.message().find(GetParam().expected_words), std::string::npos) << s.message();
}

INSTANTIATE_TEST_SUITE_P(
    Fields, SpoolHeaderDamage,
    ::testing::Values(Damage{0, 'X', 0, "magic"}, Damage{9, 2, 8, "version 1"}, Damage{10, 0, 10, "header length"},
                      Damage{12, 'X', 12, "device"}, Damage{16, 'p', 16, "queue"}, Damage{22, 0x30, 20, "spoolid"},
                      Damage{57, 'a', 56, "owner"}, Damage{82, '\t', 82, "filename"},
                      Damage{128, '!', 128, "class"}, Damage{129, 0, 129, "copies"}, Damage{130, 4, 130, "hold"},
                      Damage{131, 2, 131, "keep"}, Damage{141, '-', 140, "destination"},
                      Damage{159, 81, 156, "80"}, Damage{184, 8, 184, "flag"}, Damage{200, 1, 200, "reserved"}),
    [](const ::testing::TestParamInfo<Damage>& info) { return "Byte" + std::to_string(info.param.at); });

TEST(SpoolHeader, AShortRecordIsRefused) {
  std::vector<uint8_t> h = encode_spool_header(sample());
  h.resize(100);
  SpoolMetadata out;
  Status s = decode_spool_header(h, &out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("256"), std::string::npos) << s.message();
}

// ---- records ------------------------------------------------------------------

TEST(SpoolRecords, PrinterLinesGetACarriageControlByteAndReadBackExactly) {
  SpoolMetadata m;
  m.device = SpoolDevice::kPrinter;
  std::string content = "first line\n\n\fpage two\nlast without newline";
  SpoolRecords records;
  ASSERT_TRUE(spool_records_from_content(content, &m, &records).is_ok());
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0], " first line");
  EXPECT_EQ(records[1], " ");  // never an empty record: SIMH cannot hold one
  EXPECT_EQ(records[2], "1page two");
  EXPECT_EQ(records[3], " last without newline");
  EXPECT_EQ(m.records, 4u);
  EXPECT_EQ(m.lrecl, 21u);
  EXPECT_TRUE(m.unterminated);
  EXPECT_TRUE(m.carriage_control);
  EXPECT_EQ(m.content_bytes, content.size());
  EXPECT_EQ(spool_content_from_records(m, records), content);
}

TEST(SpoolRecords, PunchLinesBecomeEightyByteCards) {
  SpoolMetadata m;
  m.device = SpoolDevice::kPunch;
  SpoolRecords records;
  ASSERT_TRUE(spool_records_from_content("//JOB CARD\n" + std::string(80, 'X') + "\n", &m, &records).is_ok());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], "//JOB CARD" + std::string(70, ' '));
  EXPECT_EQ(records[1], std::string(80, 'X'));
  EXPECT_EQ(m.lrecl, 80u);
  EXPECT_EQ(m.data_bytes, 160u);
  EXPECT_EQ(spool_content_from_records(m, records), "//JOB CARD\n" + std::string(80, 'X') + "\n");
  EXPECT_EQ(m.content_bytes, 11u + 81u);  // what reads back: trailing blanks of a card dropped
  // Without a final newline: the content reads back without one too.
  ASSERT_TRUE(spool_records_from_content("A   \nB", &m, &records).is_ok());
  EXPECT_EQ(m.content_bytes, 3u);
  EXPECT_EQ(spool_content_from_records(m, records), "A\nB");
}

TEST(SpoolRecords, APunchLineLongerThanACardIsRefused) {
  SpoolMetadata m;
  m.device = SpoolDevice::kPunch;
  SpoolRecords records;
  Status s = spool_records_from_content("ok\n" + std::string(81, 'Y') + "\n", &m, &records);
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.message();
  uint32_t column = 0;
  EXPECT_TRUE(punch_lines_fit(std::string(80, 'a') + "\n" + std::string(40, 'b'), &column));
  EXPECT_EQ(column, 40u);
  EXPECT_FALSE(punch_lines_fit(std::string(41, 'c'), &column));
}

TEST(SpoolRecords, EmptyContentHasNoRecords) {
  SpoolMetadata m;
  SpoolRecords records;
  ASSERT_TRUE(spool_records_from_content("", &m, &records).is_ok());
  EXPECT_TRUE(records.empty());
  EXPECT_EQ(m.records, 0u);
  EXPECT_EQ(spool_content_from_records(m, records), "");
}

// ---- values and criteria ------------------------------------------------------

TEST(SpoolValues, BadNamesAndAttributeValuesAreRefusedWithAReason) {
  std::string n, t;
  EXPECT_TRUE(split_spool_file_name("REPORT.LISTING", &n, &t).is_ok());
  EXPECT_EQ(n, "REPORT");
  EXPECT_EQ(t, "LISTING");
  EXPECT_TRUE(split_spool_file_name("a.b.c", &n, &t).is_ok());
  EXPECT_EQ(n, "a.b");
  for (const char* bad : {"", "a/b", "..", "x..y", "tab\there", "blank name", "trailing.", ".hidden", "\xc3\xa9t\xc3\xa9"}) {
    Status s = split_spool_file_name(bad, &n, &t);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(s.message().empty());
  }
  SpoolMetadata m;
  EXPECT_TRUE(set_spool_attribute(m, "class", "b").is_ok());
  EXPECT_EQ(m.spool_class, 'B');
  EXPECT_EQ(set_spool_attribute(m, "class", "AB").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(set_spool_attribute(m, "class", "*").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(set_spool_attribute(m, "copies", "0").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(set_spool_attribute(m, "copies", "256").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(set_spool_attribute(m, "copies", "255").is_ok());
  EXPECT_EQ(set_spool_attribute(m, "hold", "maybe").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(set_spool_attribute(m, "hold", "system").is_ok());
  EXPECT_EQ(m.hold_text(), "system");
  EXPECT_EQ(set_spool_attribute(m, "form", "TOO-LONG-FORM").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(set_spool_attribute(m, "spoolid", "7").code(), StatusCode::kNotSupported);
  EXPECT_EQ(set_spool_attribute(m, "colour", "red").code(), StatusCode::kNotFound);
}

TEST(SpoolCriteriaTest, NamePatternsTakeStarAndPercent) {
  EXPECT_TRUE(spool_name_matches("*", "A.B"));
  EXPECT_TRUE(spool_name_matches("*.LISTING", "REPORT.LISTING"));
  EXPECT_TRUE(spool_name_matches("*.listing", "REPORT.LISTING"));
  EXPECT_TRUE(spool_name_matches("REP%RT.*", "REPORT.X"));
  EXPECT_FALSE(spool_name_matches("REP%RT.*", "REPRT.X"));
  EXPECT_FALSE(spool_name_matches("%", ""));
  EXPECT_TRUE(spool_name_matches("*A*B*", "xxAyyBzz"));
  EXPECT_FALSE(spool_name_matches("*.EXEC", "PROFILE.EXECX"));
}

TEST(SpoolCriteriaTest, EveryCriterionIsAndedWithTheOthers) {
  SpoolMetadata m = sample();  // MAINT 1234 rdr PROFILE.EXEC class Q WIDE LOCAL held, opened 2026-11-17
  auto match = [&](std::vector<std::pair<std::string, std::string>> options) {
    SpoolCriteria c;
    for (const auto& [o, v] : options) {
      Status s = c.add(o, v);
      EXPECT_TRUE(s.is_ok()) << o << " " << v << ": " << s.message();
    }
    return c.matches(m, false);
  };
  EXPECT_TRUE(match({}));
  EXPECT_TRUE(match({{"--queue", "rdr"}, {"--owner", "maint"}, {"--class", "q"}}));
  EXPECT_FALSE(match({{"--queue", "prt,pun"}}));
  EXPECT_TRUE(match({{"--queue", "all"}}));
  EXPECT_FALSE(match({{"--owner", "OPERATOR"}}));
  EXPECT_TRUE(match({{"--spoolid", "1000-2000"}}));
  EXPECT_FALSE(match({{"--spoolid", "1233"}}));
  EXPECT_TRUE(match({{"--form", "STANDARD,WIDE"}, {"--dest", "LOCAL"}}));
  EXPECT_FALSE(match({{"--form", "WIDE"}, {"--dest", "OFF"}}));
  EXPECT_TRUE(match({{"--name", "PROF*.EXEC"}}));
  EXPECT_FALSE(match({{"--name", "*.LISTING"}}));
  EXPECT_TRUE(match({{"--hold", "yes"}}));
  EXPECT_FALSE(match({{"--hold", "no"}}));
  EXPECT_TRUE(match({{"--date", "2026-11-18"}}));  // 1795000000 s is 2026-11-18 UTC
  EXPECT_TRUE(match({{"--date", "2026-11-01..2026-11-30"}}));
  EXPECT_TRUE(match({{"--date", "..2026-11-18"}}));
  EXPECT_FALSE(match({{"--date", "2026-11-19.."}}));
  EXPECT_FALSE(match({{"--date", "2026-11-17"}}));
  SpoolCriteria all;
  EXPECT_FALSE(all.matches(m, /*purged=*/true));
  all.include_purged = true;
  EXPECT_TRUE(all.matches(m, true));
}

TEST(SpoolCriteriaTest, BadCriteriaAreRefusedWithAMessage) {
  SpoolCriteria c;
  EXPECT_EQ(c.add("--queue", "lpt").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add("--class", "AA").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add("--spoolid", "20-10").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add("--spoolid", "0").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add("--spoolid", "10000").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add("--date", "2026-02-30").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add("--date", "2026-12-01..2026-11-01").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add("--hold", "maybe").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add("--owner", "way-too-long-user").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.add("--colour", "red").code(), StatusCode::kNotFound);
  Status s = c.add("--class", "AA");
  EXPECT_NE(s.message().find("A-Z or 0-9"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace vtape::testing
