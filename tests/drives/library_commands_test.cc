// The library commands against a mounted vtapefs: vtape new, load, unload,
// protect, unprotect, status and df, mt offline and mt lock, and what the library
// remembers across an unmount or while no daemon runs.  Each test mounts its
// own vtapefs on a fresh library (2 drives unless said otherwise; drive 0
// starts with the scratch cartridge SCR001).
//
// Where a test guards an st rule the daemon once broke, its comment says
// what st does and what went wrong.

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mtio.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string q(const std::string& s) { return shell_quote(s); }

std::string read_text(const std::string& path) {
  auto bytes = read_file_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::optional<uint64_t> json_number(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":";
  size_t at = json.rfind(needle);
  if (at == std::string::npos) return std::nullopt;
  at += needle.size();
  size_t end = json.find_first_not_of("0123456789", at);
  if (end == at) return std::nullopt;
  return std::stoull(json.substr(at, end - at));
}

// `vtape status --json DRIVE`, which must succeed.
std::string drive_json(const MountedVtapefs& vt, int drive) {
  CommandResult r = vt.vtape("status --json " + std::to_string(drive));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return r.out;
}

// What `vtape status --json DRIVE` says is loaded ("" when empty).
std::string loaded_in(const MountedVtapefs& vt, int drive) {
  std::string j = drive_json(vt, drive);
  if (contains(j, "\"loaded\":false")) {
    EXPECT_TRUE(contains(j, "\"DR_OPEN\"")) << j;
    return "";
  }
  auto at = j.find("\"volser\":\"");
  if (at == std::string::npos) return "?";
  at += 10;
  return j.substr(at, j.find('"', at) - at);
}

std::string state_file(const MountedVtapefs& vt) { return read_text(vt.library() + "/drives.state"); }

// ---------------------------------------------------------------------------
// vtape new

TEST(LibraryCommands, NewMakesAnEmptyCartridgeInEachWritableFormatThatWorksInADrive) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  struct Case {
    const char* format;
    const char* ext;
  };
  const Case cases[] = {{"simh", "tap"}, {"mtd", "mtd"}, {"aws", "aws"}, {"het", "het"}, {"e11", "e11"}};
  TempDir work;
  const auto record = pattern_bytes(70'001, 5);  // more than one AWS/HET chunk
  write_file_bytes(work.file("rec"), record);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.format);
    std::string volser = std::string("F") + c.format;
    for (auto& ch : volser) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    auto r = vt.vtape("new " + volser + " --format " + c.format);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    std::string image = vt.library() + "/cartridges/" + volser + "." + c.ext;
    EXPECT_TRUE(fs::exists(image));
    EXPECT_TRUE(contains(read_text(vt.library() + "/cartridges/" + volser + ".cartridge"),
                         std::string("format ") + c.format));
    // The mount shows it at once.
    EXPECT_TRUE(fs::exists(vt.mount_point() + "/library/" + volser + "." + c.ext));
    r = vt.vtape("verify " + q(image));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    r = vt.vtape("info " + q(image));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, c.format)) << r.out;

    // Through drive 1: one record and a filemark, read back.
    r = vt.vtape("load 1 " + volser);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(drive_json(vt, 1), std::string("\"format\":\"") + c.format + "\""));
    r = run_command("dd if=" + q(work.file("rec")) + " of=" + q(vt.drive(1)) + " bs=70001 count=1");
    ASSERT_EQ(r.exit_code, 0) << describe(r) << vt.log();
    ASSERT_EQ(run_command("mt -f " + q(vt.drive(1)) + " rewind").exit_code, 0);
    std::string back = work.file(std::string("back.") + c.format);
    r = run_command("dd if=" + q(vt.drive(1)) + " of=" + q(back) + " bs=1M count=1");
    ASSERT_EQ(r.exit_code, 0) << describe(r) << vt.log();
    EXPECT_TRUE(read_file_bytes(back) == record) << fs::file_size(back) << " bytes read back";
    r = vt.vtape("unload 1");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    r = vt.vtape("dump --json " + q(image));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(json_number(r.out, "records"), 1u) << r.out;
    EXPECT_EQ(json_number(r.out, "filemarks"), 1u) << r.out;
  }
  // TPC is read-only; an unknown format is a usage error.
  auto r = vt.vtape("new FTPC --format tpc");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/FTPC.cartridge"));
  r = vt.vtape("new FBOGUS --format bogus");
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/FBOGUS.cartridge"));
}

