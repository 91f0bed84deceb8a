// A full disk during a catalog commit (issue 20): the library on a small
// tmpfs, with room for a tar archive's image but not for the catalog's
// commit of its thousands of members.  The writer's close() gets ENOSPC
// (the catalog is part of what a close promises), the image verifies,
// `vtape index check` reports exactly the tape file the catalog lacks (the
// commit is all or nothing), and
// once space is freed `vtape index rebuild` makes the catalog match, the
// daemon still serves and the drive writes on.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

// A tar archive (in `dir`) of `count` empty files with long names: small on
// tape (512 bytes a member), large in the catalog (a row and a name each).
std::string many_member_tar(const TempDir& dir, int count) {
  std::string src = dir.file("src");
  fs::create_directories(src);
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "m%05d-", i);
    std::ofstream(src + "/" + name + std::string(80, 'n'));
  }
  std::string tar = dir.file("many.tar");
  CommandResult t = run_command("tar -cf " + shell_quote(tar) + " -b 20 -C " + shell_quote(src) + " .");
  EXPECT_EQ(t.exit_code, 0) << describe(t);
  return tar;
}

TEST(FullDisk, ACatalogCommitThatFindsTheDiskFullFailsTheCloseAndIsRebuiltAfterwards) {
  TempDir dir;
  std::string tar = many_member_tar(dir, 6000);
  if (HasFailure()) return;
  std::vector<uint8_t> archive = read_file_bytes(tar);
  ASSERT_EQ(archive.size() % 10240, 0u);

  MountedOnSmallDisk d("16m");
  if (!d.skip_reason().empty()) GTEST_SKIP() << d.skip_reason();
  ASSERT_TRUE(d.started()) << d.vt().error();
  MountedVtapefs& vt = d.vt();
  // Room for the image (the records, their length words, a filemark and
  // a guard) and a little more; not for the catalog's commit.
  uint64_t room = archive.size() + 64 * 1024;
  ASSERT_GT(d.free_bytes(), room);
  std::string filler = vt.library() + "/filler";
  write_file_bytes(filler, std::vector<uint8_t>(d.free_bytes() - room, 0xEE));

  int fd = open(vt.drive(0).c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  for (size_t at = 0; at < archive.size(); at += 10240) {
    ASSERT_EQ(write(fd, archive.data() + at, 10240), 10240) << "at byte " << at << ": " << std::strerror(errno);
  }
  int close_rc = close(fd);
  int close_errno = errno;
  settle_drive(vt.drive(0));
  EXPECT_EQ(close_rc, -1) << "close() succeeded though the catalog could not take the tape file";
  EXPECT_EQ(close_errno, ENOSPC) << std::strerror(close_errno);
  ASSERT_EQ(kill(vt.pid(), 0), 0) << "the daemon died: " << vt.log();

  std::string image = vt.library() + "/cartridges/SCR001.tap";
  CommandResult v = run_vtape("verify " + shell_quote(image));
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  // What the catalog lacks is reported (never a catalog that claims
  // members the image does not hold).
  // The commit is one transaction: the catalog has all of the tape file
  // or none of it.
  CommandResult check = vt.vtape("index check");
  EXPECT_EQ(check.exit_code, 1) << describe(check);
  EXPECT_EQ(check.out, "SCR001: catalog has 0 tape files, image has 1\n") << describe(check);

  // Space again: the rebuild makes the catalog match the image.
  fs::remove(filler);
  CommandResult rebuild = vt.vtape("index rebuild");
  EXPECT_EQ(rebuild.exit_code, 0) << describe(rebuild);
  CommandResult again = vt.vtape("index check");
  EXPECT_EQ(again.exit_code, 0) << describe(again);
  CommandResult find = vt.vtape("find 'm05999-*'");
  EXPECT_EQ(find.exit_code, 0) << describe(find);
  EXPECT_NE(find.out.find("m05999-"), std::string::npos) << describe(find);

  // The drive writes on after the tape file, and the catalog keeps up.
  TempDir more;
  write_file_bytes(more.file("after.bin"), pattern_bytes(100000, 7));
  CommandResult t = run_command("tar -cf " + shell_quote(vt.drive(0)) + " -C " + shell_quote(more.path().string()) +
                                " after.bin");
  EXPECT_EQ(t.exit_code, 0) << describe(t);
  settle_drive(vt.drive(0));
  CommandResult last = vt.vtape("index check");
  EXPECT_EQ(last.exit_code, 0) << describe(last);
  CommandResult ls = vt.vtape("ls SCR001 --json");
  EXPECT_EQ(ls.exit_code, 0) << describe(ls);
  EXPECT_EQ(json_query(ls.out, "len(d['files'])"), "2") << ls.out;
}

}  // namespace
}  // namespace vtape::testing
