// Helpers shared by the tests: a temporary directory that cleans up after
// itself, running the vtape binary and other programs, and building images
// byte by byte.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "index/catalog.h"
#include "library/tape_drive.h"
#include "library/tape_library.h"

namespace vtape::testing {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};

// Runs a shell command line; captures stdout and stderr separately.
CommandResult run_command(const std::string& command_line);
// "exit N", then stdout and stderr: what a failed expectation prints.
std::string describe(const CommandResult& r);
// Opening a drive waits for the release of its previous open (filemark,
// sync, catalog), so the image and the catalog are complete afterwards.
void settle_drive(const std::string& device);
// Runs the vtape binary under test with the given argument string.
CommandResult run_vtape(const std::string& arguments);
// Quotes a string for /bin/sh.
std::string shell_quote(const std::string& s);
// True when a program is on PATH.
bool have_program(const std::string& name);
// "strace ARGUMENTS" as a command line, with LeakSanitizer off for the
// traced program: it cannot work under ptrace, and in a sanitizer build
// would end the program with an error of its own.
std::string strace_command(const std::string& arguments);

std::vector<uint8_t> read_file_bytes(const std::string& path);
void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes);
// Deterministic pseudo-random bytes (the same for the same seed).
std::vector<uint8_t> pattern_bytes(size_t n, uint32_t seed);

// Little-endian builders for hand-made images.
void put_le16(std::vector<uint8_t>& v, uint16_t x);
void put_le32(std::vector<uint8_t>& v, uint32_t x);
// One SIMH record (padded) or E11 record (unpadded) of `data` with `word`
// as its length word (pass the length, optionally with class bits).
void put_simh_record(std::vector<uint8_t>& v, const std::vector<uint8_t>& data, bool padded = true,
                     uint32_t flags = 0);

// What systemd's NOTIFY_SOCKET is for a Type=notify service: a datagram
// socket bound at `path`, to give a daemon as NOTIFY_SOCKET and hear its
// sd_notify messages ("READY=1").
class NotifyListener {
 public:
  explicit NotifyListener(const std::string& path);
  ~NotifyListener();
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;
  bool ok() const { return fd_ >= 0; }
  // The next message, or "" when none came within `seconds`.
  std::string receive(int seconds);

 private:
  int fd_ = -1;
};

// Writes `text` to a new or truncated file at `path`.
void write_text(const std::string& path, const std::string& text);
// The whole file as text ("" when it cannot be read).
std::string read_text(const std::string& path);

// Runs a python3 expression over a JSON document (bound to `d`) and returns
// what it prints, without the final newline; a failing expression fails
// the test.  json_query(out, "len(d['tape_files'])").
std::string json_query(const std::string& json, const std::string& expression);

}  // namespace vtape::testing

namespace vtape::testing {

// A real vtapefs mounted on a fresh library and mount point for one test:
// started in the foreground as a child process, unmounted and killed in the
// destructor even when the test fails.
class MountedVtapefs {
 public:
  // extra_args go to vtapefs before the mount point (e.g. "--drives 3").
  explicit MountedVtapefs(const std::string& extra_args = "");
  ~MountedVtapefs();
  MountedVtapefs(const MountedVtapefs&) = delete;
  MountedVtapefs& operator=(const MountedVtapefs&) = delete;

  bool ok() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  std::string library() const { return library_; }
  std::string mount_point() const { return mount_; }
  std::string drive(int n, bool rewind = false) const {
    return mount_ + (rewind ? "/drives/st" : "/drives/nst") + std::to_string(n);
  }
  // "VTAPE_LIBRARY=... vtape ARGS"
  CommandResult vtape(const std::string& arguments) const;
  // Stops the daemon with SIGKILL (a crash) and clears the mount.
  void crash();
  // Starts the daemon again on the same library and mount point.
  bool remount(const std::string& extra_args = "");
  // Clean unmount (fusermount3 -u) and wait for the daemon to exit.
  void unmount();
  pid_t pid() const { return pid_; }
  // What the daemon wrote to stderr.
  std::string log() const;

 private:
  bool start(const std::string& extra_args);
  void stop_daemon();
  // Fails the test when the daemon's log has a ThreadSanitizer report.
  void expect_no_race_report();
  TempDir dir_;
  std::string library_, mount_, log_;
  pid_t pid_ = -1;
  std::string error_;
  bool race_reported_ = false;
};

// Writes `text` to a new or truncated file at `path`.
void write_text(const std::string& path, const std::string& text);

// Runs a python3 expression over a JSON document (bound to `d`) and returns
// what it prints, without the final newline; a failing expression fails
// the test.  json_query(out, "len(d['tape_files'])").
std::string json_query(const std::string& json, const std::string& expression);

}  // namespace vtape::testing

