// A vtapefs that scripts and services can start and find: `vtapefs MNT`
// returns only when the daemon serves the library (with -f, systemd is told
// READY=1), one writer of the library's state at a time, the mount's source
// names the library, `vtape` finds the library of the mount it is given or
// run in, and a mount over a vtapefs or a non-empty directory is refused.

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "library/mount_table.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

std::string q(const std::string& s) { return shell_quote(s); }

// A vtapefs started in the background (no -f) by the test, unmounted and
// its daemon killed (by the pid in the library's lock file) in teardown,
// also when the test fails.
class BackgroundMounts {
 public:
  ~BackgroundMounts() {
    for (const auto& [mount, library] : mounts_) {
      run_command("fusermount3 -u -z " + q(mount) + " 2>/dev/null");
      std::ifstream lock(library + "/vtapefs.lock");
      long pid = 0;
      if (lock >> pid && pid > 1 && pid != getpid()) kill(static_cast<pid_t>(pid), SIGKILL);
    }
  }
  // Remembers a mount to clear in teardown.
  void track(const std::string& mount, const std::string& library) { mounts_.emplace_back(mount, library); }

 private:
  std::vector<std::pair<std::string, std::string>> mounts_;
};

std::string vtapefs_command(const std::string& library, const std::string& mount) {
  return q(VTAPEFS_BINARY) + " --library " + q(library) + " " + q(mount);
}

std::string vtape_command() { return "env -u VTAPE_LIBRARY " + q(VTAPE_BINARY); }

// The race users hit: mount, then load and status at once.  `vtapefs`
// returned before its control socket answered, so the load was written to
// the library's state behind the starting daemon ("will be in drive 1 when
// vtapefs mounts") and lost, status said "no vtapefs is running", and the
// daemon and vtape replaced drives.state through the same temporary name.
TEST(Readiness, MountThenLoadAndStatusAtOnceNeverRaceInTwoHundredRounds) {
  TempDir dir;
  BackgroundMounts guard;
  std::string lib = dir.file("lib"), mnt = dir.file("mnt");
  std::filesystem::create_directories(mnt);
  guard.track(mnt, lib);
  ASSERT_EQ(run_command(vtape_command() + " new VOL003 --library " + q(lib)).exit_code, 0);
  std::string script =
      "fails=0\n"
      "for i in $(seq 200); do\n"
      "  " + vtapefs_command(lib, mnt) + " || { echo \"round $i: vtapefs failed\"; exit 1; }\n"
      "  out=$(" + vtape_command() + " load 1 VOL003 --library " + q(lib) + " 2>&1)\n"
      "  [ \"$out\" = 'VOL003 loaded in drive 1' ] || { fails=$((fails+1)); echo \"round $i load: $out\"; }\n"
      "  out=$(" + vtape_command() + " status 1 --library " + q(lib) + " 2>&1 | head -1)\n"
      "  [ \"$out\" = 'drive 1: VOL003 (simh)' ] || { fails=$((fails+1)); echo \"round $i status: $out\"; }\n"
      "  out=$(" + vtape_command() + " unload 1 --library " + q(lib) + " 2>&1)\n"
      "  [ \"$out\" = 'drive 1 unloaded' ] || { fails=$((fails+1)); echo \"round $i unload: $out\"; }\n"
      "  fusermount3 -u " + q(mnt) + " || { echo \"round $i: unmount failed\"; exit 1; }\n"
      "done\n"
      "echo \"failures: $fails\"\n";
  auto r = run_command(script);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("failures: 0"), std::string::npos) << r.out << r.err;
  // No temporary file of a state write is left behind.
  for (const auto& e : std::filesystem::directory_iterator(lib)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
}