TEST(LibraryCommands, NewTakesACapacityOfAtLeast64K) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  auto r = vt.vtape("new CAP2M --capacity 2M");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(read_text(vt.library() + "/cartridges/CAP2M.cartridge"), "capacity 2097152"));
  r = vt.vtape("new CAP64K --capacity 64K");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  r = vt.vtape("new DEFCAP");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(read_text(vt.library() + "/cartridges/DEFCAP.cartridge"), "capacity 10737418240"));
  for (const char* bad : {"10K", "63K", "xyz", "-5M", ""}) {
    r = vt.vtape(std::string("new BADCAP --capacity ") + q(bad));
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << describe(r);
    EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/BADCAP.cartridge")) << bad;
  }

  // The capacity is the cartridge's: status shows it, and writing stops at it.
  ASSERT_EQ(vt.vtape("load 1 CAP2M").exit_code, 0);
  std::string j = drive_json(vt, 1);
  EXPECT_EQ(json_number(j, "capacity"), 2097152u) << j;
  TempDir work;
  write_file_bytes(work.file("big"), pattern_bytes(3u << 20, 9));
  r = run_command("dd if=" + q(work.file("big")) + " of=" + q(vt.drive(1)) + " bs=64k");
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "No space left on device")) << describe(r);
  EXPECT_LE(fs::file_size(vt.library() + "/cartridges/CAP2M.tap"), 2097152u);
  EXPECT_EQ(vt.vtape("verify " + q(vt.library() + "/cartridges/CAP2M.tap")).exit_code, 0);
}

TEST(LibraryCommands, NewRejectsBadVolumeSerialsAndDuplicates) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  for (const char* bad : {"TOOLONG", "A-B", "AB CD", "A.B", "\xC3\x84"}) {
    auto r = vt.vtape(std::string("new ") + q(bad));
    EXPECT_EQ(r.exit_code, 1) << bad << ": " << describe(r);
    EXPECT_TRUE(contains(r.err, "not a volume serial")) << describe(r);
  }
  // The scratch cartridge exists already.
  auto r = vt.vtape("new SCR001");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "already exists")) << describe(r);
  // Lower case is upper case: the second is a duplicate of the first, even in
  // another format, and the first image is untouched.
  r = vt.vtape("new tape1");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(fs::exists(vt.library() + "/cartridges/TAPE1.tap"));
  r = vt.vtape("new TAPE1 --format aws");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/TAPE1.aws"));
  EXPECT_TRUE(contains(read_text(vt.library() + "/cartridges/TAPE1.cartridge"), "format simh"));
  // One character is enough.
  EXPECT_EQ(vt.vtape("new 7").exit_code, 0);
}

// ---------------------------------------------------------------------------
// load, unload, status while mounted

