// kill -9 of `vtape spool load` mid-way (issue 20), at many points of its
// writes: strace sends the SIGKILL at the Kth write system call (pwrite64,
// write, fsync, fdatasync), so every point is hit deterministically, inside a
// spool file's records, at its filemark and between the image and the
// catalog.  Afterwards `vtape spool list` shows only spool files that read
// back whole (nothing half-queued listed as whole) and the spool cartridge
// verifies; a rerun with --nodup loads the rest, the spool then holds every
// file of the dump once and `vtape index check` is clean.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "index/spool_header.h"
#include "index/spool_records.h"
#include "library/spool_store.h"
#include "tests/interop/json_reader.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

using interop::Json;
using interop::parse_json;

constexpr int kFiles = 6;

// The system calls a kill is sent at: those that change the library.
constexpr const char* kWriteCalls = "pwrite64,write,fsync,fdatasync";

class SpoolLoadKill : public ::testing::Test {
 protected:
  void SetUp() override {
    // strace installed and allowed to trace (a container may forbid ptrace).
    if (run_command("strace -qq -o /dev/null true").exit_code != 0) GTEST_SKIP() << "needs strace, allowed to trace";
    // A dump of kFiles spool files of a few hundred records each.
    std::string source = dir_.file("source");
    std::unique_ptr<TapeLibrary> library;
    std::unique_ptr<Catalog> catalog;
    ASSERT_TRUE(TapeLibrary::open(source, true, &library).is_ok());
    ASSERT_TRUE(Catalog::open(library->catalog_path(), &catalog).is_ok());
    SpoolStore store(*library, *catalog, "SPOOL1");
    for (int i = 0; i < kFiles; ++i) {
      SpoolFile f;
      f.meta.device = SpoolDevice::kPrinter;
      f.meta.queue = queue_of(f.meta.device);
      f.meta.owner = f.meta.origin = "ALICE";
      f.meta.origin_system = "TEST";
      f.meta.spool_class = 'A';
      ASSERT_TRUE(split_spool_file_name("FILE" + std::to_string(i) + ".LISTING", &f.meta.filename, &f.meta.filetype)
                      .is_ok());
      f.meta.unique_id = new_unique_id();
      f.meta.opened_us = now_microseconds();
      std::string content;
      for (int line = 0; line < 300 * (i + 1); ++line) {
        content += "file " + std::to_string(i) + " line " + std::to_string(line) + " " + std::string(50, 'x') + "\n";
      }
      ASSERT_TRUE(spool_records_from_content(content, &f.meta, &f.records).is_ok());
      SpoolFileRow row;
      ASSERT_TRUE(store.archive(f, &row).is_ok());
      records_[f.meta.name_type()] = f.meta.records;
    }
    dump_ = dir_.file("dump.tap");
    CommandResult d = run_vtape("spool dump --to " + shell_quote(dump_) + " --library " + shell_quote(source));
    ASSERT_EQ(d.exit_code, 0) << describe(d);
  }

  // A new library with its catalog, as vtapefs leaves one, to load into.
  std::string new_library(const std::string& name) {
    std::string dir = dir_.file(name);
    std::unique_ptr<TapeLibrary> library;
    std::unique_ptr<Catalog> catalog;
    EXPECT_TRUE(TapeLibrary::open(dir, true, &library).is_ok()) << dir;
    if (library) {
      EXPECT_TRUE(Catalog::open(library->catalog_path(), &catalog).is_ok()) << dir;
    }
    // Its scratch cartridge cataloged too.
    CommandResult r = run_vtape("index rebuild --library " + shell_quote(dir));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return dir;
  }

  std::string load_command(const std::string& library, const std::string& extra = "") const {
    return shell_quote(VTAPE_BINARY) + " spool load --from " + shell_quote(dump_) + " --library " +
           shell_quote(library) + extra;
  }