// With -f the daemon tells systemd (NOTIFY_SOCKET, a Type=notify unit) when
// it serves the library, not before: at READY=1 the drives are in the mount
// and the control socket is there.
TEST(Readiness, ForegroundDaemonSaysReadyToSystemdOnceItServes) {
  TempDir dir;
  BackgroundMounts guard;
  std::string lib = dir.file("lib"), mnt = dir.file("mnt"), notify = dir.file("notify");
  std::filesystem::create_directories(mnt);
  guard.track(mnt, lib);
  NotifyListener listener(notify);
  ASSERT_TRUE(listener.ok()) << notify;
  pid_t pid = fork();
  if (pid == 0) {
    setenv("NOTIFY_SOCKET", notify.c_str(), 1);
    execl(VTAPEFS_BINARY, VTAPEFS_BINARY, "-f", "--library", lib.c_str(), mnt.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string message = listener.receive(60);
  // At this moment, not later: the mount and the control socket serve.
  bool drives = std::filesystem::exists(mnt + "/drives/nst0");
  struct stat st {};
  bool control = stat((lib + "/vtapefs.sock").c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
  auto s = run_command(vtape_command() + " status 0 --library " + q(lib));
  run_command("fusermount3 -u " + q(mnt));
  int status = 0;
  for (int i = 0; i < 200 && waitpid(pid, &status, WNOHANG) != pid; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (i == 199) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
  }
  ASSERT_FALSE(message.empty()) << "no READY=1 within 60 s";
  EXPECT_NE(message.find("READY=1"), std::string::npos) << message;
  EXPECT_TRUE(drives);
  EXPECT_TRUE(control);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("drive 0: SCR001"), std::string::npos) << s.out;
}

// A daemon that cannot start makes `vtapefs` itself fail with the reason
// (it used to have returned 0 already, leaving a mount that served
// nothing): here something else sits where the control socket goes.
TEST(Readiness, ADaemonThatCannotStartMakesVtapefsFailWithTheReason) {
  TempDir dir;
  BackgroundMounts guard;
  std::string lib = dir.file("lib"), mnt = dir.file("mnt");
  std::filesystem::create_directories(mnt);
  guard.track(mnt, lib);
  ASSERT_EQ(run_command(vtape_command() + " new VOL001 --library " + q(lib)).exit_code, 0);
  std::filesystem::create_directories(lib + "/vtapefs.sock/in-the-way");
  auto r = run_command(vtapefs_command(lib, mnt));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot listen on " + lib + "/vtapefs.sock"), std::string::npos) << r.err;
  EXPECT_EQ(run_command("findmnt --mountpoint " + q(mnt)).exit_code, 1) << "the mount is left behind";
}

// A second vtapefs of a library that one serves is refused before it
// mounts anything, and the first one serves on.
TEST(Readiness, ASecondVtapefsOfALibraryIsRefusedAndTheFirstServesOn) {
  TempDir dir;
  BackgroundMounts guard;
  std::string lib = dir.file("lib"), mnt = dir.file("mnt"), mnt2 = dir.file("mnt2");
  std::filesystem::create_directories(mnt);
  std::filesystem::create_directories(mnt2);
  guard.track(mnt, lib);
  guard.track(mnt2, lib);
  ASSERT_EQ(run_command(vtapefs_command(lib, mnt)).exit_code, 0);
  auto second = run_command(vtapefs_command(lib, mnt2));
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("another vtapefs is already serving the library " + lib), std::string::npos)
      << second.err;
  EXPECT_EQ(run_command("findmnt --mountpoint " + q(mnt2)).exit_code, 1);
  auto s = run_command(vtape_command() + " status 0 --library " + q(lib));
  EXPECT_EQ(s.exit_code, 0) << s.err;
}

// The mount's source names the library (findmnt, mount); `vtape -C MNT` and
// a `vtape` run inside a mount use that mount's library, with two
// libraries mounted and no $VTAPE_LIBRARY.
TEST(Identity, TheMountNamesItsLibraryAndVtapeFindsItFromTheMount) {
  TempDir dir;
  BackgroundMounts guard;
  std::string lib_a = dir.file("lib a,1"), lib_b = dir.file("lib-b");
  std::string mnt_a = dir.file("mnt-a"), mnt_b = dir.file("mnt-b");
  std::filesystem::create_directories(mnt_a);
  std::filesystem::create_directories(mnt_b);
  guard.track(mnt_a, lib_a);
  guard.track(mnt_b, lib_b);
  ASSERT_EQ(run_command(vtape_command() + " new AAA001 --library " + q(lib_a)).exit_code, 0);
  ASSERT_EQ(run_command(vtape_command() + " new BBB001 --library " + q(lib_b)).exit_code, 0);
  ASSERT_EQ(run_command(vtapefs_command(lib_a, mnt_a)).exit_code, 0);
  ASSERT_EQ(run_command(vtapefs_command(lib_b, mnt_b)).exit_code, 0);
  ASSERT_EQ(run_command(vtape_command() + " load 1 AAA001 --library " + q(lib_a)).exit_code, 0);
  ASSERT_EQ(run_command(vtape_command() + " load 1 BBB001 --library " + q(lib_b)).exit_code, 0);

  auto f = run_command("findmnt -n -o SOURCE,FSTYPE --mountpoint " + q(mnt_a));
  EXPECT_EQ(f.out, "vtapefs#" + lib_a + " fuse.vtapefs\n") << f.err;

  auto c = run_command(vtape_command() + " -C " + q(mnt_b) + " status 1");
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("drive 1: BBB001"), std::string::npos) << c.out;
  auto inside = run_command("cd " + q(mnt_a + "/drives") + " && " + vtape_command() + " status 1");
  EXPECT_EQ(inside.exit_code, 0) << inside.err;
  EXPECT_NE(inside.out.find("drive 1: AAA001"), std::string::npos) << inside.out;
  auto ls = run_command("cd " + q(mnt_b) + " && " + vtape_command() + " ls");
  EXPECT_NE(ls.out.find("BBB001"), std::string::npos) << ls.out << ls.err;
  EXPECT_EQ(ls.out.find("AAA001"), std::string::npos) << ls.out;

  auto outside = run_command(vtape_command() + " -C " + q(dir.path()) + " status");
  EXPECT_EQ(outside.exit_code, 2);
  EXPECT_NE(outside.err.find("is not a vtapefs mount or a path inside one"), std::string::npos) << outside.err;
}