TEST(LibraryCommands, LoadUnloadAndStatusWhileMounted) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  ASSERT_EQ(vt.vtape("new VOL001").exit_code, 0);
  EXPECT_EQ(loaded_in(vt, 0), "SCR001");
  EXPECT_EQ(loaded_in(vt, 1), "");

  auto r = vt.vtape("load 1 vol001");  // volsers are case-insensitive
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(loaded_in(vt, 1), "VOL001");
  std::string j = drive_json(vt, 1);
  EXPECT_TRUE(contains(j, "\"BOT\"")) << j;
  EXPECT_TRUE(contains(j, "\"ONLINE\"")) << j;
  EXPECT_TRUE(contains(j, "\"open\":false")) << j;
  EXPECT_TRUE(contains(state_file(vt), "1 VOL001")) << state_file(vt);

  // The whole list: both drives.
  r = vt.vtape("status --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "\"drive\":0")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"drive\":1")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"library\":\"" + vt.library() + "\"")) << r.out;
  r = vt.vtape("status 1");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "VOL001")) << r.out;

  // The drive works with what was loaded: write, and the position shows.
  TempDir work;
  write_file_bytes(work.file("f"), pattern_bytes(20'000, 3));
  r = run_command("tar -cf " + q(vt.drive(1)) + " -C " + q(work.path().string()) + " f");
  ASSERT_EQ(r.exit_code, 0) << describe(r) << vt.log();
  j = drive_json(vt, 1);
  EXPECT_EQ(json_number(j, "file"), 1u) << j;
  EXPECT_TRUE(contains(j, "\"EOF\"")) << j;

  // Open: status says so, and the cartridge cannot be taken out.
  {
    int fd = ::open(vt.drive(1).c_str(), O_RDONLY);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    EXPECT_TRUE(contains(drive_json(vt, 1), "\"open\":true"));
    r = vt.vtape("unload 1");
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_EQ(loaded_in(vt, 1), "VOL001");
    ::close(fd);
  }

  // A full drive takes no other cartridge; unknown cartridges and drives fail.
  r = vt.vtape("load 0 VOL002");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  ASSERT_EQ(vt.vtape("new VOL002").exit_code, 0);
  r = vt.vtape("load 0 VOL002");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "SCR001")) << describe(r);
  EXPECT_EQ(loaded_in(vt, 0), "SCR001");
  r = vt.vtape("load 2 VOL002");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  r = vt.vtape("load x VOL002");
  EXPECT_EQ(r.exit_code, 2) << describe(r);

  r = vt.vtape("unload 1");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(loaded_in(vt, 1), "");
  EXPECT_FALSE(contains(state_file(vt), "VOL001")) << state_file(vt);
  r = vt.vtape("unload 1");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  // The unloaded image is complete: archive and filemark.
  r = vt.vtape("dump --json " + q(vt.library() + "/cartridges/VOL001.tap"));
  EXPECT_EQ(json_number(r.out, "filemarks"), 1u) << r.out;

  // An empty drive opened without O_NONBLOCK: no medium.
  errno = 0;
  int fd = ::open(vt.drive(1).c_str(), O_RDONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, ENOMEDIUM);
  if (fd >= 0) ::close(fd);
}

TEST(LibraryCommands, LoadingACartridgeThatIsInAnotherDriveFails) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  auto r = vt.vtape("load 1 SCR001");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "already in drive 0")) << describe(r);
  EXPECT_EQ(loaded_in(vt, 1), "");
  EXPECT_EQ(loaded_in(vt, 0), "SCR001");
  // Once out of drive 0 it can go into drive 1.
  ASSERT_EQ(vt.vtape("unload 0").exit_code, 0);
  r = vt.vtape("load 1 SCR001");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(loaded_in(vt, 1), "SCR001");
  EXPECT_EQ(loaded_in(vt, 0), "");
  r = vt.vtape("load 0 SCR001");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(loaded_in(vt, 0), "");
}

// ---------------------------------------------------------------------------
// mt offline, mt lock

