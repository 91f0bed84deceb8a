// kill -9 of either end of vtape send | vtape receive mid-way, through a
// real sshd (issue 20): what the receiving library holds afterwards is a
// whole prefix of the stream (vtape verify is clean; vtape index check is
// clean, repairing what the killed writer left), and the stream still completes: the sender's reconnection after
// a killed receiver, or a new vtape send after a killed sender.
//
// The moment is deterministic: the sender's standard input stops after
// kFirstRecords records until the test lets it go on, and the kill comes
// once the receiver has written all of them.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
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

class StreamKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    remote_ = std::make_unique<RemoteLibrary>();
    ASSERT_TRUE(remote_->ok()) << remote_->error();
    input_ = dir_.file("input.bin");
    write_file_bytes(input_, pattern_bytes(kAllRecords * kBlock, 20));
  }
  std::string image(const std::string& volser) const { return remote_->library() + "/cartridges/" + volser + ".tap"; }
  // The receive command, which first leaves its pid in receiver.pid.
  std::string receive_command() const {
    return "echo $$ >" + sq(dir_.file("receiver.pid")) + "; exec " + remote_->receive_command();
  }
  // vtape send of the pausing input to `volser`, as a shell command line.
  std::string send_command(const std::string& volser, const std::string& ssh, const std::string& extra) const {
    return "python3 -c " + sq(kPausingCat) + " " + sq(input_) + " " + std::to_string(kFirstRecords * kBlock) + " " +
           sq(dir_.file("go-on")) + " | " + sq(VTAPE_BINARY) + " send - 127.0.0.1:" + volser + " --ssh-command " +
           sq(ssh) + " --receive-command " + sq(receive_command()) + " " + extra;
  }
  bool first_records_written(const std::string& volser) const {
    return file_size(image(volser)) >= kFirstRecords * kSimhRecordBytes;
  }
  // The receiving side holds a whole prefix: the image verifies, its
  // records are the input's first ones, and (`catalog_too`) the catalog
  // agrees.
  void expect_whole_prefix(const std::string& volser, size_t at_least_records, bool catalog_too) {
    CommandResult v = run_vtape("verify " + sq(image(volser)));
    EXPECT_EQ(v.exit_code, 0) << describe(v);
    if (catalog_too) {
      CommandResult check = run_vtape("index check --library " + sq(remote_->library()));
      EXPECT_EQ(check.exit_code, 0) << describe(check);
    }
    SimhContent c = read_simh(image(volser), dir_.file("prefix.bin"));
    EXPECT_GE(c.record_sizes.size(), at_least_records);
    for (size_t size : c.record_sizes) ASSERT_EQ(size, kBlock);
    EXPECT_EQ(run_command("cmp -n " + std::to_string(c.record_sizes.size() * kBlock) + " " + sq(input_) + " " +
                          sq(c.data_file))
                  .exit_code,
              0);
  }
  // The whole input arrived once, closed by one filemark.
  void expect_whole_stream(const std::string& volser) {
    SimhContent c = read_simh(image(volser), dir_.file("got.bin"));
    EXPECT_EQ(c.record_sizes.size(), kAllRecords);
    EXPECT_EQ(c.filemarks, 1u);
    EXPECT_EQ(run_command("cmp " + sq(input_) + " " + sq(c.data_file)).exit_code, 0);
    CommandResult v = run_vtape("verify " + sq(image(volser)));
    EXPECT_EQ(v.exit_code, 0) << describe(v);
    CommandResult check = run_vtape("index check --library " + sq(remote_->library()));
    EXPECT_EQ(check.exit_code, 0) << describe(check);
  }

  TempDir dir_;
  std::unique_ptr<RemoteLibrary> remote_;
  std::string input_;
};

TEST_F(StreamKillTest, AReceiverKilledMidwayLeavesAWholePrefixAndTheSenderResumes) {
  // The second connection (the sender's reconnection) waits until the test
  // has looked at what the killed receiver left.
  std::string count = dir_.file("connections");
  std::string gated = dir_.file("gated-ssh.sh");
  write_gated_ssh(gated, count, dir_.file("reconnect"), remote_->ssh());
  Background sender(send_command("MIGK01", gated, "--retries 3 --retry-delay 0.2 --window 8"));
  ASSERT_TRUE(wait_for([&] { return first_records_written("MIGK01"); })) << "the receiver wrote nothing";
  long pid = std::stol(read_text(dir_.file("receiver.pid")));
  ASSERT_GT(pid, 1);
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  // Until the library's lock is free again, the receiver is not gone.
  ASSERT_TRUE(wait_for([&] { return ::kill(static_cast<pid_t>(pid), 0) != 0; }));
  ASSERT_TRUE(wait_for([&] { return file_size(count) > 0 && read_text(count) == "2\n"; }))
      << "the sender did not reconnect";

  // A receiver killed inside a tape file leaves the volume write-pending:
  // vtape index check makes the repair a mount would (catalogs the image)
  // and is clean, without a reopen of the cartridge.
  expect_whole_prefix("MIGK01", kFirstRecords, /*catalog_too=*/true);

  write_text(dir_.file("reconnect"), "");
  write_text(dir_.file("go-on"), "");
  const CommandResult& r = sender.join();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("reconnecting"), std::string::npos) << r.err;
  expect_whole_stream("MIGK01");
}

TEST_F(StreamKillTest, ASenderKilledMidwayLeavesAWholePrefixAndANewSendCompletes) {
  std::string pidfile = dir_.file("sender.pid");
  Background sender("sh -c " +
                    sq("echo $$ >" + sq(pidfile) + "; " + send_command("MIGK02", remote_->ssh(), "--retries 0")));
  ASSERT_TRUE(wait_for([&] { return first_records_written("MIGK02"); })) << "the receiver wrote nothing";
  ASSERT_TRUE(wait_for([&] { return file_size(pidfile) > 0; }));
  // The pipeline's shell: kill -9 of its vtape send, its child.
  long shell = std::stol(read_text(pidfile));
  CommandResult pid = run_command("pgrep -P " + std::to_string(shell) + " -x vtape");
  ASSERT_EQ(pid.exit_code, 0) << describe(pid);
  long send_pid = std::stol(pid.out);
  ASSERT_EQ(::kill(static_cast<pid_t>(send_pid), SIGKILL), 0);
  write_text(dir_.file("go-on"), "");
  sender.join();
  // The receiver sees its input end, syncs and exits.
  long receiver = std::stol(read_text(dir_.file("receiver.pid")));
  ASSERT_TRUE(wait_for([&] { return ::kill(static_cast<pid_t>(receiver), 0) != 0; })) << "the receiver stayed";

  expect_whole_prefix("MIGK02", kFirstRecords, /*catalog_too=*/true);

  // A new stream from the start replaces what the killed one left.
  CommandResult again = run_command(send_command("MIGK02", remote_->ssh(), "--overwrite always"));
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  expect_whole_stream("MIGK02");
}

}  // namespace
}  // namespace vtape::testing