// A second vtapefs on a mount point that has one would hide it; a mount on
// a directory with files in it would hide them.  Both are refused, and the
// first mount still serves.
TEST(Identity, MountingOverAVtapefsOrOnANonEmptyDirectoryIsRefused) {
  TempDir dir;
  BackgroundMounts guard;
  std::string lib = dir.file("lib"), other = dir.file("other"), mnt = dir.file("mnt");
  std::filesystem::create_directories(mnt);
  guard.track(mnt, lib);
  ASSERT_EQ(run_command(vtapefs_command(lib, mnt)).exit_code, 0);
  auto over = run_command(vtapefs_command(other, mnt));
  EXPECT_EQ(over.exit_code, 1);
  EXPECT_NE(over.err.find(mnt + " already has a vtapefs mounted on it (library " + lib + ")"), std::string::npos)
      << over.err;
  auto f = run_command("findmnt -n -o SOURCE --mountpoint " + q(mnt));
  EXPECT_EQ(f.out, "vtapefs#" + lib + "\n");
  EXPECT_TRUE(std::filesystem::exists(mnt + "/drives/nst0"));

  std::string full = dir.file("full");
  std::filesystem::create_directories(full);
  std::ofstream(full + "/keep.txt") << "mine\n";
  auto on_full = run_command(vtapefs_command(other, full));
  EXPECT_EQ(on_full.exit_code, 1);
  EXPECT_NE(on_full.err.find(full + " is not empty: the mount would hide what is in it"), std::string::npos)
      << on_full.err;
  EXPECT_TRUE(std::filesystem::exists(full + "/keep.txt"));
}