TEST(LibraryCommands, MtOfflineUnloadsTheCartridge) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::string drive = vt.drive(0);
  auto r = run_command("mt -f " + q(drive) + " offline");
  ASSERT_EQ(r.exit_code, 0) << describe(r) << vt.log();
  EXPECT_EQ(loaded_in(vt, 0), "");
  r = run_command("mt -f " + q(drive) + " status");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "DR_OPEN")) << r.out;
  EXPECT_FALSE(contains(r.out, "ONLINE")) << r.out;
  EXPECT_FALSE(contains(state_file(vt), "SCR001")) << state_file(vt);
  // Now free for another drive.
  r = vt.vtape("load 1 SCR001");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST(LibraryCommands, MtOfflineRightAfterWritingWritesTheFilemarkFirst) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  int fd = ::open(vt.drive(0).c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  auto data = pattern_bytes(4096, 8);
  ASSERT_EQ(::write(fd, data.data(), data.size()), 4096) << std::strerror(errno);
  mtop op{MTOFFL, 1};
  EXPECT_EQ(ioctl(fd, MTIOCTOP, &op), 0) << std::strerror(errno);
  mtget g{};
  ASSERT_EQ(ioctl(fd, MTIOCGET, &g), 0) << std::strerror(errno);
  EXPECT_TRUE(GMT_DR_OPEN(g.mt_gstat)) << std::hex << g.mt_gstat;
  ::close(fd);
  EXPECT_EQ(loaded_in(vt, 0), "");
  auto r = vt.vtape("dump --json " + q(vt.library() + "/cartridges/SCR001.tap"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_number(r.out, "records"), 1u) << r.out;
  EXPECT_EQ(json_number(r.out, "filemarks"), 1u) << r.out;
  EXPECT_EQ(vt.vtape("verify " + q(vt.library() + "/cartridges/SCR001.tap")).exit_code, 0);
}

TEST(LibraryCommands, MtLockKeepsTheCartridgeInUntilMtUnlock) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::string drive = vt.drive(0);
  auto r = run_command("mt -f " + q(drive) + " lock");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(drive_json(vt, 0), "\"locked\":true"));
  r = vt.vtape("unload 0");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "locked")) << describe(r);
  EXPECT_EQ(loaded_in(vt, 0), "SCR001");
  r = run_command("mt -f " + q(drive) + " unlock");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = vt.vtape("unload 0");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(loaded_in(vt, 0), "");
}

// st unlocks the door before MTOFFL (st_ioctl: "if (mtc.mt_op == MTOFFL &&
// STp->door_locked != ST_UNLOCKED) do_door_lock(STp, 0)"), so after
// `mt lock; mt offline` the next cartridge can be taken out again.  (Before
// cd54326 the drive stayed locked: `vtape unload 0` failed "drive 0 is
// locked (MTLOCK)".)
TEST(LibraryCommands, MtOfflineUnlocksALockedDrive) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::string drive = vt.drive(0);
  ASSERT_EQ(run_command("mt -f " + q(drive) + " lock").exit_code, 0);
  auto r = run_command("mt -f " + q(drive) + " offline");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(loaded_in(vt, 0), "");
  EXPECT_TRUE(contains(drive_json(vt, 0), "\"locked\":false")) << drive_json(vt, 0);
  ASSERT_EQ(vt.vtape("load 0 SCR001").exit_code, 0);
  r = vt.vtape("unload 0");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

// ---------------------------------------------------------------------------
// What the library remembers

