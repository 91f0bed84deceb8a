// The control socket of a mounted vtapefs (DIR/vtapefs.sock) against
// clients that misbehave: one that connects and says nothing must hold up
// neither `vtape status` nor the unmount, and a request whose numbers are
// not numbers is an error, not an answer about no drive at all.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The state letter of /proc/PID/stat ('Z' once it has exited), or 0.
char process_state(pid_t pid) {
  std::vector<uint8_t> stat = read_file_bytes("/proc/" + std::to_string(pid) + "/stat");
  std::string text(stat.begin(), stat.end());
  size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? 0 : text[paren + 2];
}

// A client socket connected to the daemon's control socket; -1 on failure.
int connect_control(const MountedVtapefs& vt) {
  std::string path = vt.library() + "/vtapefs.sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Everything the daemon sends until it closes, waiting at most `limit_s`.
std::string read_answer(int fd, double limit_s) {
  std::string out;
  auto start = Clock::now();
  char buf[4096];
  while (seconds_since(start) < limit_s) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// One raw request line, as a hostile or sloppy client would send it.
std::string raw_request(const MountedVtapefs& vt, const std::string& line) {
  int fd = connect_control(vt);
  if (fd < 0) return "cannot connect: " + std::string(std::strerror(errno));
  std::string text = line + "\n";
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    close(fd);
    return "cannot write";
  }
  std::string answer = read_answer(fd, 10);
  close(fd);
  return answer;
}

TEST(ControlSocket, AnIdleClientHoldsUpNeitherStatusNorUnmount) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  // Connects and sends nothing (the daemon used to read this one connection
  // with no time limit, and everything else waited behind it).
  int idle = connect_control(vt);
  ASSERT_GE(idle, 0) << std::strerror(errno);
  int idle2 = connect_control(vt);
  ASSERT_GE(idle2, 0) << std::strerror(errno);
  ASSERT_EQ(write(idle2, "sta", 3), 3);  // half a request, never finished

  auto t = Clock::now();
  CommandResult r = run_command("timeout 10 env VTAPE_LIBRARY=" + shell_quote(vt.library()) + " " +
                  shell_quote(VTAPE_BINARY) + " status");
  double took = seconds_since(t);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("SCR001"), std::string::npos) << describe(r);
  EXPECT_LT(took, 2.0) << "vtape status waited behind an idle control connection";

  // The idle clients are dropped after a few seconds with an error line.
  std::string dropped = read_answer(idle, 8);
  EXPECT_EQ(dropped.rfind("error ", 0), 0u) << "'" << dropped << "'";
  close(idle);

  // The unmount does not wait for the client still connected.
  int idle3 = connect_control(vt);
  ASSERT_GE(idle3, 0);
  pid_t pid = vt.pid();
  t = Clock::now();
  CommandResult u = run_command("fusermount3 -u " + shell_quote(vt.mount_point()));
  EXPECT_EQ(u.exit_code, 0) << describe(u);
  // Exited: a zombie until MountedVtapefs reaps it (it must stay the
  // reaper, so no waitpid here).
  bool exited = false;
  while (seconds_since(t) < 10 && !exited) {
    exited = process_state(pid) == 'Z';
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  took = seconds_since(t);
  EXPECT_TRUE(exited) << "vtapefs did not exit within 10 s of the unmount";
  EXPECT_LT(took, 2.0) << "the daemon's exit waited for an idle control client";
  close(idle2);
  close(idle3);
  vt.unmount();
  EXPECT_EQ(vt.log().find("ERROR"), std::string::npos) << vt.log();
}

TEST(ControlSocket, MalformedNumbersAndWordsAreErrors) {
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  // What used to answer "ok" (an empty list, or drive 0 for a word that is
  // no number at all), or unload/protect something not asked for.
  for (const char* bad : {"status json 99999999999999999999", "status json -1", "status json 2", "status json 1x",
                          "status json abc", "status json 0 0", "status yaml", "unload 0x1", "unload +0",
                          "unload 99999999999999999999", "load 4294967296 SCR001", "load 0", "protect SCR001 2",
                          "protect SCR001 yes", "protect SCR001"}) {
    std::string answer = raw_request(vt, bad);
    EXPECT_EQ(answer.rfind("error ", 0), 0u) << "'" << bad << "' answered '" << answer << "'";
  }
  // Nothing happened to the drive or the cartridge.
  std::string ok = raw_request(vt, "status json 0");
  EXPECT_EQ(ok.rfind("ok\n", 0), 0u) << ok;
  EXPECT_NE(ok.find("SCR001"), std::string::npos) << ok;
  EXPECT_NE(ok.find("\"drive\":0"), std::string::npos) << ok;
  EXPECT_EQ(ok.find("\"drive\":1"), std::string::npos) << ok;
  CommandResult ls = vt.vtape("status --json");
  EXPECT_EQ(ls.exit_code, 0) << describe(ls);
  EXPECT_NE(ls.out.find("SCR001"), std::string::npos) << ls.out;
  EXPECT_EQ(ls.out.find("\"write_protected\":true"), std::string::npos) << ls.out;
}

}  // namespace
}  // namespace vtape::testing
