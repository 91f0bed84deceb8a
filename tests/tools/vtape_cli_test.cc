// The vtape command line, run as a user runs it: exit codes, output, --json.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/tapeformat/test_images.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

std::string q(const std::string& s) { return shell_quote(s); }

std::vector<Obj> sample() {
  return {rec(pattern_bytes(10240, 1)), rec(pattern_bytes(10240, 2)), rec(pattern_bytes(777, 3)), fm(),
          fm(), rec(pattern_bytes(1, 4)), fm()};
}

TEST(VtapeCli, NoArgumentsIsAUsageError) {
  auto r = run_vtape("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("convert"), std::string::npos);
  EXPECT_EQ(run_vtape("frobnicate").exit_code, 2);
  EXPECT_EQ(run_vtape("dump --bogus x").exit_code, 2);
  EXPECT_EQ(run_vtape("dump").exit_code, 2);
  for (const char* c : {"info", "dump", "verify", "convert", "write"}) {
    auto h = run_vtape(std::string(c) + " --help");
    EXPECT_EQ(h.exit_code, 0) << c;
    EXPECT_NE(h.out.find("usage: vtape"), std::string::npos) << c;
  }
}

// A mistyped subcommand or option gets the name that was most likely
// meant; a name near none gets none.
TEST(VtapeCli, AMistypedCommandOrOptionSuggestsTheNearestName) {
  auto c = run_vtape("lod 1 VOL001");
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("vtape: unknown command 'lod'; did you mean 'load'?"), std::string::npos) << c.err;
  auto o = run_vtape("ls --jsno");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("unknown option --jsno; did you mean '--json'?"), std::string::npos) << o.err;
  auto swapped = run_vtape("verify x.tap --slavage");
  EXPECT_NE(swapped.err.find("did you mean '--salvage'?"), std::string::npos) << swapped.err;
  auto far = run_vtape("frobnicate");
  EXPECT_NE(far.err.find("unknown command 'frobnicate'; 'vtape --help' lists them"), std::string::npos) << far.err;
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
}

// convert takes OUT's format from its extension; an extension of no format
// (a slip: y.hte) is refused without --to instead of silently becoming
// IN's format, and nothing is written.
TEST(VtapeCli, ConvertRefusesAnExtensionOfNoFormatWithoutTo) {
  TempDir dir;
  std::string src = dir.file("x.het"), out = dir.file("y.xyz");
  write_image(src, Format::kHet, sample());
  auto r = run_vtape("convert " + q(src) + " " + q(out));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(out + ": '.xyz' is the extension of no format (.tap"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("give the format with --to"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  auto to = run_vtape("convert " + q(src) + " " + q(out) + " --to aws");
  EXPECT_EQ(to.exit_code, 0) << to.err;
  EXPECT_EQ(read_all(out), sample());
  auto bare = run_vtape("convert " + q(src) + " " + q(dir.file("noext")));
  EXPECT_EQ(bare.exit_code, 0) << bare.err;
  EXPECT_NE(bare.out.find("(het)"), std::string::npos) << bare.out;
}

TEST(VtapeCli, DumpListsFilesWithRecordStatistics) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  write_image(p, Format::kSimh, sample());
  auto r = run_vtape("dump " + q(p));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("simh image"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 tape files, 4 records, 3 filemarks, 21258 bytes"), std::string::npos) << r.out;
  // file 0: 3 records, 21257 bytes, smallest 777, largest 10240
  EXPECT_NE(r.out.find("    0            0         3        21257       777     10240"), std::string::npos)
      << r.out;
}

TEST(VtapeCli, DumpJsonListsEveryRecordWithItsOffset) {
  TempDir dir;
  std::string p = dir.file("t.aws");
  write_image(p, Format::kAws, sample());
  auto r = run_vtape("dump --records --json " + q(p));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"format\":\"aws\""), std::string::npos);
  EXPECT_NE(r.out.find("{\"file\":0,\"type\":\"record\",\"block\":1,\"offset\":10246,\"length\":10240"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("{\"file\":0,\"type\":\"filemark\",\"offset\":21275}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"files\":[{\"file\":0,\"offset\":0,\"records\":3,\"bytes\":21257,"
                       "\"smallest_record\":777,\"largest_record\":10240"),
            std::string::npos)
      << r.out;
  // The JSON parses (python3 is on every machine image we use).
  auto check = run_command("printf '%s' " + q(r.out) + " | python3 -c 'import json,sys; d=json.load(sys.stdin); "
                           "assert len(d[\"objects\"])==7 and len(d[\"files\"])==3'");
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST(VtapeCli, VerifyAcceptsAValidImage) {
  TempDir dir;
  std::string p = dir.file("t.het");
  write_image(p, Format::kHet, sample());
  auto r = run_vtape("verify " + q(p));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("valid het image: 3 tape files, 4 records, 3 filemarks"), std::string::npos) << r.out;
  auto j = run_vtape("verify --json " + q(p));
  EXPECT_EQ(j.exit_code, 0);
  EXPECT_NE(j.out.find("\"valid\":true"), std::string::npos);
}

TEST(VtapeCli, VerifyReportsTheFirstProblemsOffset) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  write_image(p, Format::kSimh, sample());
  auto b = read_file_bytes(p);
  b[10248 + 4 + 10240] ^= 0x01;  // trailer of record 1, at byte 20492
  write_file_bytes(p, b);
  auto r = run_vtape("verify " + q(p));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(p + ": at byte 20492: expected a trailing length word 0x00002800"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("found 0x00002801"), std::string::npos) << r.err;
  auto s = run_vtape("verify --salvage " + q(p));
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_NE(s.err.find("damaged region: bytes 10248 to 20496"), std::string::npos) << s.err;
  EXPECT_NE(s.out.find("readable: 3 tape files, 3 records"), std::string::npos) << s.out;
}

