// vtape spool on a library without a mount: usage errors, criteria, scan of
// images holding other tape files, a damaged header, a cartridge as target.
#include <gtest/gtest.h>

#include "library/spool_store.h"
#include "index/spool_header.h"
#include "tests/interop/json_reader.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

using interop::parse_json;

class SpoolCli : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = dir_.file("lib");
    ASSERT_TRUE(TapeLibrary::open(lib_, true, &library_).is_ok());
    ASSERT_TRUE(Catalog::open(library_->catalog_path(), &catalog_).is_ok());
    store_ = std::make_unique<SpoolStore>(*library_, *catalog_, "SPOOL1");
    add("ALICE", SpoolDevice::kPrinter, "REPORT.LISTING", "a\nb\n", 'A');
    add("ALICE", SpoolDevice::kPunch, "JOB.DECK", "//JOB\n", 'B');
    add("BOB", SpoolDevice::kPrinter, "NOTES.TXT", "n\n", 'A');
  }
  void add(const std::string& owner, SpoolDevice device, const std::string& name, const std::string& content, char cls) {
    SpoolFile f;
    f.meta.device = device;
    f.meta.queue = queue_of(device);
    f.meta.owner = f.meta.origin = owner;
    f.meta.origin_system = "TEST";
    f.meta.spool_class = cls;
    ASSERT_TRUE(split_spool_file_name(name, &f.meta.filename, &f.meta.filetype).is_ok());
    f.meta.unique_id = new_unique_id();
    f.meta.opened_us = now_microseconds();
    ASSERT_TRUE(spool_records_from_content(content, &f.meta, &f.records).is_ok());
    SpoolFileRow row;
    ASSERT_TRUE(store_->archive(f, &row).is_ok());
  }
  CommandResult vtape(const std::string& args) { return run_vtape(args + " --library " + shell_quote(lib_)); }

  TempDir dir_;
  std::string lib_;
  std::unique_ptr<TapeLibrary> library_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<SpoolStore> store_;
};

TEST_F(SpoolCli, ListSelectsByCriteria) {
  auto all = vtape("spool list --json");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(parse_json(all.out)["spool_files"].size(), 3u);
  auto some = vtape("spool list --json --owner alice --queue pun");
  ASSERT_EQ(some.exit_code, 0) << some.err;
  auto files = parse_json(some.out)["spool_files"];
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0]["name"].str(), "JOB");
  auto names = vtape("spool list --name '*.L%STING,NOTES.*'");
  ASSERT_EQ(names.exit_code, 0) << names.err;
  EXPECT_NE(names.out.find("REPORT.LISTING"), std::string::npos) << names.out;
  EXPECT_NE(names.out.find("NOTES.TXT"), std::string::npos) << names.out;
  EXPECT_EQ(names.out.find("JOB.DECK"), std::string::npos) << names.out;
  auto cls = vtape("spool list --json --class B --spoolid 2");
  EXPECT_EQ(parse_json(cls.out)["spool_files"].size(), 1u);
}

TEST_F(SpoolCli, BadArgumentsAreUsageErrorsWithAMessage) {
  struct Case {
    const char* args;
    const char* words;
  } cases[] = {
      {"spool", "subcommand"},
      {"spool frobnicate", "unknown subcommand"},
      {"spool list --class '*'", "spool class"},
      {"spool list --queue lpt", "--queue"},
      {"spool list --spoolid 9-3", "ends before it starts"},
      {"spool list --date 2026-13-01", "--date"},
      {"spool list --nodup", "does not take --nodup"},
      {"spool dump", "--to"},
      {"spool load", "--from"},
      {"spool load --from x.tap --queue lpt", "--queue"},
      {"spool adduser", "user"},
      {"spool adduser 'a b'", "user id"},
  };
  for (const auto& c : cases) {
    auto r = vtape(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find(c.words), std::string::npos) << c.args << ": " << r.err;
  }
  auto missing = vtape("spool dump --to NOSUCH");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no cartridge NOSUCH"), std::string::npos) << missing.err;
}

