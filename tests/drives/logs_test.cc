// Where the daemon's messages go and how the library's history is read:
// in the background, to the journal (a real systemd-journald, run by the
// test in a mount namespace of its own with a private /run, so nothing of
// the machine's is touched), one line per event naming the drive, the
// volume, the position and the errno, with the same as journal fields;
// `vtape events` reads the catalog's events, and --follow sees new ones.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

std::string q(const std::string& s) { return shell_quote(s); }

constexpr const char* kJournald = "/lib/systemd/systemd-journald";

// A full disk under a background vtapefs: the writer gets ENOSPC, and the
// journal has the daemon's line about it with its fields.
TEST(Logs, ABackgroundDaemonLogsToTheJournalNamingDriveVolumePositionAndErrno) {
  ASSERT_TRUE(std::filesystem::exists(kJournald)) << "systemd-journald is missing (package systemd)";
  TempDir dir;
  std::string lib = dir.file("lib"), mnt = dir.file("mnt"), out = dir.file("journal.json");
  std::filesystem::create_directories(mnt);
  std::filesystem::create_directories(lib);
  // Everything below runs in a new mount namespace: its /run, the tmpfs of
  // the library and the vtapefs mount vanish with it, even if the test
  // fails half-way; the journald and vtapefs it starts are killed by pid.
  std::string script =
      "set -u\n"
      "mount -t tmpfs -o mode=0755 tmpfs /run || exit 3\n"
      "mkdir -p /run/systemd/journal\n"
      "" + std::string(kJournald) + " >/dev/null 2>&1 & jpid=$!\n"
      "for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done\n"
      "mount -t tmpfs -o size=2m,mode=0700 tmpfs " + q(lib) + " || { kill $jpid; exit 3; }\n"
      "" + q(VTAPEFS_BINARY) + " --library " + q(lib) + " " + q(mnt) + " || { kill $jpid; exit 4; }\n"
      "vpid=$(cat " + q(lib + "/vtapefs.lock") + ")\n"
      "dd if=/dev/urandom of=" + q(mnt + "/drives/nst0") + " bs=32k count=200 2>" + q(dir.file("dd.err")) + "\n"
      "echo \"dd exit $?\"\n"
      "fusermount3 -u " + q(mnt) + " || kill -9 $vpid\n"
      "for i in $(seq 100); do kill -0 $vpid 2>/dev/null || break; sleep 0.05; done\n"
      "journalctl -D /run/log/journal -o json --no-pager SYSLOG_IDENTIFIER=vtapefs > " + q(out) + "\n"
      "kill $jpid; wait $jpid\n";
  auto r = run_command("unshare -m --propagation private sh -c " + q(script));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("dd exit 1"), std::string::npos) << r.out;
  EXPECT_NE(read_text(dir.file("dd.err")).find("No space left on device"), std::string::npos);
  std::string journal = read_text(out);
  ASSERT_FALSE(journal.empty()) << "nothing from vtapefs in the journal";
  // The entry of the failed write, as JSON lines: its fields and its line.
  std::string entry = json_query(
      "[" + [&] {
        std::string joined;
        for (size_t at = 0; at < journal.size();) {
          size_t nl = journal.find('\n', at);
          if (nl == std::string::npos) nl = journal.size();
          if (nl > at) joined += (joined.empty() ? "" : ",") + journal.substr(at, nl - at);
          at = nl + 1;
        }
        return joined;
      }() + "]",
      "[ (e.get('VTAPE_DRIVE'), e.get('VTAPE_VOLSER'), e.get('ERRNO'), e.get('PRIORITY'), "
      "'VTAPE_FILE' in e and 'VTAPE_RECORD' in e, e['MESSAGE']) for e in d if e.get('ERRNO') == '28'][0]");
  EXPECT_NE(entry.find("('0', 'SCR001', '28', '3', True, 'drive 0 SCR001 file 0 record "), std::string::npos)
      << entry;
  EXPECT_NE(entry.find("(errno 28: No space left on device)"), std::string::npos) << entry;
}

// With -f the same lines go to standard error.
TEST(Logs, AForegroundDaemonWritesTheSameLinesToStandardError) {
  MountedOnSmallDisk d("2m");
  if (!d.skip_reason().empty()) GTEST_SKIP() << d.skip_reason();
  ASSERT_TRUE(d.started()) << d.vt().error();
  auto dd = run_command("dd if=/dev/urandom of=" + q(d.vt().drive(0)) + " bs=32k count=200");
  EXPECT_NE(dd.exit_code, 0);
  d.vt().unmount();
  std::string log = d.vt().log();
  EXPECT_NE(log.find("vtapefs: drive 0 SCR001 file 0 record "), std::string::npos) << log;
  EXPECT_NE(log.find("(errno 28: No space left on device)"), std::string::npos) << log;
}

