// The Debian package, as an admin uses it: `cpack -G DEB` in the build
// directory makes a .deb that `dpkg -i` installs; then `man vtapefs` finds
// the page, /usr/bin/vtapefs mounts a library that /usr/bin/vtape talks
// to, the unit template vtapefs@.service passes `systemd-analyze verify`,
// and its ExecStart line serves a library and tells systemd READY=1.
// The package is purged (dpkg -P) after the tests, also when one fails.

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

std::string q(const std::string& s) { return shell_quote(s); }

constexpr const char* kUnit = "/usr/lib/systemd/system/vtapefs@.service";

class InstalledPackage : public ::testing::Test {
 protected:
  // Builds the package from this build directory and installs it once.
  static void SetUpTestSuite() {
    if (run_command("dpkg-query -W -f='${Status}' vtapefs 2>/dev/null | grep -q 'ok installed'").exit_code == 0) {
      setup_error_ = "a vtapefs package is installed on this machine already; the test installs and purges its own";
      return;
    }
    dir_ = new TempDir;
    // The package's build in a directory of the test's own (-B), from the
    // configuration of this build directory.
    auto built = run_command("cd " + q(VTAPE_BUILD_DIR) + " && cpack -G DEB -B " + q(dir_->file("pkg")));
    if (built.exit_code != 0) {
      setup_error_ = "cpack failed: " + describe(built);
      return;
    }
    auto found = run_command("ls " + q(dir_->file("pkg")) + "/vtapefs_*.deb");
    deb_ = found.out.substr(0, found.out.find('\n'));
    if (found.exit_code != 0 || deb_.empty()) {
      setup_error_ = "cpack made no vtapefs_*.deb: " + describe(built);
      return;
    }
    // The manual pages also where dpkg is told to leave out /usr/share/man
    // (Debian's minimal container images).
    auto installed = run_command("dpkg --path-include='/usr/share/man/man*/vtape*' -i " + q(deb_));
    installed_ = installed.exit_code == 0;
    if (!installed_) setup_error_ = "dpkg -i failed: " + describe(installed);
  }