TEST_F(SpoolCli, DumpToACartridgeAndScanPassesOverOtherTapeFiles) {
  auto made = vtape("new DUMP01 --capacity 1M");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  // DUMP01 holds a plain tape file before the dump appends.
  std::unique_ptr<TapeImage> image;
  Cartridge c;
  ASSERT_TRUE(library_->find("DUMP01", &c).is_ok());
  {
    OpenOptions o;
    o.writable = true;
    ASSERT_TRUE(TapeImage::open(c.image_path, o, &image).is_ok());
    std::string text = "not a spool file";
    ASSERT_TRUE(image->write_record({reinterpret_cast<const uint8_t*>(text.data()), text.size()}).is_ok());
    ASSERT_TRUE(image->write_filemark().is_ok());
    ASSERT_TRUE(image->close().is_ok());
  }
  auto dump = vtape("spool dump --to DUMP01 --append --owner ALICE");
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_NE(dump.out.find("dumped 2 spool files, 3 records"), std::string::npos) << dump.out;
  EXPECT_NE(dump.out.find("to DUMP01"), std::string::npos) << dump.out;
  auto scan = vtape("spool scan DUMP01 --json");
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  auto files = parse_json(scan.out)["spool_files"];
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0]["file"].u64(), 1u);
  EXPECT_NE(scan.err.find("tape file 0 (byte 0) is not a spool file"), std::string::npos) << scan.err;
  // The catalog knows the cartridge's new tape files.
  auto ls = vtape("ls DUMP01 --json");
  EXPECT_EQ(parse_json(ls.out)["files"].size(), 3u) << ls.out;
  // The spool cartridge itself is not a target.
  auto self = vtape("spool dump --to SPOOL1");
  EXPECT_EQ(self.exit_code, 1);
  EXPECT_NE(self.err.find("cannot dump the spool cartridge onto itself"), std::string::npos) << self.err;
}

// spool dump never adds to or replaces what an image holds unasked, as
// write and convert refuse: --append adds after it, --force replaces it.
TEST_F(SpoolCli, DumpToAnImageThatHoldsDataNeedsAppendOrForce) {
  TempDir d;
  std::string path = d.file("out.tap");
  ASSERT_EQ(vtape("spool dump --to " + shell_quote(path) + " --owner BOB").exit_code, 0);
  auto before = read_file_bytes(path);
  auto again = vtape("spool dump --to " + shell_quote(path) + " --owner ALICE");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find(path + " holds " + std::to_string(before.size()) +
                           " bytes already; --append adds the spool files after what it holds, --force replaces it"),
            std::string::npos)
      << again.err;
  EXPECT_EQ(read_file_bytes(path), before);
  auto appended = vtape("spool dump --to " + shell_quote(path) + " --append --owner ALICE");
  ASSERT_EQ(appended.exit_code, 0) << appended.err;
  auto scan = vtape("spool scan " + shell_quote(path) + " --json");
  EXPECT_EQ(parse_json(scan.out)["spool_files"].size(), 3u) << scan.out;
  auto replaced = vtape("spool dump --to " + shell_quote(path) + " --force --owner ALICE");
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  scan = vtape("spool scan " + shell_quote(path) + " --json");
  EXPECT_EQ(parse_json(scan.out)["spool_files"].size(), 2u) << scan.out;
  EXPECT_EQ(vtape("spool dump --to " + shell_quote(path) + " --append --force").exit_code, 2);
  EXPECT_EQ(vtape("spool list --append").exit_code, 2);
}

TEST_F(SpoolCli, ADamagedHeaderIsReportedWithItsOffset) {
  TempDir d;
  std::string path = d.file("bad.tap");
  auto dump = vtape("spool dump --to " + shell_quote(path) + " --owner BOB");
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  // Byte 128 of the header (the class) becomes '!': the header record's
  // data starts at byte 4 of a SIMH image.
  auto bytes = read_file_bytes(path);
  ASSERT_GT(bytes.size(), 4u + 128u);
  bytes[4 + 128] = '!';
  write_file_bytes(path, bytes);
  auto scan = vtape("spool scan " + shell_quote(path));
  EXPECT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_NE(scan.err.find("byte 128 of the header: a class A-Z or 0-9"), std::string::npos) << scan.err;
  auto load = vtape("spool load --from " + shell_quote(path));
  EXPECT_NE(load.out.find("loaded 0 spool files"), std::string::npos) << load.out << load.err;
}

}  // namespace
}  // namespace vtape::testing
