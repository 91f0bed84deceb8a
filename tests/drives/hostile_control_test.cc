// Hostile clients of the control socket (DIR/vtapefs.sock), gathered in one
// place, on a real mount, each with what it must not achieve:
//  - clients that connect and say nothing, or half a line, as many as the
//    daemon has places for: `vtape status` is still answered at once, and
//    the drives keep writing;
//  - garbage, a huge line, binary, NUL bytes, a half line then a close,
//    names that climb out of the library: each an error line or a dropped
//    connection, the daemon survives, nothing is created outside the library;
//  - many clients at once: every one gets its answer;
//  - a snapshot or migration at a crawl (max-rate=1): refused, naming the
//    floor; a snapshot whose client hangs up mid-copy: stopped, its
//    half-made cartridge removed, its place on the socket free again.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_support.h"
#include "tests/test_support/control_client_helpers.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// dd of `blocks` 10 KiB records onto `device`, and how long it took.
CommandResult timed_write(const std::string& device, int blocks, double* took) {
  auto t = Clock::now();
  CommandResult r = run_command("timeout 20 dd if=/dev/urandom of=" + shell_quote(device) +
                                " bs=10240 count=" + std::to_string(blocks) + " status=none");
  *took = seconds_since(t);
  return r;
}

// Every path under `dir` (recursively), for a before/after comparison.
std::set<std::string> tree_of(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    out.insert(it->path().string());
  }
  return out;
}

// vtape verify of the cartridge's image.
CommandResult verify_cartridge(const MountedVtapefs& vt, const std::string& volser) {
  return run_vtape("verify " + shell_quote(vt.library() + "/cartridges/" + volser + ".tap"));
}

bool daemon_alive(const MountedVtapefs& vt) { return vt.pid() > 0 && kill(vt.pid(), 0) == 0; }

