// A vtape client the daemon refuses: every place of the control socket is
// taken (16 feeds, each holding its connection), so the daemon answers a
// 17th client "error ... serving 16 control connections already" and
// closes.  When that close comes before the client has sent its request,
// the client's send fails with EPIPE: it must print the daemon's error and
// exit 1, not die of SIGPIPE (exit 141) with nothing said.
//
// strace delays the client just after its connect() (inject delay_exit),
// longer than the daemon waits for a place, so the refusal deterministically
// comes first; without strace the client would almost always send in time
// and the test could not tell the difference.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "library/feed_client.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

// The daemon's places for control connections (library/control_server.cc).
constexpr int kPlaces = 16;

TEST(RefusedControlClient, VtapeRefusedBeforeItSendsPrintsTheDaemonsErrorAndExitsOne) {
  // strace installed and allowed to trace (a container may forbid ptrace).
  if (run_command("strace -qq -o /dev/null true").exit_code != 0) GTEST_SKIP() << "needs strace, allowed to trace";
  // Drive 0 holds SCR001; each feed takes one of the other drives.
  MountedVtapefs vt("--drives " + std::to_string(kPlaces + 1));
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::string socket = vt.library() + "/vtapefs.sock";
  std::vector<std::unique_ptr<FeedClient>> feeds(kPlaces);
  for (int i = 0; i < kPlaces; ++i) {
    Status s = FeedClient::open_cartridge(socket, "HOLD" + std::to_string(10 + i), std::nullopt,
                                          StreamOverwrite::kNever, "place holder " + std::to_string(i), &feeds[i]);
    ASSERT_TRUE(s.is_ok()) << "feed " << i << ": " << s.message();
  }
  // The daemon waits 3 s for a place, then refuses; the client sends 6 s
  // after its connect returned.
  CommandResult r = run_command("VTAPE_LIBRARY=" + shell_quote(vt.library()) + " " +
                                strace_command("-qq -o /dev/null -e trace=connect -e inject=connect:delay_exit=6000000 " +
                                               shell_quote(VTAPE_BINARY) + " status"));
  EXPECT_EQ(r.exit_code, 1) << "141 is death by SIGPIPE; " << describe(r);
  EXPECT_NE(r.err.find("serving 16 control connections already"), std::string::npos) << describe(r);
  for (auto& f : feeds) {
    Status s = f->finish(true);
    EXPECT_TRUE(s.is_ok()) << s.message();
  }
  feeds.clear();
  // The places are free again: the same client is answered.
  CommandResult again = vt.vtape("status");
  EXPECT_EQ(again.exit_code, 0) << describe(again);
}

}  // namespace
}  // namespace vtape::testing