TEST(LibraryCommands, WhichCartridgeIsInWhichDriveSurvivesRemount) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  ASSERT_EQ(vt.vtape("new VOL001").exit_code, 0);
  ASSERT_EQ(vt.vtape("new VOL002 --format aws").exit_code, 0);
  ASSERT_EQ(vt.vtape("unload 0").exit_code, 0);
  ASSERT_EQ(vt.vtape("load 0 VOL002").exit_code, 0);
  ASSERT_EQ(vt.vtape("load 1 VOL001").exit_code, 0);
  TempDir work;
  write_file_bytes(work.file("f"), pattern_bytes(30'000, 4));
  // Unmount while the tape is positioned mid-tape after writing.
  auto r = run_command("tar -cf " + q(vt.drive(1)) + " -C " + q(work.path().string()) + " f");
  ASSERT_EQ(r.exit_code, 0) << describe(r);

  ASSERT_TRUE(vt.remount()) << vt.error();
  EXPECT_EQ(loaded_in(vt, 0), "VOL002");
  EXPECT_EQ(loaded_in(vt, 1), "VOL001");
  EXPECT_TRUE(contains(drive_json(vt, 0), "\"format\":\"aws\""));
  // A freshly mounted drive is at the beginning of its tape.
  std::string j = drive_json(vt, 1);
  EXPECT_TRUE(contains(j, "\"BOT\"")) << j;
  r = run_command("tar -tf " + q(vt.drive(1)));
  EXPECT_EQ(r.exit_code, 0) << describe(r) << vt.log();
  EXPECT_EQ(r.out, "f\n");

  // An offline survives too.
  ASSERT_EQ(run_command("mt -f " + q(vt.drive(0)) + " offline").exit_code, 0);
  ASSERT_TRUE(vt.remount()) << vt.error();
  EXPECT_EQ(loaded_in(vt, 0), "");
  EXPECT_EQ(loaded_in(vt, 1), "VOL001");
}

TEST(LibraryCommands, LoadAndUnloadWithNoDaemonAreRecordedForTheNextMount) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  ASSERT_EQ(vt.vtape("new VOL001").exit_code, 0);
  vt.unmount();
  ASSERT_FALSE(fs::exists(vt.drive(0)));

  // status needs the daemon.
  auto r = vt.vtape("status");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "no vtapefs is running")) << describe(r);

  // The same checks as with a daemon, against the saved state.
  r = vt.vtape("load 0 VOL001");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  r = vt.vtape("load 1 SCR001");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  r = vt.vtape("unload 1");
  EXPECT_EQ(r.exit_code, 1) << describe(r);

  r = vt.vtape("unload 0");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = vt.vtape("load 1 VOL001");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "when vtapefs mounts")) << describe(r);
  r = vt.vtape("load 0 SCR001");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  // Protection is a property of the cartridge, also without a daemon.
  r = vt.vtape("protect VOL001");
  ASSERT_EQ(r.exit_code, 0) << describe(r);

  ASSERT_TRUE(vt.remount()) << vt.error();
  EXPECT_EQ(loaded_in(vt, 0), "SCR001");
  EXPECT_EQ(loaded_in(vt, 1), "VOL001");
  EXPECT_TRUE(contains(drive_json(vt, 1), "\"write_protected\":true"));
  errno = 0;
  int fd = ::open(vt.drive(1).c_str(), O_WRONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EROFS) << std::strerror(errno);
  if (fd >= 0) ::close(fd);
}

// Without a daemon, unload says that it changed only what the next mount
// loads (no image was touched).
TEST(LibraryCommands, UnloadWithNoDaemonSaysItChangedOnlyTheSavedState) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  vt.unmount();
  auto r = vt.vtape("unload 0");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "drive 0 will be empty when vtapefs mounts this library (no vtapefs serves it now)\n");
  ASSERT_TRUE(vt.remount()) << vt.error();
  EXPECT_EQ(loaded_in(vt, 0), "");
}

// A drive the mount does not have is not there: creating drives/nst7 on a
// two-drive mount is ENOENT (as for a device node that does not exist),
// not EROFS; other names in drives/ are EROFS.
TEST(LibraryCommands, CreatingADriveTheMountDoesNotHaveIsNoSuchFile) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  for (const char* name : {"nst7", "st2", "nst999"}) {
    errno = 0;
    int fd = ::open((vt.mount_point() + "/drives/" + name).c_str(), O_WRONLY | O_CREAT, 0600);
    EXPECT_EQ(fd, -1) << name;
    EXPECT_EQ(errno, ENOENT) << name << ": " << std::strerror(errno);
    if (fd >= 0) ::close(fd);
  }
  errno = 0;
  int fd = ::open((vt.mount_point() + "/drives/notes.txt").c_str(), O_WRONLY | O_CREAT, 0600);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EROFS) << std::strerror(errno);
  if (fd >= 0) ::close(fd);
  EXPECT_FALSE(fs::exists(vt.drive(7)));
}