// A name from outside cannot forge a log line: a spool file name with a
// newline in it is refused (EINVAL), and its log line shows the newline
// as \x0a instead of starting a line of its own.
TEST(Logs, ANameWithANewlineCannotForgeALogLine) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::string name = vt.mount_point() + "/spool/ROOT/prt/A\nFORGED: drive 0 SCR001 erased.TXT";
  errno = 0;
  int fd = ::open(name.c_str(), O_WRONLY | O_CREAT, 0600);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EINVAL) << std::strerror(errno);
  if (fd >= 0) ::close(fd);
  vt.unmount();
  std::string log = vt.log();
  EXPECT_NE(log.find("A\\x0aFORGED: drive 0 SCR001 erased.TXT"), std::string::npos) << log;
  EXPECT_EQ(log.find("\nFORGED"), std::string::npos) << log;
}

// libsystemd (and what it needs) is loaded by the first log line that goes
// to the journal, not when a program starts: the vtape tool, which never
// logs there, does not load it (the journal test above shows the daemon
// still logs to the journal through it).
TEST(Logs, TheVtapeToolDoesNotLoadLibsystemdAtStart) {
  auto loaded = run_command("LD_DEBUG=files " + q(VTAPE_BINARY) + " --version");
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_NE(loaded.err.find("libstdc++"), std::string::npos) << "LD_DEBUG shows no loaded library: " << loaded.err;
  EXPECT_EQ(loaded.err.find("libsystemd"), std::string::npos) << loaded.err;
}

// vtape events lists the library's history oldest first, filters it by
// time and volume, and with --follow prints events as they are recorded.
TEST(Events, VtapeEventsListsFiltersAndFollowsTheLibrarysHistory) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  ASSERT_EQ(vt.vtape("new VOL002").exit_code, 0);
  ASSERT_EQ(run_command("tar -cf " + q(vt.drive(0)) + " -C /etc hostname").exit_code, 0);
  auto all = vt.vtape("events --json");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  // `vtape new` cataloged VOL002 (no drive: JSON null).
  EXPECT_EQ(json_query(all.out, "[(e['kind'], e['volser'], e['drive']) for e in d['events']]"),
            "[('load', 'SCR001', 0), ('reconcile', 'VOL002', None), ('write', 'SCR001', 0)]");
  EXPECT_EQ(json_query(all.out, "d['events'][2]['detail']"), "file 0: 1 records, 10240 bytes, tar");
  EXPECT_EQ(json_query(all.out, "[e['id'] for e in d['events']] == sorted(e['id'] for e in d['events'])"), "True");
  auto text = vt.vtape("events");
  EXPECT_NE(text.out.find("drive 0  SCR001  write      file 0: 1 records, 10240 bytes, tar"), std::string::npos)
      << text.out;
  auto future = vt.vtape("events --since 2999-01-01");
  EXPECT_EQ(future.exit_code, 0);
  EXPECT_EQ(future.out, "");
  auto one = vt.vtape("events --volser VOL002 --json");
  EXPECT_EQ(json_query(one.out, "[e['kind'] for e in d['events']]"), "['reconcile']");
  EXPECT_EQ(vt.vtape("events --since yesterday").exit_code, 2);

  // --follow: a load done after it started shows up.
  std::string follow_out = vt.mount_point() + "/../follow.txt";
  pid_t pid = fork();
  if (pid == 0) {
    std::string cmd = "exec env VTAPE_LIBRARY=" + q(vt.library()) + " " + q(VTAPE_BINARY) + " events --follow --json > " +
                      q(follow_out);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(vt.vtape("load 1 VOL002").exit_code, 0);
  std::string seen;
  for (int i = 0; i < 1200 && seen.find("\"drive\":1,\"kind\":\"load\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    seen = read_text(follow_out);
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  EXPECT_NE(seen.find("\"volser\":\"VOL002\",\"drive\":1,\"kind\":\"load\""), std::string::npos) << seen;
  EXPECT_NE(seen.find("\"kind\":\"write\""), std::string::npos) << seen;
}

}  // namespace
}  // namespace vtape::testing