TEST(VtapeCli, ConvertCopiesEverythingBetweenAllFormats) {
  TempDir dir;
  std::string src = dir.file("src.tap");
  auto objs = sample();
  objs.insert(objs.begin(), rec(pattern_bytes(99, 9), true));  // error-flagged record
  write_image(src, Format::kSimh, objs);
  for (const char* to : {"e11", "mtd", "aws", "het", "simh"}) {
    std::string out = dir.file(std::string("out.") + to);
    auto r = run_vtape("convert " + q(src) + " " + q(out) + " --to " + to);
    ASSERT_EQ(r.exit_code, 0) << to << ": " << r.err;
    EXPECT_NE(r.out.find("5 records, 3 filemarks, 21357 bytes"), std::string::npos) << r.out;
    bool keeps_flags = std::string(to) != "aws" && std::string(to) != "het";
    auto back = read_all(out, parse_format(to));
    auto expect = objs;
    if (!keeps_flags) {
      expect[0].error_flag = false;
      EXPECT_NE(r.err.find("1 records were flagged as read with an error"), std::string::npos) << r.err;
    }
    EXPECT_EQ(back, expect) << to;
    // And back to SIMH: the same bytes as the source, flags aside.
    std::string again = dir.file(std::string("again-") + to + ".tap");
    ASSERT_EQ(run_vtape("convert " + q(out) + " " + q(again)).exit_code, 0);
    if (keeps_flags) {
      EXPECT_EQ(read_file_bytes(again), read_file_bytes(src)) << to;
    }
  }
}

TEST(VtapeCli, ConvertRefusesToOverwriteWithoutForce) {
  TempDir dir;
  std::string src = dir.file("a.tap"), dst = dir.file("b.aws");
  write_image(src, Format::kSimh, sample());
  write_file_bytes(dst, {'k', 'e', 'e', 'p'});
  auto r = run_vtape("convert " + q(src) + " " + q(dst));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("exists"), std::string::npos);
  EXPECT_EQ(read_file_bytes(dst), (std::vector<uint8_t>{'k', 'e', 'e', 'p'}));
  EXPECT_EQ(run_vtape("convert --force " + q(src) + " " + q(dst)).exit_code, 0);
  EXPECT_EQ(read_all(dst), sample());
  EXPECT_FALSE(std::filesystem::exists(dst + ".vtape-partial"));
}

