// The proof of `vtape changer`: a real Bacula director, storage daemon and
// file daemon (Debian's bacula-director with SQLite, bacula-sd, bacula-fd),
// started here on loopback ports with their configurations, working
// directories and catalog in the test's temporary directory, label the
// library's cartridges by barcode, back up a directory tree onto a vtapefs
// drive that `vtape changer` loads, and restore it elsewhere.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

std::string q(const std::string& s) { return shell_quote(s); }

// `n` distinct loopback ports that were free a moment ago (all bound at
// once, so none repeats).
std::vector<int> free_ports(int n) {
  std::vector<int> fds, ports;
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "no free port";
    }
    fds.push_back(fd);
    ports.push_back(ntohs(a.sin_port));
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

// Bacula daemons run in the foreground (-f) as children of the test, and
// are stopped (SIGTERM, then SIGKILL) and reaped when this goes away, even
// when the test fails.  Their output goes to NAME.out in the work directory.
class BaculaDaemons {
 public:
  ~BaculaDaemons() {
    for (pid_t pid : pids_) ::kill(pid, SIGTERM);
    for (pid_t pid : pids_) {
      int status = 0;
      for (int i = 0; i < 100 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (::waitpid(pid, &status, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
      }
    }
  }
  void start(const std::string& program, const std::string& config, const std::string& out) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execlp(program.c_str(), program.c_str(), "-f", "-c", config.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    ASSERT_GT(pid, 0);
    pids_.push_back(pid);
  }

 private:
  std::vector<pid_t> pids_;
};

struct BaculaSetup {
  std::string work, source, restore, library, drive;
  int dir_port = 0, sd_port = 0, fd_port = 0;
};

std::string director_conf(const BaculaSetup& b) {
  const std::string& w = b.work;
  return "Director {\n"
         "  Name = vt-dir\n"
         "  DIRport = " + std::to_string(b.dir_port) + "\n"
         "  DirAddress = 127.0.0.1\n"
         "  QueryFile = \"/etc/bacula/scripts/query.sql\"\n"
         "  WorkingDirectory = \"" + w + "\"\n"
         "  PidDirectory = \"" + w + "\"\n"
         "  Maximum Concurrent Jobs = 1\n"
         "  Password = \"dir-secret\"\n"
         "  Messages = Daemon\n"
         "}\n"
         // SQLite: WorkingDirectory/bacula.db
         "Catalog { Name = MyCatalog; dbname = \"bacula\"; dbuser = \"\"; dbpassword = \"\" }\n"
         "Messages { Name = Standard; console = all, !skipped, !saved; append = \"" + w + "/jobs.log\" = all; "
         "catalog = all }\n"
         "Messages { Name = Daemon; console = all; append = \"" + w + "/director.log\" = all }\n"
         "Storage { Name = VTape; Address = 127.0.0.1; SDPort = " + std::to_string(b.sd_port) + "; "
         "Password = \"sd-secret\"; Device = VTapeChanger; Media Type = LTO-8; Autochanger = yes }\n"
         "Client { Name = vt-fd; Address = 127.0.0.1; FDPort = " + std::to_string(b.fd_port) + "; "
         "Catalog = MyCatalog; Password = \"fd-secret\" }\n"
         "FileSet { Name = Tree; Include { Options { signature = MD5 }; File = \"" + b.source + "\" } }\n"
         "Pool { Name = Default; Pool Type = Backup }\n"
         "Job { Name = BackupTree; Type = Backup; Level = Full; Client = vt-fd; FileSet = Tree; Storage = VTape; "
         "Pool = Default; Messages = Standard; Write Bootstrap = \"" + w + "/%n.bsr\" }\n"
         "Job { Name = RestoreTree; Type = Restore; Client = vt-fd; FileSet = Tree; Storage = VTape; "
         "Pool = Default; Messages = Standard; Where = \"" + b.restore + "\" }\n";
}

// The recipe of man/vtape-changer.1: an Autochanger whose Changer Command is
// vtape changer, and one Device on drive 0.
std::string storage_conf(const BaculaSetup& b) {
  return "Storage { Name = vt-sd; SDPort = " + std::to_string(b.sd_port) + "; SDAddress = 127.0.0.1; "
         "WorkingDirectory = \"" + b.work + "\"; Pid Directory = \"" + b.work + "\" }\n"
         "Director { Name = vt-dir; Password = \"sd-secret\" }\n"
         "Messages { Name = Standard; director = vt-dir = all }\n"
         "Autochanger {\n"
         "  Name = VTapeChanger\n"
         "  Device = VTapeDrive\n"
         "  Changer Command = \"" + std::string(VTAPE_BINARY) + " changer --library " + b.library +
         " %o %S %a %d\"\n"
         "  Changer Device = /dev/null\n"
         "}\n"
         "Device {\n"
         "  Name = VTapeDrive\n"
         "  Drive Index = 0\n"
         "  AutoChanger = yes\n" +
         bacula_tape_device_settings(b.drive) +
         "}\n";
}

std::string file_daemon_conf(const BaculaSetup& b) {
  return "FileDaemon { Name = vt-fd; FDport = " + std::to_string(b.fd_port) + "; FDAddress = 127.0.0.1; "
         "WorkingDirectory = \"" + b.work + "\"; Pid Directory = \"" + b.work + "\"; "
         "Plugin Directory = /usr/lib/bacula }\n"
         "Director { Name = vt-dir; Password = \"fd-secret\" }\n"
         "Messages { Name = Standard; director = vt-dir = all, !skipped, !restored }\n";
}

// The console's output once the director answers (it takes a moment to
// listen).
CommandResult console(const BaculaSetup& b, const std::string& commands) {
  write_text(b.work + "/commands", commands);
  CommandResult r;
  for (int i = 0; i < 50; ++i) {
    r = run_command("timeout 60 bconsole -c " + q(b.work + "/bconsole.conf") + " <" + q(b.work + "/commands"));
    if (r.out.find("1000 OK") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return r;
}

TEST(BaculaChanger, BacksUpAndRestoresATreeThroughVtapeChanger) {
  for (const char* p : {"bacula-dir", "bacula-sd", "bacula-fd", "bconsole", "sqlite3"}) {
    ASSERT_TRUE(have_program(p)) << p << " is not installed (scripts/install_deps.sh)";
  }
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  for (const char* v : {"VT0001", "VT0002"}) {
    CommandResult r = vt.vtape(std::string("new ") + v);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
  }
  // The changer, not the test, puts cartridges into the drive.
  CommandResult r = vt.vtape("unload 0");
  ASSERT_EQ(r.exit_code, 0) << describe(r);

  TempDir dir;
  BaculaSetup b;
  b.work = dir.file("work");
  b.source = dir.file("source");
  b.restore = dir.file("restore");
  b.library = vt.library();
  b.drive = vt.drive(0);
  std::vector<int> ports = free_ports(3);
  b.dir_port = ports[0];
  b.sd_port = ports[1];
  b.fd_port = ports[2];
  std::filesystem::create_directories(b.work);
  std::filesystem::create_directories(b.source + "/sub/deeper");
  std::filesystem::create_directories(b.restore);
  write_text(b.source + "/a.txt", "hello, tape\n");
  write_file_bytes(b.source + "/sub/data.bin", pattern_bytes(300000, 16));
  write_text(b.source + "/sub/deeper/empty", "");
  std::filesystem::create_symlink("a.txt", b.source + "/link");

  write_text(b.work + "/bacula-dir.conf", director_conf(b));
  write_text(b.work + "/bacula-sd.conf", storage_conf(b));
  write_text(b.work + "/bacula-fd.conf", file_daemon_conf(b));
  write_text(b.work + "/bconsole.conf", "Director { Name = vt-dir; DIRport = " + std::to_string(b.dir_port) +
                                            "; address = 127.0.0.1; Password = \"dir-secret\" }\n");
  // The catalog's tables, from the SQL Debian's make_sqlite3_tables holds
  // (the script itself writes into /var/lib/bacula).
  r = run_command("sed '1,/<<END-OF-DATA/d;/^END-OF-DATA/,$d' /usr/share/bacula-director/make_sqlite3_tables | "
                  "sqlite3 " + q(b.work + "/bacula.db"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* d : {"bacula-dir", "bacula-sd", "bacula-fd"}) {
    r = run_command(std::string(d) + " -t -c " + q(b.work + "/" + d + ".conf"));
    ASSERT_EQ(r.exit_code, 0) << d << " refuses its configuration: " << describe(r);
  }

  BaculaDaemons daemons;  // stopped before vt unmounts (declared after it)
  daemons.start("bacula-sd", b.work + "/bacula-sd.conf", b.work + "/sd.out");
  daemons.start("bacula-fd", b.work + "/bacula-fd.conf", b.work + "/fd.out");
  daemons.start("bacula-dir", b.work + "/bacula-dir.conf", b.work + "/dir.out");

  r = console(b, "label barcodes storage=VTape pool=Default drive=0 slots=1-3\nyes\n"
                 "run job=BackupTree yes\nwait\nmessages\n"
                 "restore jobid=1 all done yes\nwait\nmessages\nlist jobs\n");
  std::string logs = "\n" + read_text(b.work + "/sd.out") + read_text(b.work + "/dir.out");
  ASSERT_NE(r.out.find("1000 OK"), std::string::npos) << "the director did not answer: " << describe(r) << logs;
  // Each cartridge was loaded by the changer and labeled with its barcode.
  for (const char* v : {"SCR001", "VT0001", "VT0002"}) {
    EXPECT_NE(r.out.find(std::string("Catalog record for Volume \"") + v), std::string::npos) << v << r.out;
  }
  EXPECT_NE(r.out.find("Autochanger \"load Volume VT0002, Slot 3, Drive 0\", status is OK"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Termination:            Backup OK"), std::string::npos) << r.out << logs;
  EXPECT_NE(r.out.find("Termination:            Restore OK"), std::string::npos) << r.out << logs;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\| 1 +\| BackupTree .*\| T +\|)"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\| 2 +\| RestoreTree .*\| T +\|)"))) << r.out;

  // The restored tree is the source (Bacula restores under Where + the path).
  r = run_command("diff -r --no-dereference " + q(b.source) + " " + q(b.restore + b.source));
  EXPECT_EQ(r.exit_code, 0) << describe(r);

  // The volume the job wrote is one of our cartridges, cataloged with its
  // Bacula label, and the changer has it in drive 0.
  std::smatch m;
  CommandResult jobs = console(b, "list jobmedia jobid=1\n");
  ASSERT_TRUE(std::regex_search(jobs.out, m, std::regex(R"(\| 1 +\| (\w+) +\|)"))) << jobs.out;
  std::string volume = m[1];
  r = vt.vtape("ls --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[v['label_volser'] for v in d['volumes'] if v['volser'] == '" + volume + "']"),
            "['" + volume + "']");
  r = vt.vtape("ls " + volume + " --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "d['files'][0]['content']"), "bacula");
  r = vt.vtape("changer listall");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("D:0:F:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(":" + volume + "\n"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace vtape::testing
