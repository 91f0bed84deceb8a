#include "tests/test_support.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

#include <gtest/gtest.h>

#include "library/catalog_observer.h"
#include "library/catalog_sync.h"

namespace vtape::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/vtape-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string strace_command(const std::string& arguments) {
  return "ASAN_OPTIONS=detect_leaks=0 strace " + arguments;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out += "'";
  return out;
}

static std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

CommandResult run_command(const std::string& command_line) {
  TempDir capture;
  std::string out = capture.file("out"), err = capture.file("err");
  std::string full = "(" + command_line + ") >" + shell_quote(out) + " 2>" + shell_quote(err) + " </dev/null";
  int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::string describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

void settle_drive(const std::string& device) {
  int fd = ::open(device.c_str(), O_RDONLY);
  if (fd >= 0) ::close(fd);
}

CommandResult run_vtape(const std::string& arguments) {
  return run_command(shell_quote(VTAPE_BINARY) + " " + arguments);
}

bool have_program(const std::string& name) {
  return run_command("command -v " + shell_quote(name)).exit_code == 0;
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::string s = slurp(path);
  return std::vector<uint8_t>(s.begin(), s.end());
}

void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> pattern_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

void put_le16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(uint8_t(x));
  v.push_back(uint8_t(x >> 8));
}

void put_le32(std::vector<uint8_t>& v, uint32_t x) {
  for (int i = 0; i < 4; ++i) v.push_back(uint8_t(x >> (8 * i)));
}

void put_simh_record(std::vector<uint8_t>& v, const std::vector<uint8_t>& data, bool padded,
                     uint32_t flags) {
  uint32_t word = static_cast<uint32_t>(data.size()) | flags;
  put_le32(v, word);
  v.insert(v.end(), data.begin(), data.end());
  if (padded && (data.size() & 1) != 0) v.push_back(0);
  put_le32(v, word);
}

}  // namespace vtape::testing

#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace vtape::testing {

MountedVtapefs::MountedVtapefs(const std::string& extra_args) {
  library_ = dir_.file("library");
  mount_ = dir_.file("mnt");
  log_ = dir_.file("vtapefs.log");
  std::filesystem::create_directories(mount_);
  start(extra_args);
}

MountedVtapefs::~MountedVtapefs() { unmount(); }

