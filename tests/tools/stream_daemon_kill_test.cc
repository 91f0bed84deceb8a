// kill -9 of the vtapefs a receive writes through (vtape receive into a
// library the daemon serves, a feed: library/feed_client.h), mid-way, over
// a real sshd (issue 20).  After the remount the image verifies and holds a
// whole prefix of the stream, `vtape index check` is clean without a
// rebuild, and the sender's reconnection finishes the stream: the cartridge
// holds the input once, closed by one filemark.
//
// The moment is deterministic: the sender's standard input stops after
// kFirstRecords records, the kill comes once the daemon has written all of
// them, then the input goes on; the receiver's next write finds the feed
// gone and it asks the sender to reconnect, whose second connection waits
// (a gated ssh) until the daemon is back.

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/test_support.h"
#include "tests/tools/paused_stream.h"
#include "tests/tools/simh_content.h"
#include "tests/test_support/ssh_fixture.h"

namespace vtape::testing {
namespace {

std::string sq(const std::string& s) { return shell_quote(s); }

// Creates the files the paused producer and the gated ssh wait for, also
// when the test fails early: the sender then ends and its join returns.
struct Release {
  std::vector<std::string> files;
  ~Release() {
    for (const auto& f : files) write_text(f, "");
  }
};

TEST(StreamDaemonKill, ADaemonKilledDuringAReceiveLeavesAWholePrefixAndTheSendFinishesAfterTheRemount) {
  ASSERT_TRUE(std::filesystem::exists("/usr/sbin/sshd")) << "openssh-server (scripts/install_deps.sh)";
  TempDir dir, sshdir;
  MountedVtapefs vt("--drives 2");
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::string receive = std::string(VTAPE_BINARY) + " receive --library " + vt.library();
  Sshd sshd(sshdir, receive);
  ASSERT_TRUE(sshd.ok()) << sshd.error();
  std::string input = dir.file("input.bin");
  write_file_bytes(input, pattern_bytes(kAllRecords * kBlock, 21));
  std::string image = vt.library() + "/cartridges/MIGD01.tap";

  // The second connection (the reconnection after the kill) waits until
  // the daemon is back.
  std::string count = dir.file("connections");
  std::string gated = dir.file("gated-ssh.sh");
  write_gated_ssh(gated, count, dir.file("reconnect"), sshd.ssh_script("plain_key"));
  Background sender("python3 -c " + sq(kPausingCat) + " " + sq(input) + " " + std::to_string(kFirstRecords * kBlock) +
                    " " + sq(dir.file("go-on")) + " | " + sq(VTAPE_BINARY) + " send - 127.0.0.1:MIGD01 --ssh-command " +
                    sq(gated) + " --receive-command " + sq(receive) + " --retries 3 --retry-delay 0.2 --window 8");
  // Destroyed before the sender (which its destructor joins).
  Release release{{dir.file("reconnect"), dir.file("go-on")}};
  ASSERT_TRUE(wait_for([&] { return file_size(image) >= kFirstRecords * kSimhRecordBytes; }))
      << "the daemon wrote nothing\n" << vt.log();

  vt.crash();
  // The receiver, idle while the input pauses, learns of the kill at its
  // next write: the input goes on, the receiver asks the sender to try
  // again, and the sender's reconnection waits at the gated ssh.
  write_text(dir.file("go-on"), "");
  if (!wait_for([&] { return file_size(count) > 0 && read_text(count) == "2\n"; })) {
    write_text(dir.file("reconnect"), "");
    write_text(dir.file("go-on"), "");
    FAIL() << "the sender did not reconnect: " << describe(sender.join());
  }
  ASSERT_TRUE(vt.remount("--drives 2")) << vt.error();

  // A whole prefix: the image verifies, its records are the input's first.
  CommandResult v = run_vtape("verify " + sq(image));
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  SimhContent prefix = read_simh(image, dir.file("prefix.bin"));
  EXPECT_GE(prefix.record_sizes.size(), kFirstRecords);
  for (size_t size : prefix.record_sizes) ASSERT_EQ(size, kBlock);
  EXPECT_EQ(run_command("cmp -n " + std::to_string(prefix.record_sizes.size() * kBlock) + " " + sq(input) + " " +
                        sq(prefix.data_file))
                .exit_code,
            0);
  // The remount repaired the catalog: no rebuild needed.
  CommandResult check = vt.vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check) << vt.log();

  write_text(dir.file("reconnect"), "");
  const CommandResult& r = sender.join();
  ASSERT_EQ(r.exit_code, 0) << describe(r) << vt.log();
  EXPECT_NE(r.err.find("reconnecting"), std::string::npos) << r.err;

  // The input once, closed by one filemark, cataloged.
  SimhContent whole = read_simh(image, dir.file("got.bin"));
  EXPECT_EQ(whole.record_sizes.size(), kAllRecords);
  EXPECT_EQ(whole.filemarks, 1u);
  EXPECT_EQ(run_command("cmp " + sq(input) + " " + sq(whole.data_file)).exit_code, 0);
  CommandResult verified = run_vtape("verify " + sq(image));
  EXPECT_EQ(verified.exit_code, 0) << describe(verified);
  CommandResult again = vt.vtape("index check");
  EXPECT_EQ(again.exit_code, 0) << describe(again) << vt.log();
  // Nothing left under a name of the library but what belongs there: no
  // temporary file of the stream or of the catalog's commit.
  for (const auto& e : std::filesystem::recursive_directory_iterator(vt.library())) {
    std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << e.path();
    EXPECT_EQ(name.find(".part"), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace vtape::testing