  // The spool files `vtape spool list` shows, each checked against the
  // dump: the same record count, and its content reads back (vtape spool
  // dump of it alone succeeds and holds that many records).
  std::multiset<std::string> listed_and_whole(const std::string& library, const std::string& why) {
    std::multiset<std::string> names;
    CommandResult l = run_vtape("spool list --json --library " + shell_quote(library));
    EXPECT_EQ(l.exit_code, 0) << why << describe(l);
    if (l.exit_code != 0) return names;
    Json files = parse_json(l.out)["spool_files"];
    for (const auto& f : files.items) {
      std::string name = f["name"].str() + "." + f["type"].str();
      names.insert(name);
      auto known = records_.find(name);
      if (known == records_.end()) {
        ADD_FAILURE() << why << "listed a spool file the dump does not hold: " << name;
        continue;
      }
      EXPECT_EQ(f["records"].u64(), known->second) << why << name;
      std::string one = dir_.file("one.tap");
      std::remove(one.c_str());
      CommandResult d = run_vtape("spool dump --to " + shell_quote(one) + " --name " + shell_quote(name) +
                                  " --library " + shell_quote(library));
      EXPECT_EQ(d.exit_code, 0) << why << name << ": " << describe(d);
      EXPECT_NE(d.out.find("dumped 1 spool files, " + std::to_string(known->second) + " records"),
                std::string::npos)
          << why << name << ": " << d.out;
    }
    return names;
  }

  // The spool cartridge verifies; `catalog_too`: the catalog agrees with
  // the images.  Not straight after the kill: a load killed between making
  // the spool cartridge or writing a tape file and cataloging it leaves that
  // for the next spool write or the next mount to settle, as a killed
  // vtapefs's drive is repaired at its remount.
  void expect_consistent(const std::string& library, const std::string& why, bool catalog_too) {
    // Killed before the spool cartridge was made: there is none to verify.
    std::string spool = library + "/cartridges/SPOOL1.tap";
    if (std::filesystem::exists(spool)) {
      CommandResult v = run_vtape("verify " + shell_quote(spool));
      EXPECT_EQ(v.exit_code, 0) << why << describe(v);
    }
    if (catalog_too) {
      CommandResult check = run_vtape("index check --library " + shell_quote(library));
      EXPECT_EQ(check.exit_code, 0) << why << describe(check);
    }
  }

  TempDir dir_;
  std::string dump_;
  std::map<std::string, uint64_t> records_;  // name.type -> records
};

TEST_F(SpoolLoadKill, KilledAtEveryStageListsOnlyWholeFilesAndARerunLoadsTheRest) {
  // How many write calls a whole load makes, to spread the kills over it.
  std::string counted = new_library("counted");
  std::string trace = dir_.file("trace");
  CommandResult whole = run_command(strace_command("-f -qq -o " + shell_quote(trace) + " -e trace=" + kWriteCalls + " " +
                                                   load_command(counted)));
  ASSERT_EQ(whole.exit_code, 0) << describe(whole);
  CommandResult lines = run_command("grep -c . " + shell_quote(trace));
  int calls = std::stoi(lines.out);
  ASSERT_GT(calls, 20) << read_text(trace);

  std::set<int> points = {1, 2, 3, calls - 2, calls - 1};
  for (int k = 1; k <= 10; ++k) points.insert(calls * k / 11);
  for (int k : points) {
    if (k < 1 || k >= calls) continue;
    std::string why = "killed at write call " + std::to_string(k) + " of " + std::to_string(calls) + ": ";
    std::string library = new_library("lib" + std::to_string(k));
    CommandResult killed = run_command(strace_command("-f -qq -o /dev/null -e trace=" + std::string(kWriteCalls) +
                                                      " -e inject=" + kWriteCalls + ":signal=SIGKILL:when=" +
                                                      std::to_string(k) + " " + load_command(library)));
    // The last few calls may not come in every run (how often the
    // progress or the catalog writes varies): the load then ends whole.
    if (killed.exit_code == 0) {
      EXPECT_GE(k, calls * 3 / 4) << why << "the kill did not come";
      EXPECT_NE(killed.out.find("loaded " + std::to_string(kFiles) + " spool files"), std::string::npos)
          << why << describe(killed);
    }
    std::multiset<std::string> before = listed_and_whole(library, why);
    for (const auto& name : before) EXPECT_EQ(before.count(name), 1u) << why << name;
    expect_consistent(library, why, /*catalog_too=*/false);

    CommandResult rerun = run_command(load_command(library, " --nodup"));
    EXPECT_EQ(rerun.exit_code, 0) << why << describe(rerun);
    std::multiset<std::string> after = listed_and_whole(library, why + "after the rerun: ");
    EXPECT_EQ(after.size(), static_cast<size_t>(kFiles)) << why;
    for (const auto& [name, n] : records_) EXPECT_EQ(after.count(name), 1u) << why << name;
    expect_consistent(library, why + "after the rerun: ", /*catalog_too=*/true);
  }
}