TEST(HostileControl, SilentClientsFillingEveryPlaceHoldUpNeitherStatusNorTheDrives) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  ASSERT_EQ(vt.vtape("new SILENT").exit_code, 0);
  ASSERT_EQ(vt.vtape("load 1 SILENT").exit_code, 0);
  // More silent clients than the daemon serves at once (16); some send half
  // a request and stop.
  std::vector<int> silent;
  for (int i = 0; i < 20; ++i) {
    int fd = connect_control(vt);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    if (i % 3 == 0) {
      ASSERT_EQ(write(fd, "sta", 3), 3);
    }
    silent.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A real client is answered at once (it used to be refused: "serving 16
  // control connections already"), and again while they stay connected.
  for (int round = 0; round < 3; ++round) {
    double took = 0;
    CommandResult r = timed_status(vt, &took);
    EXPECT_EQ(r.exit_code, 0) << "round " << round << ": " << describe(r);
    EXPECT_NE(r.out.find("SILENT"), std::string::npos) << describe(r);
    EXPECT_LT(took, 2.0) << "vtape status waited behind silent clients";
  }
  // Both drives write meanwhile, in bounded time.
  for (int d = 0; d < 2; ++d) {
    double took = 0;
    CommandResult w = timed_write(vt.drive(d), 50, &took);
    EXPECT_EQ(w.exit_code, 0) << "drive " << d << ": " << describe(w);
    EXPECT_LT(took, 5.0) << "drive " << d;
  }
  // A silent client gets an error line when it is dropped, never an answer.
  for (int fd : silent) {
    std::string answer = read_answer(fd, 6);
    EXPECT_TRUE(answer.empty() || answer.rfind("error ", 0) == 0) << "'" << answer << "'";
    close(fd);
  }
  EXPECT_TRUE(daemon_alive(vt));
  CommandResult v = verify_cartridge(vt, "SILENT");
  EXPECT_EQ(v.exit_code, 0) << describe(v);
}

TEST(HostileControl, GarbageHugeBinaryAndHalfLinesAreErrorsAndChangeNothing) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  // The TempDir that holds the library and the mount point: nothing may
  // appear there, nor in the library but what the daemon keeps.
  std::string parent = fs::path(vt.library()).parent_path().string();
  std::set<std::string> before;
  for (const auto& p : tree_of(parent)) {
    if (p.rfind(vt.mount_point(), 0) != 0) before.insert(p);
  }
  std::mt19937 rng(20);
  std::string binary(64 * 1024, '\0');
  for (auto& c : binary) c = static_cast<char>(rng());
  struct Case {
    std::string name, bytes;
    bool close_after;
  };
  std::vector<Case> cases = {
      {"garbage words", "frobnicate the tapes please\n", false},
      {"a huge line", std::string(1 << 20, 'A') + "\n", false},
      {"a huge word after a verb", "status " + std::string(8000, '9') + "\n", false},
      {"binary", binary, false},
      {"NUL bytes", std::string("status\0json\0\0\n", 15), false},
      {"half a line, then a close", "load 0 SCR0", true},
      {"nothing, then a close", "", true},
      {"a drive number that overflows", "unload 99999999999999999999999\n", false},
      {"a negative drive", "load -1 SCR001\n", false},
      {"a volume path climbing out", "load 1 ../../../etc/passwd\n", false},
      {"a snapshot name climbing out", "snapshot SCR001 ../../escape\n", false},
      {"a snapshot to an absolute path", "snapshot SCR001 /tmp/vtape-hostile-escape\n", false},
      {"protect a path", "protect ../catalog.db 1\n", false},
      {"remove the catalog", "remove ../catalog.db\n", false},
      {"migrate-abort a path", "migrate-abort ../../x\n", false},
  };
  for (const auto& c : cases) {
    std::string answer = send_raw(vt, c.bytes, c.close_after);
    // An error line, or (a line too long) the connection dropped.
    EXPECT_TRUE(answer.empty() || answer.rfind("error ", 0) == 0) << c.name << ": '" << answer.substr(0, 200) << "'";
    EXPECT_EQ(answer.rfind("ok", 0), std::string::npos) << c.name;
    ASSERT_TRUE(daemon_alive(vt)) << "the daemon died on " << c.name << ": " << vt.log();
  }
  EXPECT_FALSE(fs::exists("/tmp/vtape-hostile-escape"));
  std::set<std::string> after;
  for (const auto& p : tree_of(parent)) {
    if (p.rfind(vt.mount_point(), 0) != 0 && p.find("vtapefs.sock") == std::string::npos) after.insert(p);
  }
  for (const auto& p : after) EXPECT_TRUE(before.count(p)) << "created by a hostile request: " << p;
  // The daemon serves on: the cartridge is in its drive, writable, and the
  // library reads as before.
  double took = 0;
  CommandResult s = timed_status(vt, &took);
  EXPECT_EQ(s.exit_code, 0) << describe(s);
  EXPECT_NE(s.out.find("SCR001"), std::string::npos) << describe(s);
  CommandResult w = timed_write(vt.drive(0), 20, &took);
  EXPECT_EQ(w.exit_code, 0) << describe(w);
  CommandResult v = verify_cartridge(vt, "SCR001");
  EXPECT_EQ(v.exit_code, 0) << describe(v);
}

TEST(HostileControl, ManyClientsAtOnceAreAllAnswered) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  // Fourteen silent clients hold places, then 48 clients come at once, three
  // times the places the daemon has: each asks for the status and must get
  // it (none is refused: the silent ones make room, the others are served
  // in turn).
  std::vector<int> silent;
  for (int i = 0; i < 14; ++i) {
    int fd = connect_control(vt);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    silent.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  constexpr int kClients = 48;
  std::vector<std::string> answers(kClients);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      answers[static_cast<size_t>(i)] = send_raw(vt, "status json\n");
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  int ok = 0;
  for (const auto& a : answers) {
    if (a.rfind("ok\n", 0) == 0 && a.find("SCR001") != std::string::npos) ++ok;
  }
  std::string refused;
  for (const auto& a : answers) {
    if (a.rfind("ok\n", 0) != 0) refused = a;
  }
  EXPECT_EQ(ok, kClients) << "e.g. '" << refused.substr(0, 200) << "'";
  for (int fd : silent) close(fd);
  EXPECT_TRUE(daemon_alive(vt));
  double took = 0;
  CommandResult w = timed_write(vt.drive(0), 20, &took);
  EXPECT_EQ(w.exit_code, 0) << describe(w);
}