bool MountedVtapefs::start(const std::string& extra_args) {
  std::string cmd = "exec " + shell_quote(VTAPEFS_BINARY) + " -f --library " + shell_quote(library_) + " " +
                    extra_args + " " + shell_quote(mount_) + " >>" + shell_quote(log_) + " 2>&1";
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_ = pid;
  // Mounted when the drives folder shows up (FUSE_SUPER_MAGIC on the mount).
  for (int i = 0; i < 2400; ++i) {
    struct statfs sfs {};
    if (statfs(mount_.c_str(), &sfs) == 0 && sfs.f_type == 0x65735546 &&
        std::filesystem::exists(mount_ + "/drives")) {
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "vtapefs exited: " + log();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  error_ = "vtapefs did not mount within 60 s: " + log();
  unmount();
  return false;
}

CommandResult MountedVtapefs::vtape(const std::string& arguments) const {
  return run_command("VTAPE_LIBRARY=" + shell_quote(library_) + " " + shell_quote(VTAPE_BINARY) + " " + arguments);
}

std::string MountedVtapefs::log() const { return slurp(log_); }

void MountedVtapefs::unmount() {
  stop_daemon();
  expect_no_race_report();
}

void MountedVtapefs::stop_daemon() {
  if (pid_ <= 0) {
    run_command("fusermount3 -u -z " + shell_quote(mount_));
    return;
  }
  // Unmounted: the daemon ends (on a loaded machine, under a sanitizer, it
  // may take seconds).  Not unmounted (busy: a test's program still holds a
  // file): it would not end, and is killed soon.
  bool unmounted = run_command("fusermount3 -u " + shell_quote(mount_) + " 2>/dev/null").exit_code == 0;
  for (int i = 0; i < (unmounted ? 2400 : 200); ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  run_command("fusermount3 -u -z " + shell_quote(mount_));
}

// A ThreadSanitizer build of the daemon writes its reports to stderr (our
// log) and, with halt_on_error, stops; the test may not notice either, so
// a report fails the test here, once, with the log that shows it.
void MountedVtapefs::expect_no_race_report() {
  if (race_reported_) return;
  std::string text = log();
  if (text.find("WARNING: ThreadSanitizer") != std::string::npos) {
    race_reported_ = true;
    ADD_FAILURE() << "ThreadSanitizer reported in the vtapefs daemon:\n" << text;
  }
}

void MountedVtapefs::crash() {
  if (pid_ > 0) {
    // The shell exec'd vtapefs, so the child pid is the daemon's.
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  run_command("fusermount3 -u -z " + shell_quote(mount_));
  expect_no_race_report();
}

bool MountedVtapefs::remount(const std::string& extra_args) {
  unmount();
  return start(extra_args);
}

}  // namespace vtape::testing

#include <pwd.h>

#include <atomic>
#include <cctype>

namespace vtape::testing {

namespace {

// "vt" + tag + 5 digits: unique among this run's tests (process id and a
// counter), tried again with the next number when the name is taken.
std::string next_account_name(char tag) {
  static std::atomic<unsigned> counter{0};
  unsigned n = (static_cast<unsigned>(getpid()) * 16 + counter++) % 100000;
  char buf[16];
  std::snprintf(buf, sizeof buf, "vt%c%05u", tag, n);
  return buf;
}

}  // namespace

TestUser::TestUser(char tag, const std::string& groups) {
  for (int attempt = 0; attempt < 20 && name_.empty(); ++attempt) {
    std::string name = next_account_name(tag);
    std::string cmd = "useradd -M -s /bin/sh " + (groups.empty() ? "" : "-G " + shell_quote(groups) + " ") +
                      shell_quote(name);
    if (run_command(cmd).exit_code != 0) continue;
    passwd* pw = getpwnam(name.c_str());
    if (pw == nullptr) continue;
    name_ = name;
    uid_ = pw->pw_uid;
  }
}

TestUser::~TestUser() {
  if (!name_.empty()) run_command("userdel " + shell_quote(name_));
}

std::string TestUser::spool_user() const {
  std::string out = name_;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

CommandResult TestUser::run(const std::string& command_line) const {
  return run_command("runuser -u " + shell_quote(name_) + " -- /bin/sh -c " + shell_quote(command_line));
}

TestGroup::TestGroup() {
  for (int attempt = 0; attempt < 20 && name_.empty(); ++attempt) {
    std::string name = next_account_name('g');
    if (run_command("groupadd " + shell_quote(name)).exit_code == 0) name_ = name;
  }
}

TestGroup::~TestGroup() {
  if (!name_.empty()) run_command("groupdel " + shell_quote(name_));
}

void open_to_other_users(const MountedVtapefs& m) {
  std::filesystem::permissions(std::filesystem::path(m.mount_point()).parent_path(),
                               std::filesystem::perms(0755));
}

}  // namespace vtape::testing

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cstring>

namespace vtape::testing {

SmallTmpfs::SmallTmpfs(const std::string& path, const std::string& size) : path_(path) {
  std::filesystem::create_directories(path);
  // mode=0700: a library directory others can write is refused (a tmpfs
  // root is 1777 by default).
  std::string options = "size=" + size + ",mode=0700";
  if (mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    error_ = std::string("cannot mount a tmpfs (needs root): ") + std::strerror(errno);
  }
}

SmallTmpfs::~SmallTmpfs() {
  if (mounted() && umount2(path_.c_str(), 0) != 0) umount2(path_.c_str(), MNT_DETACH);
}

MountedOnSmallDisk::MountedOnSmallDisk(const std::string& size, const std::string& extra_args) {
  vt_.unmount();
  tmpfs_ = std::make_unique<SmallTmpfs>(vt_.library(), size);
  if (!tmpfs_->mounted()) {
    skip_reason_ = tmpfs_->error();
    return;
  }
  started_ = vt_.remount(extra_args);
}

MountedOnSmallDisk::~MountedOnSmallDisk() { vt_.unmount(); }

uint64_t MountedOnSmallDisk::free_bytes() const {
  struct statvfs s {};
  if (statvfs(vt_.library().c_str(), &s) != 0) return 0;
  return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
}

void write_text(const std::string& path, const std::string& text) {
  write_file_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

std::string read_text(const std::string& path) { return slurp(path); }

NotifyListener::NotifyListener(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

NotifyListener::~NotifyListener() {
  if (fd_ >= 0) close(fd_);
}

std::string NotifyListener::receive(int seconds) {
  if (fd_ < 0) return "";
  timeval tv{seconds, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[256];
  ssize_t n = recv(fd_, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string json_query(const std::string& json, const std::string& expression) {
  TempDir dir;
  write_text(dir.file("doc.json"), json);
  write_text(dir.file("q.py"), "import json, sys\nd = json.load(open(sys.argv[1], encoding='utf-8'))\nprint(" +
                                   expression + ")\n");
  CommandResult r = run_command("python3 " + shell_quote(dir.file("q.py")) + " " + shell_quote(dir.file("doc.json")));
  EXPECT_EQ(r.exit_code, 0) << describe(r) << "\njson: " << json;
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

std::string bacula_tape_device_settings(const std::string& drive) {
  return "  Media Type = LTO-8\n"
         "  Device Type = Tape\n"
         "  Archive Device = " + drive + "\n"
         "  AutomaticMount = no\n"
         "  AlwaysOpen = yes\n"
         "  RemovableMedia = yes\n"
         "  RandomAccess = no\n";
}

Background::Background(const std::string& command)
    : thread_([this, command] {
        result_ = run_command(command);
        done_ = true;
      }) {}

const CommandResult& Background::join() {
  if (thread_.joinable()) thread_.join();
  return result_;
}

// SIGSTOP takes effect thread by thread, and on a busy machine some threads
// of the daemon may still run for a while after kill(2) has returned: waits
// until every thread is stopped (up to 60 s).
bool all_threads_stopped(pid_t pid) {
  std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (int i = 0; i < 12000; ++i) {
    bool all = true;
    std::error_code ec;
    for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
      std::ifstream in(t.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto paren = stat.rfind(')');
      if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'T') all = false;
    }
    if (ec) return false;
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void DriveOverCatalogTest::SetUp() {
  Status s = TapeLibrary::open(dir_.file("lib"), true, &lib_);
  ASSERT_TRUE(s.is_ok()) << s.message();
  s = open_library_catalog(*lib_, &catalog_);
  ASSERT_TRUE(s.is_ok()) << s.message();
  s = lib_->create_cartridge(volser_, Format::kSimh, kDefaultCapacity, &cart_);
  ASSERT_TRUE(s.is_ok()) << s.message();
  drive_ = std::make_unique<TapeDrive>(0);
  drive_->add_observer(std::make_shared<CatalogObserver>(*catalog_, 0));
  s = drive_->load(cart_);
  ASSERT_TRUE(s.is_ok()) << s.message();
  ASSERT_EQ(drive_->open(DriveOpenMode{false, true, false}), DriveError::kNone);
}

void DriveOverCatalogTest::TearDown() {
  if (drive_) (void)drive_->release();
}

}  // namespace vtape::testing