namespace vtape::testing {

// A Linux user made with useradd for one test and removed (with its group)
// by userdel in the destructor.  The name is unique across the tests
// running in parallel and at most 8 letters and digits, so it is also a
// spool user id (upper case).  `groups`: supplementary groups, comma-separated.
class TestUser {
 public:
  explicit TestUser(char tag, const std::string& groups = "");
  ~TestUser();
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;

  bool ok() const { return !name_.empty(); }
  const std::string& name() const { return name_; }
  std::string spool_user() const;  // NAME in upper case
  uid_t uid() const { return uid_; }
  // Runs a shell command line as this user (runuser), captured like run_command.
  CommandResult run(const std::string& command_line) const;

 private:
  std::string name_;
  uid_t uid_ = 0;
};

// A group made with groupadd for one test, removed in the destructor.
class TestGroup {
 public:
  TestGroup();
  ~TestGroup();
  TestGroup(const TestGroup&) = delete;
  TestGroup& operator=(const TestGroup&) = delete;
  bool ok() const { return !name_.empty(); }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// Lets other users reach the mount point of `m` (and see its library's
// directory, whose own mode then decides): the test's private temporary
// directory that holds both is opened (0755).
void open_to_other_users(const MountedVtapefs& m);

// A tmpfs of `size` (mount's size= option, e.g. "1m") mounted at `path`
// (made if missing) with mode 0700, for full-disk tests; unmounted (lazily
// if still busy) when it goes.  error() says why it could not be mounted
// (not root).
class SmallTmpfs {
 public:
  SmallTmpfs(const std::string& path, const std::string& size);
  ~SmallTmpfs();
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  bool mounted() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string error_;
};

// A MountedVtapefs whose library lives on a tmpfs of `size` (mount's size=
// option, e.g. "48m"): for full-disk tests.  The tmpfs is unmounted after
// the daemon, also when the test fails.  skip_reason() is set when no tmpfs
// can be mounted (not root).
class MountedOnSmallDisk {
 public:
  explicit MountedOnSmallDisk(const std::string& size, const std::string& extra_args = "");
  ~MountedOnSmallDisk();
  MountedOnSmallDisk(const MountedOnSmallDisk&) = delete;
  MountedOnSmallDisk& operator=(const MountedOnSmallDisk&) = delete;
  MountedVtapefs& vt() { return vt_; }
  const std::string& skip_reason() const { return skip_reason_; }
  bool started() const { return started_; }
  // Free bytes on the tmpfs.
  uint64_t free_bytes() const;

 private:
  MountedVtapefs vt_;
  std::unique_ptr<SmallTmpfs> tmpfs_;  // destroyed before vt_, after the daemon is gone
  bool started_ = false;
  std::string skip_reason_;
};

// Writes `text` to a new or truncated file at `path`.
void write_text(const std::string& path, const std::string& text);

// Runs a python3 expression over a JSON document (bound to `d`) and returns
// what it prints, without the final newline; a failing expression fails
// the test.  json_query(out, "len(d['tape_files'])").
std::string json_query(const std::string& json, const std::string& expression);

// The settings of a Bacula storage daemon's Device resource for a vtapefs
// drive (what btape and bacula-sd need of a tape drive), one "  key = value"
// line each, for the caller to put inside "Device { Name = ...; ... }".
std::string bacula_tape_device_settings(const std::string& drive);

// A command run (run_command) on a thread of its own, to be asked whether
// it has finished: a reader that must be seen waiting.  The destructor
// waits for it.
class Background {
 public:
  explicit Background(const std::string& command);
  ~Background() { join(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  bool done() const { return done_; }
  const CommandResult& join();

 private:
  CommandResult result_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// Whether every thread of process `pid` is stopped (SIGSTOP takes effect
// thread by thread; this waits up to a few seconds for the last).
bool all_threads_stopped(pid_t pid);
void pause_ms(int ms);
// Seconds from `t` to now, for the tests' waits and their generous bounds.
double seconds_since(std::chrono::steady_clock::time_point t);

// A drive over a catalog, without FUSE: a new library with one SIMH
// cartridge `volser`, loaded in drive 0 and open for writing, whose
// catalog (the library's) a CatalogObserver keeps as the drive writes.
class DriveOverCatalogTest : public ::testing::Test {
 protected:
  explicit DriveOverCatalogTest(std::string volser) : volser_(std::move(volser)) {}
  void SetUp() override;
  void TearDown() override;

  std::string volser_;
  TempDir dir_;
  std::unique_ptr<TapeLibrary> lib_;
  std::unique_ptr<Catalog> catalog_;
  Cartridge cart_;
  std::unique_ptr<TapeDrive> drive_;
};

}  // namespace vtape::testing