// A copy at a crawl would hold a control connection and (a snapshot) a
// half-made cartridge for days: a rate under 1 MiB/s is refused, by the
// daemon and by the vtape command line, with the floor named, and nothing
// is created.
TEST(HostileControl, ACopyRateUnderTheFloorIsRefusedNamingIt) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir dir;
  for (const std::string& request :
       {std::string("snapshot SCR001 max-rate=1\n"), std::string("snapshot SCR001 SLOW01 max-rate=1048575\n"),
        "migrate SCR001 " + dir.file("new") + " - switch keep-old new max-rate=1\n"}) {
    std::string answer = send_raw(vt, request);
    EXPECT_EQ(answer.rfind("error ", 0), 0u) << request << answer;
    EXPECT_NE(answer.find("at least 1048576 bytes a second (1 MiB/s)"), std::string::npos) << request << answer;
  }
  for (const std::string& command :
       {std::string("snapshot SCR001 --max-rate 1"), std::string("snapshot SCR001 --max-rate 1023K"),
        "migrate SCR001 --max-rate 1000 --to " + shell_quote(dir.file("new"))}) {
    CommandResult r = vt.vtape(command);
    EXPECT_EQ(r.exit_code, 2) << command << ": " << describe(r);
    EXPECT_NE(r.err.find("--max-rate is at least 1M (1 MiB a second)"), std::string::npos)
        << command << ": " << describe(r);
  }
  // The floor itself is a rate.
  CommandResult floor = vt.vtape("snapshot SCR001 --as FLOOR1 --max-rate 1M");
  EXPECT_EQ(floor.exit_code, 0) << describe(floor);
  EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/SN0001.cartridge"));
  EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/SLOW01.cartridge"));
  EXPECT_FALSE(fs::exists(dir.file("new")));
}

// A snapshot client that hangs up mid-copy: the copy stops, the half-made
// cartridge goes (its image, its record, nothing in the catalog), and the
// control socket serves the next client.  The copy of 64 MiB at 1 MiB/s
// would take a minute: the client hangs up once the cartridge is there.
TEST(HostileControl, ASnapshotWhoseClientHangsUpIsStoppedAndRemoved) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  CommandResult dd = run_command("dd if=/dev/zero of=" + vt.drive(0) + " bs=256k count=256 status=none");
  ASSERT_EQ(dd.exit_code, 0) << describe(dd);
  std::string cartridge = vt.library() + "/cartridges/SNHUP1.cartridge";
  std::string image = vt.library() + "/cartridges/SNHUP1.tap";
  int fd = connect_control(vt);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::string request = "snapshot SCR001 SNHUP1 max-rate=1048576\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  // The copy has begun once the snapshot's cartridge is there (made just
  // before it).
  for (int i = 0; i < 12000 && !fs::exists(cartridge); ++i) pause_ms(5);
  ASSERT_TRUE(fs::exists(cartridge)) << vt.log();
  close(fd);
  // Gone within seconds (a finished copy would take a minute and stay).
  for (int i = 0; i < 2000 && (fs::exists(cartridge) || fs::exists(image)); ++i) pause_ms(10);
  EXPECT_FALSE(fs::exists(cartridge)) << "the half-made snapshot's cartridge stayed";
  EXPECT_FALSE(fs::exists(image)) << "the half-made snapshot's image stayed";
  CommandResult ls = vt.vtape("ls SNHUP1");
  EXPECT_NE(ls.exit_code, 0) << describe(ls);
  CommandResult df = vt.vtape("df");
  EXPECT_EQ(df.out.find("SNHUP1"), std::string::npos) << df.out;
  EXPECT_NE(vt.log().find("client hung up"), std::string::npos) << vt.log();
  // The socket serves the next client, and the name is free again: a
  // client that shuts only its sending side still reads its answer.
  std::string again = send_raw(vt, "snapshot SCR001 SNHUP1\n", /*close_after=*/true, 60);
  EXPECT_EQ(again.rfind("ok\n", 0), 0u) << again;
  double took = 0;
  CommandResult status = timed_status(vt, &took);
  EXPECT_EQ(status.exit_code, 0) << describe(status);
  CommandResult v = verify_cartridge(vt, "SNHUP1");
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  EXPECT_TRUE(daemon_alive(vt));
}

}  // namespace
}  // namespace vtape::testing