// Killed right after it made the spool cartridge SPOOL1 (its description
// renamed into place, the cartridges folder not yet synced), before the
// catalog recorded SPOOL1 and before any record: the next mount's
// reconcile catalogs it, so nothing is left for a later spool write to
// settle.  strace -P keeps only the calls on the cartridges folder, whose
// first fsync in the load is the one after SPOOL1's description.
TEST_F(SpoolLoadKill, KilledRightAfterMakingTheSpoolCartridgeIsCatalogedAtTheNextMount) {
  MountedVtapefs m;
  ASSERT_TRUE(m.ok()) << m.error();
  m.unmount();  // a library as vtapefs leaves one, SCR001 cataloged
  std::string cartridges = m.library() + "/cartridges";
  CommandResult killed =
      run_command(strace_command("-f -qq -o /dev/null -P " + shell_quote(cartridges) +
                                 " -e trace=fsync -e inject=fsync:signal=SIGKILL:when=1 " + load_command(m.library())));
  ASSERT_NE(killed.exit_code, 0) << "the kill did not come: " << describe(killed);
  // The moment the test is about: SPOOL1 made, empty, the catalog without it.
  ASSERT_TRUE(std::filesystem::exists(cartridges + "/SPOOL1.cartridge")) << describe(killed);
  ASSERT_EQ(std::filesystem::file_size(cartridges + "/SPOOL1.tap"), 0u);
  std::string volumes = "sqlite3 " + shell_quote(m.library() + "/catalog.db") + " 'SELECT volser FROM volumes'";
  CommandResult before = run_command(volumes);
  ASSERT_EQ(before.exit_code, 0) << describe(before);
  ASSERT_EQ(before.out.find("SPOOL1"), std::string::npos) << "the kill came after the catalog recorded SPOOL1";

  ASSERT_TRUE(m.remount()) << m.error();
  CommandResult check = m.vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check);
  CommandResult ls = m.vtape("ls");
  EXPECT_EQ(ls.exit_code, 0) << describe(ls);
  EXPECT_NE(ls.out.find("SPOOL1"), std::string::npos) << ls.out;
  CommandResult after = run_command(volumes);
  EXPECT_NE(after.out.find("SPOOL1"), std::string::npos) << describe(after);
  // And the spool goes on: the rerun loads every file onto that cartridge.
  m.unmount();
  CommandResult rerun = run_command(load_command(m.library(), " --nodup"));
  EXPECT_EQ(rerun.exit_code, 0) << describe(rerun);
  std::multiset<std::string> loaded = listed_and_whole(m.library(), "after the rerun: ");
  EXPECT_EQ(loaded.size(), static_cast<size_t>(kFiles));
  expect_consistent(m.library(), "after the rerun: ", /*catalog_too=*/true);
}

}  // namespace
}  // namespace vtape::testing