// mount(8) runs a FUSE file system as "vtapefs LIBRARY MOUNTPOINT -o
// OPTIONS" (through mount.fuse3, with the standard PATH): `mount -t
// fuse.vtapefs` and an fstab line mount a library, with drives= among the
// options.  The test runs in a mount namespace of its own, where
// /usr/local/sbin holds the vtapefs under test, so nothing of the machine
// is touched.
TEST(Identity, MountTypeFuseVtapefsAndAnFstabLineMountALibrary) {
  TempDir dir;
  BackgroundMounts guard;
  std::string lib = dir.file("lib"), mnt = dir.file("mnt"), mnt2 = dir.file("mnt2"), bin = dir.file("bin");
  for (const auto& d : {mnt, mnt2, bin}) std::filesystem::create_directories(d);
  std::filesystem::create_symlink(VTAPEFS_BINARY, bin + "/vtapefs");
  guard.track(mnt, lib);
  guard.track(mnt2, lib);
  std::string fstab = dir.file("fstab");
  write_text(fstab, lib + " " + mnt2 + " fuse.vtapefs drives=4,noauto 0 0\n");
  std::string script =
      "mount --bind " + q(bin) + " /usr/local/sbin || exit 3\n"
      "mount -t fuse.vtapefs " + q(lib) + " " + q(mnt) + " -o drives=3 || exit 4\n"
      "ls " + q(mnt + "/drives") + " | tr '\\n' ' '; echo\n"
      "findmnt -n -o SOURCE,FSTYPE --mountpoint " + q(mnt) + "\n"
      "" + vtape_command() + " -C " + q(mnt) + " status 0 | head -1\n"
      "umount " + q(mnt) + " || exit 5\n"
      "mount --fstab " + q(fstab) + " " + q(mnt2) + " || exit 6\n"
      "ls " + q(mnt2 + "/drives") + " | tr '\\n' ' '; echo\n"
      "umount " + q(mnt2) + " || exit 7\n";
  auto r = run_command("unshare -m --propagation private sh -c " + q(script));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<std::string> lines;
  for (size_t at = 0; at < r.out.size();) {
    size_t nl = r.out.find('\n', at);
    if (nl == std::string::npos) nl = r.out.size();
    lines.push_back(r.out.substr(at, nl - at));
    at = nl + 1;
  }
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0], "nst0 nst1 nst2 st0 st1 st2 ");
  EXPECT_EQ(lines[1], "vtapefs#" + lib + " fuse.vtapefs");
  EXPECT_EQ(lines[2], "drive 0: SCR001 (simh)");
  EXPECT_EQ(lines[3], "nst0 nst1 nst2 nst3 st0 st1 st2 st3 ");

  auto bad = run_command(q(VTAPEFS_BINARY) + " " + q(lib) + " " + q(mnt) + " -o drives=99");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("drives takes 1 to 64, not '99'"), std::string::npos) << bad.err;
}

// /proc/self/mountinfo escapes space, tab, newline and backslash (and '#'
// in sources); other file systems and other FUSE mounts are not ours; a
// path belongs to the innermost mount above it, and "/m/ab" is not in
// "/m/a".
TEST(Identity, MountInfoLinesAreReadWithTheirEscapes) {
  std::string info =
      "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
      "44 26 0:39 / /srv/m\\040a rw,nosuid shared:1 - fuse.vtapefs vtapefs\\043/srv/lib\\040a,1 rw,user_id=0\n"
      "45 26 0:40 / /srv/m rw - fuse.sshfs host:/x rw\n"
      "46 44 0:41 / /srv/m\\040a/inner rw - fuse.vtapefs vtapefs\\043/lib2 rw\n"
      "47 26 0:42 / /m/a rw - fuse.vtapefs vtapefs\\043/lib3 rw\n";
  auto mounts = parse_vtapefs_mounts(info);
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].mount_point, "/srv/m a");
  EXPECT_EQ(mounts[0].library, "/srv/lib a,1");
  EXPECT_EQ(vtapefs_mount_holding("/srv/m a/drives", mounts)->library, "/srv/lib a,1");
  EXPECT_EQ(vtapefs_mount_holding("/srv/m a/inner/x", mounts)->library, "/lib2");
  EXPECT_EQ(vtapefs_mount_holding("/m/a", mounts)->library, "/lib3");
  EXPECT_FALSE(vtapefs_mount_holding("/m/ab", mounts).has_value());
  EXPECT_FALSE(vtapefs_mount_holding("/srv/m", mounts).has_value());
  EXPECT_EQ(vtapefs_fsname_option("/a,b\\c"), "vtapefs#/a\\,b\\\\c");
}

}  // namespace
}  // namespace vtape::testing
