// vtape receive reads its standard input on a thread of its own
// (tools/read_ahead.h): while its writing waits (a sync before an
// acknowledgement, here a vtapefs that is stopped), it goes on taking the
// stream from the pipe, so that ssh and the sender are not held up by the
// disk (issue 18's figure).  The deterministic handle: the vtapefs the
// receiver writes through is stopped with SIGSTOP, so every write of the
// receiver waits until the test lets it go on.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "library/stream_protocol.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

constexpr size_t kRecord = 10240;
// 8 MB of records: several times what the pipe (1 MiB) and the socket to
// the daemon hold, and less than the receiver reads ahead (32 MiB).  Fewer
// than 1024 records and 8 MiB, so the acknowledgement of them all comes
// from the pause after them.
constexpr uint64_t kRecords = 800;
// Far beyond need, for a loaded CI machine.
constexpr double kBoundSeconds = 60;

// `vtape receive` with its standard input and output on pipes to the test;
// killed and reaped by the destructor if it is still running.
class ReceiverProcess {
 public:
  explicit ReceiverProcess(const std::string& library) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in[0], STDIN_FILENO);
      ::dup2(out[1], STDOUT_FILENO);
      ::execl(VTAPE_BINARY, VTAPE_BINARY, "receive", "--library", library.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
  }
  ~ReceiverProcess() {
    close_input();
    if (from_ >= 0) ::close(from_);
    if (pid_ > 0 && !exit_status_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool ok() const { return pid_ > 0 && to_ >= 0; }

  // Writes all of `bytes`, giving up after kBoundSeconds: false when the
  // receiver did not take them.
  bool write(const std::vector<uint8_t>& bytes) {
    ::fcntl(to_, F_SETFL, ::fcntl(to_, F_GETFL) | O_NONBLOCK);
    auto start = std::chrono::steady_clock::now();
    size_t at = 0;
    while (at < bytes.size() && seconds_since(start) < kBoundSeconds) {
      pollfd p{to_, POLLOUT, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::write(to_, bytes.data() + at, bytes.size() - at);
      if (n > 0) at += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    }
    return at == bytes.size();
  }
  // The next frame from the receiver, or nullopt at its end (or after
  // kBoundSeconds).
  std::optional<Frame> read_frame() {
    auto start = std::chrono::steady_clock::now();
    Frame f;
    while (!parser_.take(&f)) {
      if (seconds_since(start) >= kBoundSeconds || !parser_.error().is_ok()) return std::nullopt;
      if (!pending_.empty()) {
        // The parser stops after each whole frame: the rest waits here.
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(parser_.feed(pending_)));
        continue;
      }
      pollfd p{from_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      uint8_t buf[4096];
      ssize_t n = ::read(from_, buf, sizeof buf);
      if (n == 0) return std::nullopt;
      if (n > 0) pending_.assign(buf, buf + n);
    }
    return f;
  }
  void close_input() {
    if (to_ >= 0) ::close(to_);
    to_ = -1;
  }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return *exit_status_;
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  FrameParser parser_;
  std::vector<uint8_t> pending_;  // read from the receiver, not yet fed to parser_
  std::optional<int> exit_status_;
};

// The daemon stopped until the test, or the end of the test, lets it go on.
class StoppedDaemon {
 public:
  explicit StoppedDaemon(pid_t pid) : pid_(pid) { stopped_ = ::kill(pid_, SIGSTOP) == 0 && all_threads_stopped(pid_); }
  ~StoppedDaemon() { go_on(); }
  bool stopped() const { return stopped_; }
  void go_on() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_;
  bool stopped_ = false;
};

std::vector<uint8_t> records(uint64_t count) {
  std::vector<uint8_t> out;
  for (uint64_t i = 0; i < count; ++i) {
    std::vector<uint8_t> header = encode_record_header(kRecord);
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), kRecord, static_cast<uint8_t>(i));
  }
  return out;
}

TEST(StreamReadAhead, TheReceiverGoesOnReadingTheStreamWhileItsWritingWaits) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  ReceiverProcess receiver(vt.library());
  ASSERT_TRUE(receiver.ok());
  StreamHello hello;
  hello.volser = "AHEAD1";
  hello.id[0] = 18;
  hello.block_size = kRecord;
  ASSERT_TRUE(receiver.write(encode_hello(hello)));
  std::optional<Frame> accept = receiver.read_frame();
  ASSERT_TRUE(accept && accept->type == static_cast<uint8_t>(FrameType::kAccept)) << vt.log();

  // Every write of the receiver goes through the daemon (it serves the
  // library): stopped, it holds the receiver's writing.
  StoppedDaemon stopped(vt.pid());
  ASSERT_TRUE(stopped.stopped()) << "the daemon did not stop";
  ASSERT_TRUE(receiver.write(records(kRecords)))
      << "vtape receive stopped reading its standard input while its writing waited";
  stopped.go_on();

  // Nothing read ahead is lost: every record is acknowledged once synced.
  uint64_t acked = 0;
  while (acked < kRecords) {
    std::optional<Frame> f = receiver.read_frame();
    ASSERT_TRUE(f.has_value()) << "acknowledged " << acked << " of " << kRecords << "; " << vt.log();
    ASSERT_EQ(f->type, static_cast<uint8_t>(FrameType::kAck));
    ASSERT_TRUE(decode_ack(f->payload, &acked).is_ok());
  }
  EXPECT_EQ(acked, kRecords);
  receiver.close_input();
  EXPECT_EQ(receiver.wait(), 1) << "a sender gone before END is a broken stream";
}

}  // namespace
}  // namespace vtape::testing
