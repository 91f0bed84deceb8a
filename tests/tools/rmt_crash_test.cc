// kill -9 of vtapefs while GNU tar writes to one of its drives through
// vtape rmt (issue 20): tar fails, and after the remount the image
// verifies, the archive written before is intact, `vtape index check` is
// clean without a rebuild, and tar over rmt lists and writes again.
//
// Where the kill lands in tar's stream varies from run to run; what is
// checked afterwards holds wherever it lands.

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/test_support.h"
#include "tests/test_support/ssh_fixture.h"

namespace vtape::testing {
namespace {

std::string sq(const std::string& s) { return shell_quote(s); }

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

TEST(RmtCrash, DaemonKilledWhileTarWritesOverRmtLeavesAVerifiedImageAndACleanCatalog) {
  MountedVtapefs m;
  ASSERT_TRUE(m.ok()) << m.error();
  TempDir dir;
  std::string rsh = dir.file("rsh.sh");
  write_script(rsh, "exec " + sq(VTAPE_BINARY) + " rmt --library " + sq(m.library()) + "\n");
  std::string via = " --rsh-command=" + sq(rsh);
  write_text(dir.file("first.txt"), "the archive before the crash\n");
  CommandResult a = run_command("cd " + sq(dir.path()) + " && tar -cf localhost:nst0" + via + " first.txt");
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  settle_drive(m.drive(0));

  std::string image = m.library() + "/cartridges/SCR001.tap";
  uint64_t before = file_size(image);
  write_file_bytes(dir.file("big.bin"), pattern_bytes(96u << 20, 5));
  Background tar("cd " + sq(dir.path()) + " && tar -b 128 -cf localhost:nst0" + via + " big.bin");
  // Once tar's records are arriving (a few MiB into the image), the kill.
  for (int i = 0; i < 1200 && file_size(image) < before + (4u << 20) && !tar.done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_FALSE(tar.done()) << "tar ended before the kill: " << describe(tar.join());
  m.crash();
  const CommandResult& t = tar.join();
  EXPECT_NE(t.exit_code, 0) << "tar wrote on through a killed daemon: " << describe(t);

  ASSERT_TRUE(m.remount()) << m.error();
  CommandResult v = m.vtape("verify " + sq(image));
  EXPECT_EQ(v.exit_code, 0) << describe(v) << m.log();
  CommandResult check = m.vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check);
  // The first archive is intact.
  ASSERT_EQ(run_command("mt-gnu -f localhost:nst0" + via + " rewind").exit_code, 0);
  CommandResult list = run_command("tar -tf localhost:nst0" + via);
  EXPECT_EQ(list.exit_code, 0) << describe(list);
  EXPECT_EQ(list.out, "first.txt\n");
  // Writing goes on: a new archive at the end of data (the end of the torn
  // tape file: after a crash the tape ends after its last whole record, as
  // a real one does), whose member is in the image afterwards.
  write_text(dir.file("after.txt"), "written after the remount\n");
  ASSERT_EQ(run_command("mt-gnu -f localhost:nst0" + via + " eom").exit_code, 0);
  CommandResult w = run_command("cd " + sq(dir.path()) + " && tar -cf localhost:nst0" + via + " after.txt");
  EXPECT_EQ(w.exit_code, 0) << describe(w);
  settle_drive(m.drive(0));
  CommandResult found = run_command("grep -c 'written after the remount' " + sq(image));
  EXPECT_EQ(found.out, "1\n") << describe(found);
  CommandResult v2 = m.vtape("verify " + sq(image));
  EXPECT_EQ(v2.exit_code, 0) << describe(v2);
  CommandResult check2 = m.vtape("index check");
  EXPECT_EQ(check2.exit_code, 0) << describe(check2);
}

}  // namespace
}  // namespace vtape::testing
