// Bad input through the tools: every damaged image gets a message naming the
// file, the byte offset, what was expected and what was found, and a
// non-zero exit; nothing crashes.
#include <gtest/gtest.h>

#include "tests/tapeformat/test_images.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

struct BadCase {
  const char* name;
  Format format;
  std::vector<uint8_t> (*make)();
  uint64_t offset;
  const char* expected_words;
};

std::vector<uint8_t> truncated_simh() {
  std::vector<uint8_t> b;
  put_simh_record(b, pattern_bytes(50, 1));
  put_simh_record(b, pattern_bytes(60, 2));
  b.resize(b.size() - 7);
  return b;
}

std::vector<uint8_t> mismatched_trailer() {
  std::vector<uint8_t> b;
  put_le32(b, 6);
  b.insert(b.end(), 6, 'x');
  put_le32(b, 7);
  return b;
}

std::vector<uint8_t> impossible_length() {
  std::vector<uint8_t> b;
  put_simh_record(b, {'o', 'k'});
  put_le32(b, 0x0FFFFFFF);
  b.resize(b.size() + 100);
  return b;
}

std::vector<uint8_t> broken_aws_chain() {
  std::vector<uint8_t> b;
  for (uint16_t prev : {uint16_t(0), uint16_t(99)}) {
    put_le16(b, 4);
    put_le16(b, prev);
    b.push_back(0xA0);
    b.push_back(0);
    b.insert(b.end(), 4, 'z');
  }
  return b;
}

std::vector<uint8_t> aws_record_never_ends() {
  std::vector<uint8_t> b;
  put_le16(b, 4);
  put_le16(b, 0);
  b.push_back(0x80);
  b.push_back(0);
  b.insert(b.end(), 4, 'z');
  return b;
}

const BadCase kCases[] = {
    {"truncated simh record", Format::kSimh, truncated_simh, 58, "a record of 60 bytes"},
    {"trailer differs from header", Format::kSimh, mismatched_trailer, 10, "trailing length word 0x00000006"},
    {"impossible length", Format::kSimh, impossible_length, 10, "record length of at most"},
    {"broken aws chain", Format::kAws, broken_aws_chain, 12, "previous chunk length 4"},
    {"aws record without end", Format::kAws, aws_record_never_ends, 10, "a 6-byte chunk header"},
};

TEST(BadInput, EveryToolNamesFileOffsetExpectedAndFound) {
  TempDir dir;
  for (const auto& c : kCases) {
    std::string p = dir.file(std::string("bad.") + (c.format == Format::kAws ? "aws" : "tap"));
    write_file_bytes(p, c.make());
    std::string prefix = p + ": at byte " + std::to_string(c.offset) + ": expected ";
    for (const char* tool : {"verify", "dump", "convert"}) {
      bool convert = std::string(tool) == "convert";
      std::string args = std::string(tool) + (convert ? " --from " : " --format ") +
                         std::string(format_name(c.format)) + " " +
                         shell_quote(p) + (std::string(tool) == "convert" ? " " + shell_quote(dir.file("o.tap")) + " --force" : "");
      auto r = run_vtape(args);
      EXPECT_EQ(r.exit_code, 1) << c.name << " / " << tool;
      EXPECT_NE(r.err.find(prefix), std::string::npos) << c.name << " / " << tool << ": " << r.err;
      EXPECT_NE(r.err.find(c.expected_words), std::string::npos) << c.name << " / " << tool << ": " << r.err;
      EXPECT_NE(r.err.find(", found "), std::string::npos) << c.name << " / " << tool << ": " << r.err;
    }
  }
}

TEST(BadInput, RandomBytesAndMissingFiles) {
  TempDir dir;
  std::string p = dir.file("noise.tap");
  auto noise = pattern_bytes(10000, 5);
  noise[0] = noise[1] = noise[2] = noise[3] = noise[4] = 0xEE;
  write_file_bytes(p, noise);
  for (const char* tool : {"info", "dump", "verify"}) {
    auto r = run_vtape(std::string(tool) + " " + shell_quote(p));
    EXPECT_EQ(r.exit_code, 1) << tool;
    EXPECT_NE(r.err.find(p + ": not a tape image vtape can read: at byte 0: expected a tape image"),
              std::string::npos)
        << r.err;
  }
  auto m = run_vtape("verify " + shell_quote(dir.file("missing.tap")));
  EXPECT_EQ(m.exit_code, 1);
  EXPECT_NE(m.err.find("No such file or directory"), std::string::npos) << m.err;
  auto d = run_vtape("verify " + shell_quote(dir.path().string()));
  EXPECT_EQ(d.exit_code, 1);
}

TEST(BadInput, ConvertKeepsWhatPrecedesTheDamage) {
  TempDir dir;
  std::string p = dir.file("bad.tap"), out = dir.file("out.tap");
  write_file_bytes(p, truncated_simh());
  auto r = run_vtape("convert " + shell_quote(p) + " " + shell_quote(out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(read_all(out), (std::vector<Obj>{rec(pattern_bytes(50, 1))}));
  EXPECT_EQ(run_vtape("verify " + shell_quote(out)).exit_code, 0);
}

}  // namespace
}  // namespace vtape::testing
