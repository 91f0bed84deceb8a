// vtape restore of spool files against a real mount: by owner and spoolid,
// by criteria, into a directory with the metadata beside, to standard
// output, into another user's reader (seen at once in the mount), and a
// damaged spool cartridge reported as a checksum mismatch.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/interop/json_reader.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;
using interop::Json;
using interop::parse_json;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ALICE prints two files and punches one; BOB prints one.
struct SpoolFixture {
  MountedVtapefs vt;
  SpoolFixture() {
    EXPECT_TRUE(vt.ok()) << vt.error();
    for (const char* user : {"alice", "bob"}) EXPECT_EQ(vt.vtape(std::string("spool adduser ") + user).exit_code, 0);
    write("ALICE/prt/report.listing", "line one\nline two\n");
    write("ALICE/prt/second.listing", "another report\n");
    write("ALICE/pun/deck.cards", "CARD 1\nCARD 2\nCARD 3\n");
    write("BOB/prt/bob.txt", "from bob\n");
  }
  void write(const std::string& where, const std::string& text) {
    std::string path = vt.mount_point() + "/spool/" + where;
    CommandResult r = run_command("printf %s " + shell_quote(text) + " > " + shell_quote(path));
    EXPECT_EQ(r.exit_code, 0) << where << "\n" << describe(r);
  }
};

TEST(SpoolRestore, OneSpoolFileByOwnerAndSpoolidGoesToADirectoryWithItsMetadata) {
  SpoolFixture f;
  CommandResult r = run_command("setfattr -n user.spool.class -v R " +
                  shell_quote(f.vt.mount_point() + "/spool/ALICE/prt/0001.report.listing"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  TempDir out;
  r = f.vt.vtape("restore spool:alice/1 --to-dir " + shell_quote(out.file("d")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(slurp(out.file("d/ALICE/0001.report.listing")), "line one\nline two\n");
  std::string meta = slurp(out.file("d/ALICE/0001.report.listing.meta"));
  EXPECT_NE(meta.find("class=R\n"), std::string::npos) << meta;
  EXPECT_NE(meta.find("owner=ALICE\n"), std::string::npos) << meta;
  EXPECT_NE(meta.find("records=2\n"), std::string::npos) << meta;
  EXPECT_FALSE(fs::exists(out.file("d/ALICE/0002.second.listing")));
}

TEST(SpoolRestore, CriteriaSelectAndEveryFileComesBackByteForByte) {
  SpoolFixture f;
  TempDir out;
  CommandResult r = f.vt.vtape("restore spool --owner alice --queue prt --to-dir " + shell_quote(out.file("d")) +
                               " --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  Json doc = parse_json(r.out);
  EXPECT_EQ(doc["spool_files"].u64(), 2u);
  EXPECT_EQ(slurp(out.file("d/ALICE/0002.second.listing")), "another report\n");
  EXPECT_FALSE(fs::exists(out.file("d/BOB")));
  EXPECT_FALSE(fs::exists(out.file("d/ALICE/0003.deck.cards")));
  // Names with * and %, as SPXTAPE takes them.
  r = f.vt.vtape("restore spool --name 'DECK.%ARDS' --to-stdout");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "CARD 1\nCARD 2\nCARD 3\n");
  r = f.vt.vtape("restore spool --owner nobody --to-dir " + shell_quote(out.file("e")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no spool file matches"), std::string::npos) << r.err;
}

TEST(SpoolRestore, ToSpoolPutsCopiesIntoAUsersReaderOfTheRunningMount) {
  SpoolFixture f;
  CommandResult r = f.vt.vtape("restore spool --owner alice --queue prt --to-spool bob");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("ALICE 0001 -> BOB"), std::string::npos) << r.out;
  std::vector<std::string> reader;
  for (const auto& e : fs::directory_iterator(f.vt.mount_point() + "/spool/BOB/rdr")) {
    reader.push_back(e.path().filename());
  }
  std::sort(reader.begin(), reader.end());
  ASSERT_EQ(reader.size(), 2u) << r.out;
  EXPECT_NE(reader[0].find("report.listing"), std::string::npos) << reader[0];
  EXPECT_EQ(slurp(f.vt.mount_point() + "/spool/BOB/rdr/" + reader[0]), "line one\nline two\n");
  r = f.vt.vtape("spool list --owner bob --queue rdr --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(parse_json(r.out)["spool_files"].size(), 2u);
}

TEST(SpoolRestore, ADamagedSpoolCartridgeIsAChecksumMismatch) {
  SpoolFixture f;
  std::string image = f.vt.library() + "/cartridges/SPOOL1.tap";
  Json list = parse_json(f.vt.vtape("spool list --owner bob --json").out);
  uint64_t file = list["spool_files"][size_t{0}]["file"].u64();
  Json dump = parse_json(run_vtape("dump --records --json " + shell_quote(image)).out);
  uint64_t offset = 0;
  for (size_t i = 0; i < dump["objects"].size(); ++i) {
    const Json& o = dump["objects"][i];
    if (o["file"].u64() == file && o["type"].str() == "record" && o["block"].u64() == 1) offset = o["offset"].u64();
  }
  ASSERT_GT(offset, 0u);
  auto bytes = read_file_bytes(image);
  bytes[offset + 6] ^= 0x01;  // in the data record "from bob"
  write_file_bytes(image, bytes);
  CommandResult r = f.vt.vtape("restore spool --owner bob --dry-run");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("checksum mismatch: spool file BOB 0001 bob.txt: SPOOL1 file " + std::to_string(file) +
                       " record 1"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace vtape::testing
