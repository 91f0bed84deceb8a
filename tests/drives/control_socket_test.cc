// The control socket of a mounted vtapefs (DIR/vtapefs.sock) against
// clients that misbehave: one that connects and says nothing must hold up
// neither `vtape status` nor the unmount, and a request whose numbers are
// not numbers is an error, not an answer about no drive at all.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_support.h"
#include "tests/test_support/control_client_helpers.h"

namespace vtape::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The state letter of /proc/PID/stat ('Z' once it has exited), or 0.
char process_state(pid_t pid) {
  std::vector<uint8_t> stat = read_file_bytes("/proc/" + std::to_string(pid) + "/stat");
  std::string text(stat.begin(), stat.end());
  size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? 0 : text[paren + 2];
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

  double took = 0;
  CommandResult r = timed_status(vt, &took);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("SCR001"), std::string::npos) << describe(r);
  EXPECT_LT(took, 2.0) << "vtape status waited behind an idle control connection";

  // The idle clients are dropped after a few seconds with an error line.
  std::string dropped = read_answer(idle, 60);
  EXPECT_EQ(dropped.rfind("error ", 0), 0u) << "'" << dropped << "'";
  close(idle);

  // The unmount does not wait for the client still connected.
  int idle3 = connect_control(vt);
  ASSERT_GE(idle3, 0);
  pid_t pid = vt.pid();
  auto t = Clock::now();
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
    std::string answer = send_raw(vt, std::string(bad) + "\n");
    EXPECT_EQ(answer.rfind("error ", 0), 0u) << "'" << bad << "' answered '" << answer << "'";
  }
  // Nothing happened to the drive or the cartridge.
  std::string ok = send_raw(vt, "status json 0\n");
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