// vtape rm takes a cartridge out for good: its description, image and
// catalog rows; never one in a drive, a protected one or the spool's, with
// or without a daemon.
TEST(LibraryCommands, RmRemovesACartridgeButNotOneInADriveOrProtected) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  ASSERT_EQ(vt.vtape("new VOL001").exit_code, 0);
  ASSERT_EQ(vt.vtape("new VOL002").exit_code, 0);
  ASSERT_EQ(vt.vtape("new VOL003").exit_code, 0);
  ASSERT_EQ(vt.vtape("load 1 VOL001").exit_code, 0);
  auto r = vt.vtape("rm VOL001");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("VOL001 is in drive 1; unload it first"), std::string::npos) << describe(r);
  ASSERT_EQ(vt.vtape("protect VOL002").exit_code, 0);
  r = vt.vtape("rm VOL002");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("VOL002 is write-protected"), std::string::npos) << describe(r);
  r = vt.vtape("rm VOL003 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "d['removed']"), "VOL003");
  EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/VOL003.tap"));
  EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/VOL003.cartridge"));
  EXPECT_FALSE(fs::exists(vt.mount_point() + "/library/VOL003.tap"));
  r = vt.vtape("ls --json");
  EXPECT_EQ(json_query(r.out, "sorted(v['volser'] for v in d['volumes'])"), "['SCR001', 'VOL001', 'VOL002']");
  EXPECT_EQ(vt.vtape("load 0 VOL003").exit_code, 1);
  EXPECT_EQ(vt.vtape("index check").exit_code, 0) << vt.vtape("index check").out;
  // Without a daemon: drives.state says what is loaded.
  vt.unmount();
  r = vt.vtape("rm VOL001");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("VOL001 is in drive 1"), std::string::npos) << describe(r);
  ASSERT_EQ(vt.vtape("unload 1").exit_code, 0);
  r = vt.vtape("rm VOL001");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/VOL001.tap"));
  r = vt.vtape("events --volser VOL001 --json");
  EXPECT_NE(r.out.find("\"kind\":\"remove\""), std::string::npos) << r.out;
  EXPECT_EQ(vt.vtape("rm NOSUCH").exit_code, 1);
}

// Every command that acts says what it did as JSON with --json, with and
// without a daemon.
TEST(LibraryCommands, EveryCommandThatActsHasJson) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  auto r = vt.vtape("new VOL001 --format aws --capacity 1M --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "(d['volser'], d['format'], d['capacity'], d['image'].endswith('/VOL001.aws'))"),
            "('VOL001', 'aws', 1048576, True)");
  r = vt.vtape("load 1 VOL001 --json");
  EXPECT_EQ(json_query(r.out, "(d['volser'], d['drive'], d['loaded'])"), "('VOL001', 1, True)") << describe(r);
  r = vt.vtape("protect VOL001 --json");
  EXPECT_EQ(json_query(r.out, "(d['volser'], d['write_protected'])"), "('VOL001', True)") << describe(r);
  r = vt.vtape("unprotect VOL001 --json");
  EXPECT_EQ(json_query(r.out, "d['write_protected']"), "False") << describe(r);
  r = vt.vtape("unload 1 --json");
  EXPECT_EQ(json_query(r.out, "(d['drive'], d['unloaded'])"), "(1, True)") << describe(r);
  vt.unmount();
  r = vt.vtape("load 1 VOL001 --json");
  EXPECT_EQ(json_query(r.out, "d['loaded']"), "False") << describe(r);
  r = vt.vtape("unload 1 --json");
  EXPECT_EQ(json_query(r.out, "d['unloaded']"), "False") << describe(r);

  TempDir work;
  std::string image = work.file("IMP001.tap");
  write_text(work.file("a.txt"), std::string(25000, 'a'));
  r = run_vtape("write " + q(image) + " " + q(work.file("a.txt")) + " --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "(d['format'], d['tape_files'], d['records'], d['bytes'])"), "('simh', 1, 3, 25000)");
  r = vt.vtape("import " + q(image) + " --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(i['volser'], i['format'], i['tape_files'], i['damaged']) for i in d['imported']]"),
            "[('IMP001', 'simh', 1, False)]");
  EXPECT_EQ(json_query(r.out, "d['failed']"), "0");
}

