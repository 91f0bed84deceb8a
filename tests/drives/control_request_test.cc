// The control request parser (library/control_request.h) on its own: every
// request the protocol knows read into its arguments, and every malformed
// one an error that names the word that is wrong and what was expected.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "library/control_request.h"

namespace vtape::testing {
namespace {

// The error parse_control_request gives `line` on a mount of `drives`
// drives, or "parsed" when it takes the line.
std::string parse_error(const std::string& line, int drives = 2) {
  ControlRequest r;
  Status s = parse_control_request(line, drives, &r);
  return s.is_ok() ? "parsed" : s.message();
}

TEST(ControlRequest, ReadsEveryRequestIntoItsArguments) {
  ControlRequest r;
  ASSERT_TRUE(parse_control_request("status", 2, &r).is_ok());
  EXPECT_EQ(r.verb, ControlVerb::kStatus);
  EXPECT_EQ(r.status_form, "");
  EXPECT_EQ(r.drive, -1);
  ASSERT_TRUE(parse_control_request("  status\tjson  1 ", 2, &r).is_ok());
  EXPECT_EQ(r.status_form, "json");
  EXPECT_EQ(r.drive, 1);
  ASSERT_TRUE(parse_control_request("load 1 scr001", 2, &r).is_ok());
  EXPECT_EQ(r.verb, ControlVerb::kLoad);
  EXPECT_EQ(r.drive, 1);
  EXPECT_EQ(r.volser, "scr001");
  ASSERT_TRUE(parse_control_request("unload 0", 2, &r).is_ok());
  EXPECT_EQ(r.verb, ControlVerb::kUnload);
  EXPECT_EQ(r.drive, 0);
  ASSERT_TRUE(parse_control_request("protect VOL001 1", 2, &r).is_ok());
  EXPECT_EQ(r.verb, ControlVerb::kProtect);
  EXPECT_TRUE(r.protect);
  ASSERT_TRUE(parse_control_request("protect VOL001 0", 2, &r).is_ok());
  EXPECT_FALSE(r.protect);
  ASSERT_TRUE(parse_control_request("snapshot VOL001", 2, &r).is_ok());
  EXPECT_EQ(r.verb, ControlVerb::kSnapshot);
  EXPECT_EQ(r.new_volser, "");
  ASSERT_TRUE(parse_control_request("snapshot VOL001 SNAP01", 2, &r).is_ok());
  EXPECT_EQ(r.new_volser, "SNAP01");
  EXPECT_EQ(r.max_rate, 0u);
  ASSERT_TRUE(parse_control_request("snapshot VOL001 SNAP01 max-rate=52428800", 2, &r).is_ok());
  EXPECT_EQ(r.new_volser, "SNAP01");
  EXPECT_EQ(r.max_rate, 52428800u);
  ASSERT_TRUE(parse_control_request("snapshot VOL001 max-rate=1048576", 2, &r).is_ok());
  EXPECT_EQ(r.new_volser, "");
  EXPECT_EQ(r.max_rate, 1048576u);
  ASSERT_TRUE(parse_control_request("remove VOL001", 2, &r).is_ok());
  EXPECT_EQ(r.verb, ControlVerb::kRemove);
  EXPECT_EQ(r.volser, "VOL001");
  // Migration requests are recognised; MigrationService reads their words.
  ASSERT_TRUE(parse_control_request("migrate-status VOL001", 2, &r).is_ok());
  EXPECT_EQ(r.verb, ControlVerb::kMigration);
  EXPECT_EQ(r.words, (std::vector<std::string>{"migrate-status", "VOL001"}));
}

TEST(ControlRequest, DriveNumbersAreStrictlyDecimalAndOfTheMount) {
  EXPECT_EQ(parse_error("unload 2"), "no drive '2' (drives 0 to 1)");
  EXPECT_EQ(parse_error("unload -1"), "no drive '-1' (drives 0 to 1)");
  EXPECT_EQ(parse_error("unload +1"), "no drive '+1' (drives 0 to 1)");
  EXPECT_EQ(parse_error("unload 0x1"), "no drive '0x1' (drives 0 to 1)");
  EXPECT_EQ(parse_error("unload 1e0"), "no drive '1e0' (drives 0 to 1)");
  EXPECT_EQ(parse_error("load 99999999999999999999 VOL001"), "no drive '99999999999999999999' (drives 0 to 1)");
  EXPECT_EQ(parse_error("status json 4", 4), "no drive '4' (drives 0 to 3)");
  EXPECT_EQ(parse_error("status json 3", 4), "parsed");
}

TEST(ControlRequest, WrongWordsAndCountsNameWhatWasExpected) {
  EXPECT_EQ(parse_error(""), "unknown request ''");
  EXPECT_EQ(parse_error("   \t "), "unknown request ''");
  EXPECT_EQ(parse_error("reboot now"), "unknown request 'reboot'");
  EXPECT_EQ(parse_error("STATUS"), "unknown request 'STATUS'");
  EXPECT_EQ(parse_error("status xml"), "status takes 'text' or 'json', not 'xml'");
  EXPECT_EQ(parse_error("status json 0 1"), "usage: status [text|json] [DRIVE]");
  EXPECT_EQ(parse_error("load 0"), "usage: load DRIVE VOLSER");
  EXPECT_EQ(parse_error("load 0 VOL001 extra"), "usage: load DRIVE VOLSER");
  EXPECT_EQ(parse_error("unload"), "usage: unload DRIVE");
  EXPECT_EQ(parse_error("unload 0 0"), "usage: unload DRIVE");
  EXPECT_EQ(parse_error("protect VOL001"), "usage: protect VOLSER 0|1");
  EXPECT_EQ(parse_error("protect VOL001 yes"), "usage: protect VOLSER 0|1");
  EXPECT_EQ(parse_error("snapshot"), "usage: snapshot VOLSER [NEWVOL] [max-rate=BYTES]");
  EXPECT_EQ(parse_error("snapshot A B C"), "usage: snapshot VOLSER [NEWVOL] [max-rate=BYTES]");
  EXPECT_EQ(parse_error("snapshot A max-rate=5000000 B"), "usage: snapshot VOLSER [NEWVOL] [max-rate=BYTES]");
  EXPECT_EQ(parse_error("snapshot A max-rate=5000000 max-rate=6000000"),
            "usage: snapshot VOLSER [NEWVOL] [max-rate=BYTES]");
  for (const char* bad : {"max-rate=", "max-rate=5M", "max-rate=-1", "max-rate=99999999999999999999"}) {
    EXPECT_EQ(parse_error(std::string("snapshot A ") + bad),
              fmt::format("'{}': max-rate= takes a decimal number of bytes a second, 1048576 (1 MiB/s) or more", bad));
  }
  // Under the floor: a copy at a crawl would hold a control connection and
  // a half-made cartridge for days.
  for (const char* slow : {"max-rate=0", "max-rate=1", "max-rate=1048575"}) {
    EXPECT_EQ(parse_error(std::string("snapshot A ") + slow),
              fmt::format("'{}': max-rate= is at least 1048576 bytes a second (1 MiB/s)", slow));
  }
  EXPECT_EQ(parse_error("remove"), "usage: remove VOLSER");
  EXPECT_EQ(parse_error("remove A B"), "usage: remove VOLSER");
}

TEST(ControlRequest, BinaryAndControlCharactersGiveOneLineErrors) {
  std::string binary("status\0json\xff\x01", 13);
  std::string e = parse_error(binary);
  EXPECT_NE(e, "parsed");
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  // Carriage returns and vertical tabs are blanks, not parts of a word.
  EXPECT_EQ(parse_error("status\r"), "parsed");
  EXPECT_EQ(parse_error("unload\v1"), "parsed");
}

}  // namespace
}  // namespace vtape::testing