  static void TearDownTestSuite() {
    if (installed_) {
      auto purged = run_command("dpkg -P vtapefs");
      EXPECT_EQ(purged.exit_code, 0) << describe(purged);
      // Nothing of the package is left.
      for (const char* path : {"/usr/bin/vtapefs", "/usr/bin/vtape", kUnit, "/usr/share/man/man8/vtapefs.8",
                               "/etc/vtape", "/usr/share/doc/vtapefs"}) {
        EXPECT_FALSE(std::filesystem::exists(path)) << path;
      }
    }
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static TempDir* dir_;
  static std::string deb_;
  static bool installed_;
  static std::string setup_error_;
};

TempDir* InstalledPackage::dir_ = nullptr;
std::string InstalledPackage::deb_;
bool InstalledPackage::installed_ = false;
std::string InstalledPackage::setup_error_;

// A vtapefs mount cleared in teardown, also when the test fails: unmounted
// lazily, its daemon killed.
class MountGuard {
 public:
  explicit MountGuard(std::string mount) : mount_(std::move(mount)) {}
  ~MountGuard() {
    run_command("fusermount3 -u -z " + q(mount_) + " 2>/dev/null");
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void set_pid(pid_t pid) { pid_ = pid; }
  void forget_pid() { pid_ = -1; }

 private:
  std::string mount_;
  pid_t pid_ = -1;
};

bool mounted(const std::string& mount) {
  return run_command("findmnt --mountpoint " + q(mount)).exit_code == 0;
}

TEST_F(InstalledPackage, DependsOnTheLibrariesTheProgramsLinkAndOnFuse3) {
  auto depends = run_command("dpkg-deb -f " + q(deb_) + " Depends");
  ASSERT_EQ(depends.exit_code, 0) << describe(depends);
  for (const char* p : {"fuse3", "libfuse3-3", "libsqlite3-0", "libfmt9", "libssl3", "libsystemd0", "zlib1g",
                        "libbz2-1.0", "liblzma5", "libzstd1"}) {
    EXPECT_NE((", " + depends.out).find(std::string(", ") + p), std::string::npos) << p << " in " << depends.out;
  }
  auto maintainer = run_command("dpkg-deb -f " + q(deb_) + " Maintainer Description");
  EXPECT_NE(maintainer.out.find("Maintainer: "), std::string::npos) << maintainer.out;
  EXPECT_NE(maintainer.out.find("virtual tape"), std::string::npos) << maintainer.out;
  // The site's defaults are a configuration file dpkg keeps on upgrade.
  auto conffiles = run_command("dpkg-query --showformat='${Conffiles}' -W vtapefs");
  EXPECT_NE(conffiles.out.find("/etc/vtape/vtape.conf"), std::string::npos) << describe(conffiles);
}

TEST_F(InstalledPackage, ManFindsTheInstalledPages) {
  auto w = run_command("man -w vtapefs");
  EXPECT_EQ(w.exit_code, 0) << describe(w);
  EXPECT_EQ(w.out, "/usr/share/man/man8/vtapefs.8\n");
  for (const char* page : {"vtape", "vtape-restore", "vtape-spool", "vtape-formats", "vtape-catalog"}) {
    auto r = run_command(std::string("man -w ") + page);
    EXPECT_EQ(r.exit_code, 0) << page << ": " << describe(r);
    EXPECT_EQ(r.out.rfind("/usr/share/man/man", 0), 0u) << page << ": " << r.out;
  }
  auto page = run_command("MANPAGER=cat MANWIDTH=80 man vtapefs");
  EXPECT_EQ(page.exit_code, 0) << describe(page);
  EXPECT_NE(page.out.find("RUNNING AS A SERVICE"), std::string::npos);
  EXPECT_NE(page.out.find("vtapefs@"), std::string::npos);
}

TEST_F(InstalledPackage, InstalledProgramsRun) {
  auto help = run_command("/usr/bin/vtapefs --help");
  EXPECT_EQ(help.exit_code, 0) << describe(help);
  EXPECT_EQ(help.out.rfind("usage: vtapefs", 0), 0u) << help.out;
  auto vtape = run_command("/usr/bin/vtape --help");
  EXPECT_EQ(vtape.exit_code, 0) << describe(vtape);
  EXPECT_NE(vtape.out.find("restore"), std::string::npos) << vtape.out;
}

// The installed vtapefs mounts a library (in the background, as a user
// starts it) and the installed vtape talks to its daemon.
TEST_F(InstalledPackage, InstalledVtapefsMountsALibraryAndVtapeStatusAnswers) {
  TempDir dir;
  std::string lib = dir.file("lib"), mnt = dir.file("mnt");
  std::filesystem::create_directories(mnt);
  MountGuard guard(mnt);
  auto up = run_command("env -u VTAPE_LIBRARY /usr/bin/vtapefs --library " + q(lib) + " " + q(mnt));
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_TRUE(std::filesystem::exists(mnt + "/drives/nst0"));
  auto status = run_command("env -u VTAPE_LIBRARY /usr/bin/vtape -C " + q(mnt) + " status 0");
  EXPECT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_NE(status.out.find("drive 0: SCR001"), std::string::npos) << status.out;
  auto down = run_command("fusermount3 -u " + q(mnt));
  EXPECT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_FALSE(mounted(mnt));
}

// Offline (systemd need not be running): the unit parses, its programs
// exist and Documentation= names an installed page (verify runs `man`).
TEST_F(InstalledPackage, TheUnitTemplatePassesSystemdAnalyzeVerify) {
  ASSERT_TRUE(std::filesystem::exists(kUnit));
  auto v = run_command(std::string("systemd-analyze verify ") + kUnit);
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  EXPECT_EQ(v.err, "");
  std::string unit = read_text(kUnit);
  EXPECT_NE(unit.find("\nType=notify\n"), std::string::npos);
}

// The unit's settings as systemd expands them for instance `instance`:
// Environment= (with %i), then each EnvironmentFile= in order (the later
// wins; `files` stands in for /etc/vtape/INSTANCE.conf), and a command line
// of KEY= lines.  ${KEY} in a command is replaced by the value as it is,
// always one argument.
class UnitExpansion {
 public:
  UnitExpansion(const std::string& unit, const std::string& instance) : unit_(unit), instance_(instance) {
    for (const auto& line : lines("Environment")) {
      std::istringstream words(line);
      for (std::string w; words >> w;) set(with_instance(w));
    }
  }
  void read_environment_file(const std::string& path) {
    std::istringstream in(read_text(path));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] != '#') set(line);
    }
  }
  std::vector<std::string> lines(const std::string& key) const {
    std::vector<std::string> out;
    std::istringstream in(unit_);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(key + "=", 0) == 0) out.push_back(line.substr(key.size() + 1));
    }
    return out;
  }
  std::vector<std::string> command(const std::string& key) const {
    auto found = lines(key);
    std::vector<std::string> argv;
    if (found.size() != 1) return argv;
    std::istringstream words(found[0]);
    for (std::string w; words >> w;) {
      for (size_t at; (at = w.find("${")) != std::string::npos;) {
        size_t end = w.find('}', at);
        std::string name = w.substr(at + 2, end - at - 2);
        auto v = values_.find(name);
        w.replace(at, end - at + 1, v == values_.end() ? "" : v->second);
      }
      argv.push_back(with_instance(w));
    }
    return argv;
  }
  std::string value(const std::string& key) const {
    auto v = values_.find(key);
    return v == values_.end() ? "" : v->second;
  }

 private:
  void set(const std::string& assignment) {
    size_t eq = assignment.find('=');
    if (eq != std::string::npos) values_[assignment.substr(0, eq)] = assignment.substr(eq + 1);
  }
  std::string with_instance(std::string w) const {
    for (size_t at; (at = w.find("%i")) != std::string::npos;) w.replace(at, 2, instance_);
    return w;
  }
  std::string unit_, instance_;
  std::map<std::string, std::string> values_;
};