TEST(VtapeCli, ConvertHetOptionsAreApplied) {
  TempDir dir;
  std::string src = dir.file("a.tap");
  std::vector<uint8_t> text(100000, 'q');
  write_image(src, Format::kSimh, {rec(text), fm()});
  std::string out = dir.file("b.het");
  auto r = run_vtape("convert " + q(src) + " " + q(out) + " --compress bzip2 --level 9 --chunk-size 4096");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto b = read_file_bytes(out);
  EXPECT_EQ(b[4] & 0x03, 0x02);
  EXPECT_LT(b.size(), 1000u);
  EXPECT_EQ(read_all(out), (std::vector<Obj>{rec(text), fm()}));
  EXPECT_EQ(run_vtape("convert " + q(src) + " x.het --level 12").exit_code, 2);
  EXPECT_EQ(run_vtape("convert " + q(src) + " x.het --to nonsense").exit_code, 2);
}

TEST(VtapeCli, InfoShowsLabels) {
  TempDir dir;
  std::string p = dir.file("l.tap");
  std::string vol1 = "VOL1MYTAPE" + std::string(27, ' ') + "JOHN SMITH" + std::string(33, ' ');
  std::string hdr1 = "HDR1PAYROLL.DATA     " + std::string(59, ' ');
  ASSERT_EQ(vol1.size(), 80u);
  ASSERT_EQ(hdr1.size(), 80u);
  write_image(p, Format::kSimh, {rec(vol1), rec(hdr1), fm(), rec("data"), fm(), fm()});
  auto r = run_vtape("info " + q(p));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("volume:     MYTAPE (owner 'JOHN SMITH', ANSI ASCII labels)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HDR1 file id 'PAYROLL.DATA'"), std::string::npos) << r.out;
  auto j = run_vtape("info --json " + q(p));
  EXPECT_NE(j.out.find("\"volser\":\"MYTAPE\",\"owner\":\"JOHN SMITH\""), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"tape_files\":3"), std::string::npos) << j.out;
}

TEST(VtapeCli, WriteMakesOneTapeFilePerInput) {
  TempDir dir;
  std::string a = dir.file("a.bin"), b = dir.file("b.bin"), img = dir.file("w.aws");
  write_file_bytes(a, pattern_bytes(25000, 1));
  write_file_bytes(b, pattern_bytes(10, 2));
  auto r = run_vtape("write " + q(img) + " " + q(a) + " " + q(b) + " --record-size 10K");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto back = read_all(img);
  auto da = pattern_bytes(25000, 1);
  std::vector<Obj> expect = {rec(std::vector<uint8_t>(da.begin(), da.begin() + 10240)),
                             rec(std::vector<uint8_t>(da.begin() + 10240, da.begin() + 20480)),
                             rec(std::vector<uint8_t>(da.begin() + 20480, da.end())), fm(),
                             rec(pattern_bytes(10, 2)), fm()};
  EXPECT_EQ(back, expect);
  EXPECT_EQ(run_vtape("write " + q(img) + " " + q(a)).exit_code, 1);  // exists
  ASSERT_EQ(run_command("printf 'xyz' | " + q(VTAPE_BINARY) + " write --append " + q(img)).exit_code, 0);
  expect.push_back(rec("xyz"));
  expect.push_back(fm());
  EXPECT_EQ(read_all(img), expect);
}

TEST(VtapeCli, ProgressStaysOutOfPipes) {
  TempDir dir;
  std::string p = dir.file("t.tap");
  write_image(p, Format::kSimh, sample());
  auto r = run_vtape("verify " + q(p));
  EXPECT_EQ(r.err, "");
  auto c = run_vtape("convert " + q(p) + " " + q(dir.file("o.aws")));
  EXPECT_EQ(c.err, "");
}

}  // namespace
}  // namespace vtape::testing
