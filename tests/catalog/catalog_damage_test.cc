// A damaged catalog (issue 20): catalog.db garbled or cut short while the
// daemon runs.  The tapes are the truth and the catalog only an index of
// them, so the daemon must survive and its drives keep writing, `vtape ls`
// must say clearly that the catalog is damaged, and `vtape index rebuild`
// (once the daemon is stopped: it will not replace a catalog in use) makes
// a new catalog from the images that `vtape index check` finds clean.

#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

// A tar archive of one file of `size` pattern bytes written to `device`.
void tar_to(const std::string& device, size_t size, uint32_t seed) {
  TempDir src;
  write_file_bytes(src.file("data.bin"), pattern_bytes(size, seed));
  auto c = run_command("tar -cf " + shell_quote(device) + " -C " + shell_quote(src.path().string()) + " data.bin");
  ASSERT_EQ(c.exit_code, 0) << describe(c);
  settle_drive(device);
}

struct Damage {
  const char* name;
  // What is done to catalog.db (the daemon has it open).
  void (*apply)(const std::string& db);
};

void PrintTo(const Damage& d, std::ostream* os) { *os << d.name; }

const Damage kDamages[] = {
    {"Garbled",
     [](const std::string& db) {
       std::vector<uint8_t> bytes = read_file_bytes(db);
       // The header page and every page after it: nothing SQLite can read.
       for (size_t i = 0; i < bytes.size(); i += 7) bytes[i] ^= 0x5A;
       write_file_bytes(db, bytes);
     }},
    {"Truncated",
     [](const std::string& db) { fs::resize_file(db, 1000); }},
};

class DamagedCatalog : public ::testing::TestWithParam<Damage> {};

INSTANTIATE_TEST_SUITE_P(Kinds, DamagedCatalog, ::testing::ValuesIn(kDamages),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_P(DamagedCatalog, TheDaemonSurvivesAndARebuildMakesItAnewFromTheImages) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  tar_to(vt.drive(0), 200000, 1);
  if (HasFatalFailure()) return;
  auto before = vt.vtape("ls SCR001 --json");
  ASSERT_EQ(json_query(before.out, "len(d['files'])"), "1") << describe(before);

  std::string db = vt.library() + "/catalog.db";
  GetParam().apply(db);

  // The daemon goes on: a second archive is written and read back, and it
  // answers on its control socket.
  tar_to(vt.drive(0), 150000, 2);
  if (HasFatalFailure()) return;
  ASSERT_EQ(kill(vt.pid(), 0), 0) << "the daemon died: " << vt.log();
  TempDir out;
  auto x = run_command("mt -f " + shell_quote(vt.drive(0)) + " rewind && mt -f " + shell_quote(vt.drive(0)) +
                       " fsf 1 && tar -xf " + shell_quote(vt.drive(0)) + " -C " + shell_quote(out.path().string()));
  ASSERT_EQ(x.exit_code, 0) << describe(x) << vt.log();
  EXPECT_EQ(read_file_bytes(out.file("data.bin")), pattern_bytes(150000, 2));
  settle_drive(vt.drive(0));
  auto st = vt.vtape("status");
  EXPECT_EQ(st.exit_code, 0) << describe(st);
  // Asked while the daemon runs, vtape names the damaged catalog, and a
  // rebuild will not replace a catalog the daemon has open.
  auto ls_running = vt.vtape("ls SCR001");
  EXPECT_EQ(ls_running.exit_code, 1) << describe(ls_running);
  EXPECT_NE(ls_running.err.find("catalog.db"), std::string::npos) << describe(ls_running);
  auto refused = vt.vtape("index rebuild");
  EXPECT_EQ(refused.exit_code, 1) << describe(refused);
  EXPECT_NE(refused.err.find("stop vtapefs"), std::string::npos) << describe(refused);
  ASSERT_EQ(kill(vt.pid(), 0), 0) << "the daemon died: " << vt.log();

  // A catalog SQLite cannot read is reported as such, naming the file.
  vt.unmount();
  auto ls = vt.vtape("ls SCR001");
  EXPECT_EQ(ls.exit_code, 1) << describe(ls);
  EXPECT_NE(ls.err.find("catalog.db"), std::string::npos) << describe(ls);
  // It says what to do, and no errno text that would send the user looking
  // for a failing disk.
  EXPECT_NE(ls.err.find("vtape index rebuild"), std::string::npos) << describe(ls);
  EXPECT_EQ(ls.err.find("Input/output error"), std::string::npos) << describe(ls);

  // A rebuild moves the damaged file aside and makes the catalog anew from
  // the images: both archives, and a clean check.
  auto r = vt.vtape("index rebuild");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("catalog.db.broken"), std::string::npos) << describe(r);
  ASSERT_TRUE(vt.remount("--drives 2")) << vt.error();
  auto after = vt.vtape("ls SCR001 --json");
  ASSERT_EQ(after.exit_code, 0) << describe(after);
  EXPECT_EQ(json_query(after.out, "[f['content'] for f in d['files']]"), "['tar', 'tar']") << after.out;
  auto check = vt.vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check);
  // And writing goes on, catalogued.
  ASSERT_EQ(run_command("mt -f " + shell_quote(vt.drive(0)) + " eod").exit_code, 0);
  tar_to(vt.drive(0), 1000, 3);
  if (HasFatalFailure()) return;
  after = vt.vtape("ls SCR001 --json");
  EXPECT_EQ(json_query(after.out, "len(d['files'])"), "3") << describe(after);
}

}  // namespace
}  // namespace vtape::testing