pid_t spawn(const std::vector<std::string>& argv, const std::string& notify_socket) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (!notify_socket.empty()) setenv("NOTIFY_SOCKET", notify_socket.c_str(), 1);
    unsetenv("VTAPE_LIBRARY");
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// What systemd does for `systemctl start vtapefs@NAME` and `stop`, by
// hand: the instance's settings from its conf file, ExecStartPre= makes
// the mount point, ExecStart= runs with NOTIFY_SOCKET and says READY=1
// once the drives and the control socket serve; SIGTERM (systemd's stop)
// makes the daemon unmount and exit 0.
TEST_F(InstalledPackage, TheUnitsCommandsServeALibrarySayReadyAndStopOnSigterm) {
  TempDir dir;
  std::string lib = dir.file("lib"), mnt = dir.file("mounts/tapes"), notify = dir.file("notify");
  MountGuard guard(mnt);
  UnitExpansion unit(read_text(kUnit), "tapes");
  EXPECT_EQ(unit.value("LIBRARY"), "/srv/vtape/tapes");
  EXPECT_EQ(unit.value("MOUNTPOINT"), "/mnt/vtape/tapes");
  ASSERT_EQ(unit.lines("EnvironmentFile"),
            (std::vector<std::string>{"-/etc/vtape/vtape.conf", "-/etc/vtape/%i.conf"}));
  unit.read_environment_file("/etc/vtape/vtape.conf");  // all commented out, as installed
  EXPECT_EQ(unit.value("DRIVES"), "2");
  std::string conf = dir.file("tapes.conf");  // stands in for /etc/vtape/tapes.conf
  write_text(conf, "LIBRARY=" + lib + "\nMOUNTPOINT=" + mnt + "\nDRIVES=3\n");
  unit.read_environment_file(conf);

  auto pre = unit.command("ExecStartPre");
  ASSERT_EQ(pre.size(), 3u);
  int status = 0;
  pid_t pre_pid = spawn(pre, "");
  ASSERT_EQ(waitpid(pre_pid, &status, 0), pre_pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_TRUE(std::filesystem::is_directory(mnt));

  NotifyListener listener(notify);
  ASSERT_TRUE(listener.ok()) << notify;

  auto start = unit.command("ExecStart");
  ASSERT_FALSE(start.empty());
  EXPECT_EQ(start[0], "/usr/bin/vtapefs");
  pid_t pid = spawn(start, notify);
  guard.set_pid(pid);
  std::string message = listener.receive(60);
  ASSERT_FALSE(message.empty()) << "no READY=1 within 20 s";
  EXPECT_NE(message.find("READY=1"), std::string::npos) << message;
  // At READY=1: three drives (DRIVES=3 from the instance's conf), and the
  // installed vtape reaches the daemon through the mount.
  EXPECT_TRUE(std::filesystem::exists(mnt + "/drives/nst2"));
  EXPECT_FALSE(std::filesystem::exists(mnt + "/drives/nst3"));
  auto s = run_command("env -u VTAPE_LIBRARY /usr/bin/vtape -C " + q(mnt) + " status 0");
  EXPECT_EQ(s.exit_code, 0) << describe(s);
  EXPECT_NE(s.out.find("drive 0: SCR001"), std::string::npos) << s.out;
  auto f = run_command("findmnt -n -o SOURCE --mountpoint " + q(mnt));
  EXPECT_EQ(f.out, "vtapefs#" + lib + "\n");

  // systemctl stop: SIGTERM to the main process.
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  pid_t done = 0;
  for (int i = 0; i < 2400 && (done = waitpid(pid, &status, WNOHANG)) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(done, pid) << "vtapefs did not stop within 60 s of SIGTERM";
  guard.forget_pid();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(mounted(mnt)) << "the mount is left behind";
}

}  // namespace
}  // namespace vtape::testing