TEST(LibraryCommands, ProtectAndUnprotectApplyToALoadedCartridgeAtOnce) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  write_file_bytes(work.file("f"), pattern_bytes(5'000, 2));
  std::string drive = vt.drive(0);
  std::string cartridge_file = vt.library() + "/cartridges/SCR001.cartridge";

  auto r = vt.vtape("protect scr001");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(read_text(cartridge_file), "protected 1"));
  std::string j = drive_json(vt, 0);
  EXPECT_TRUE(contains(j, "\"write_protected\":true")) << j;
  EXPECT_TRUE(contains(j, "\"WR_PROT\"")) << j;
  r = run_command("tar -cf " + q(drive) + " -C " + q(work.path().string()) + " f");
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "Read-only file system")) << describe(r);

  r = vt.vtape("unprotect SCR001");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(read_text(cartridge_file), "protected 0"));
  j = drive_json(vt, 0);
  EXPECT_TRUE(contains(j, "\"write_protected\":false")) << j;
  EXPECT_FALSE(contains(j, "\"WR_PROT\"")) << j;
  r = run_command("tar -cf " + q(drive) + " -C " + q(work.path().string()) + " f");
  EXPECT_EQ(r.exit_code, 0) << describe(r) << vt.log();

  // Protecting a cartridge that is not loaded takes effect when it is.
  ASSERT_EQ(vt.vtape("new VOL001").exit_code, 0);
  ASSERT_EQ(vt.vtape("protect VOL001").exit_code, 0);
  ASSERT_EQ(vt.vtape("load 1 VOL001").exit_code, 0);
  EXPECT_TRUE(contains(drive_json(vt, 1), "\"write_protected\":true"));
  errno = 0;
  int fd = ::open(vt.drive(1).c_str(), O_WRONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EROFS) << std::strerror(errno);
  if (fd >= 0) ::close(fd);

  // Unknown cartridges fail.
  r = vt.vtape("protect NOSUCH");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  r = vt.vtape("unprotect NOSUCH");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
}

TEST(LibraryCommands, StatusOfADriveThatDoesNotExistFails) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  for (const char* n : {"2", "99", "999"}) {
    auto r = vt.vtape(std::string("status ") + n);
    EXPECT_EQ(r.exit_code, 1) << n << ": " << describe(r);
    EXPECT_TRUE(r.out.empty()) << r.out;
    r = vt.vtape(std::string("status --json ") + n);
    EXPECT_EQ(r.exit_code, 1) << n << ": " << describe(r);
  }
  auto r = vt.vtape("status abc");
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_EQ(vt.vtape("status 1").exit_code, 0);

  // With more drives the number is valid.
  ASSERT_TRUE(vt.remount("--drives 3")) << vt.error();
  r = vt.vtape("status --json 2");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "\"drive\":2")) << r.out;
  EXPECT_TRUE(fs::exists(vt.drive(2)));
  r = vt.vtape("status 3");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_FALSE(fs::exists(vt.drive(3)));
}

// ---------------------------------------------------------------------------
// vtape df

// A cartridge written by dd until the drive gave early warning: df counts
// its image's bytes, marks it, and adds the cartridges up.
TEST(LibraryCommands, DfShowsWhatEachCartridgeHoldsAndWhichArePastEarlyWarning) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  ASSERT_EQ(vt.vtape("new VOL001 --capacity 1M --format aws").exit_code, 0);
  ASSERT_EQ(vt.vtape("load 1 VOL001").exit_code, 0);
  // 10 KiB records: one crosses early warning (32 KiB before the end) and
  // the next gets ENOSPC, as st gives it.
  CommandResult r = run_command("dd if=/dev/zero of=" + q(vt.drive(1)) + " bs=10k count=200");
  EXPECT_NE(r.exit_code, 0) << "1 MiB of tape took 2 MiB: " << describe(r);
  EXPECT_TRUE(contains(r.err, "No space left on device")) << describe(r);
  r = run_command("tar -cf " + q(vt.drive(0)) + " -C / etc/hostname");
  ASSERT_EQ(r.exit_code, 0) << describe(r);

  r = vt.vtape("df --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  uint64_t vol = fs::file_size(vt.library() + "/cartridges/VOL001.aws");
  uint64_t scr = fs::file_size(vt.library() + "/cartridges/SCR001.tap");
  EXPECT_GT(vol, 900u << 10);
  EXPECT_GT(scr, 10240u);
  EXPECT_EQ(json_query(r.out, "[(c['volser'], c['format'], c['used'], c['capacity'], c['past_early_warning']) "
                              "for c in d['cartridges']]"),
            "[('SCR001', 'simh', " + std::to_string(scr) + ", 10737418240, False), ('VOL001', 'aws', " +
                std::to_string(vol) + ", 1048576, True)]")
      << r.out;
  EXPECT_EQ(json_query(r.out, "(d['total']['cartridges'], d['total']['used'], d['total']['capacity'])"),
            "(2, " + std::to_string(vol + scr) + ", " + std::to_string(10737418240ull + 1048576) + ")")
      << r.out;
  EXPECT_EQ(json_query(r.out, "sorted(f['format'] for f in d['formats'])"), "['aws', 'simh']") << r.out;
  EXPECT_EQ(json_query(r.out, "d['total']['room'] == sum(c['capacity'] - c['used'] for c in d['cartridges'])"),
            "True")
      << r.out;
  EXPECT_EQ(json_query(r.out, "0 < d['file_system']['free'] <= d['file_system']['size']"), "True") << r.out;

  r = vt.vtape("df");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nVOL001 +aws +[0-9.]+ KiB +1.0 MiB +9[0-9]%  past early warning\n")))
      << r.out;
  EXPECT_FALSE(contains(r.out, "SCR001 past")) << r.out;
}

// A library on a 4 MiB file system with a 64 MiB cartridge: df says the file
// system fills first.
TEST(LibraryCommands, DfSaysWhenTheCartridgesCanOutgrowTheFileSystem) {
  TempDir dir;
  std::string small = dir.file("small");
  fs::create_directories(small);
  ASSERT_EQ(run_command("mount -t tmpfs -o size=4m tmpfs " + q(small)).exit_code, 0);
  struct Unmount {
    std::string at;
    ~Unmount() { run_command("umount -l " + shell_quote(at)); }
  } unmount{small};
  std::string lib = "--library " + q(small + "/lib");
  CommandResult r = run_command(q(VTAPE_BINARY) + " new VOL001 --capacity 64M " + lib);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_command(q(VTAPE_BINARY) + " df --json " + lib);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "(d['overcommitted'], d['file_system']['size'] <= 4 << 20)"), "(True, True)") << r.out;
  r = run_command(q(VTAPE_BINARY) + " df " + lib);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "the file system fills before they do")) << r.out;
  // On a roomy file system it does not.
  TempDir roomy;
  std::string big = "--library " + q(roomy.file("lib"));
  ASSERT_EQ(run_command(q(VTAPE_BINARY) + " new VOL001 --capacity 64K " + big).exit_code, 0);
  r = run_command(q(VTAPE_BINARY) + " df --json " + big);
  EXPECT_EQ(json_query(r.out, "d['overcommitted']"), "False") << r.out;
}

}  // namespace
}  // namespace vtape::testing
