#include "library/stream_sender.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <optional>
#include <thread>

#include <fmt/format.h>

namespace vtape {

StreamSender::StreamSender(StreamSenderOptions o) : o_(std::move(o)), digest_(DigestAlgorithm::kXxh3_128) {
  std::ifstream r("/dev/urandom", std::ios::binary);
  r.read(reinterpret_cast<char*>(id_.data()), static_cast<std::streamsize>(id_.size()));
}

StreamSender::~StreamSender() { disconnect(); }

Status StreamSender::add(StreamObject obj) {
  VTAPE_RETURN_IF_ERROR(wait_for_accept());
  if (obj.filemark) {
    ++sent_.filemarks;
    sent_.digests.push_back(digest_.hex_digest());
    open_file_ = false;
  } else {
    if (obj.data.size() > kStreamMaxRecord) {
      return Status::invalid_argument(fmt::format("a record of {} bytes is more than the stream carries ({})",
                                                  obj.data.size(), kStreamMaxRecord));
    }
    ++sent_.records;
    sent_.bytes += obj.data.size();
    digest_.update(obj.data);
    open_file_ = true;
  }
  window_bytes_ += obj.data.size() + kStreamFrameHeader;
  window_.push_back(std::move(obj));
  ++produced_;
  while (window_bytes_ > o_.window && error_.is_ok()) pump(true);
  // Keep the link busy without waiting.
  if (error_.is_ok()) pump(false);
  return error_;
}

Status StreamSender::wait_for_accept() {
  while (error_.is_ok() && !ever_accepted_) pump(true);
  return error_;
}

Status StreamSender::finish() {
  done_adding_ = true;
  if (open_file_) sent_.digests.push_back(digest_.hex_digest());
  open_file_ = false;
  while (error_.is_ok() && !have_summary_) pump(true);
  if (error_.is_ok()) hang_up();
  return error_;
}

Status StreamSender::wait_for_input(int fd, std::chrono::milliseconds most) {
  auto until = std::chrono::steady_clock::now() + most;
  bool ready = false;
  while (error_.is_ok() && !ready && std::chrono::steady_clock::now() < until) pump(true, fd, &ready);
  return error_;
}

Status StreamSender::wait_for_input(int fd) {
  bool ready = false;
  while (error_.is_ok() && !ready) pump(true, fd, &ready);
  return error_;
}

void StreamSender::disconnect() {
  if (to_ >= 0) ::close(to_);
  if (from_ >= 0) ::close(from_);
  to_ = from_ = -1;
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  out_.clear();
  out_pos_ = 0;
  parser_ = FrameParser();
  accepted_ = false;
  end_sent_ = false;
}

// The end of a stream that went well: the receiver sees the end of its
// input and ssh ends by itself (its remote side is not cut short).
void StreamSender::hang_up() {
  ::close(to_);
  to_ = -1;
  uint8_t buf[4096];
  while (from_ >= 0 && ::read(from_, buf, sizeof buf) > 0) {
  }
  if (from_ >= 0) ::close(from_);
  from_ = -1;
  if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Status StreamSender::connect() {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return Status::io_error("making the pipes to ssh", errno);
  if (::pipe2(out, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(in[0]);
    ::close(in[1]);
    return Status::io_error("making the pipes to ssh", e);
  }
  pid_ = ::fork();
  if (pid_ < 0) return Status::io_error("starting ssh", errno);
  if (pid_ == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::signal(SIGPIPE, SIG_DFL);  // the sender ignores it; ssh need not
    std::string script = "exec " + o_.ssh_command + " \"$@\"";
    ::execl("/bin/sh", "sh", "-c", script.c_str(), "sh", o_.host.c_str(), o_.receive_command.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  to_ = in[1];
  from_ = out[0];
  ::fcntl(to_, F_SETFL, O_NONBLOCK);
  // A MiB of room in the pipe to ssh: fewer wake-ups of both (when the
  // system allows it; nothing changes otherwise).
  (void)::fcntl(to_, F_SETPIPE_SZ, 1 << 20);
  StreamHello h;
  h.id = id_;
  h.volser = o_.volser;
  h.format = o_.format;
  h.overwrite = o_.overwrite;
  h.resume = ever_accepted_;
  h.block_size = o_.block_size;
  if (o_.prefix && !ever_accepted_ && !prefix_declined_) {
    h.version = kStreamPrefixVersion;
    h.overwrite = 3;
    h.prefix_objects = o_.prefix->objects;
    h.prefix_digest = o_.prefix->digest;
    h.prefix = o_.prefix->totals;
  }
  out_ = encode_hello(h);
  out_pos_ = 0;
  next_send_ = acked_;
  return Status::ok();
}

// A broken link: reconnect after the delay, or give up.
void StreamSender::broke(const std::string& why) {
  bool never_started = !ever_accepted_ && !accepted_;
  disconnect();
  if (never_started && !retry_refusal_) {
    // The first connection never got as far as the receiver (ssh refused
    // the key, no such host, no vtape there): trying again will not help.
    error_ = Status::invalid_argument(fmt::format("{} before the receiver answered (see the messages above)", why));
    return;
  }
  retry_refusal_ = false;
  if (o_.retries >= 0 && reconnections_ >= o_.retries) {
    error_ = Status::io_error(fmt::format("{}; gave up after {} reconnections ({} of {} objects acknowledged)", why,
                                          reconnections_, acked_, produced_), EPIPE);
    return;
  }
  ++reconnections_;
  // What a reconnection can resume from: everything not yet acknowledged
  // is still here (at most the window), so no break loses a record.
  if (o_.on_break) {
    o_.on_break(StreamBreak{why, acked_, produced_ - acked_, window_bytes_, o_.retry_delay, reconnections_,
                            o_.retries});
  }
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(o_.retry_delay);
  while (std::chrono::steady_clock::now() < until && !cancelled()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool StreamSender::cancelled() {
  if (o_.cancel == nullptr || !o_.cancel->load()) return false;
  if (error_.is_ok()) error_ = Status::io_error("cancelled", ECANCELED);
  return true;
}

// Fills out_ with the next frames to send, if any: as many as fit in
// kBatchBytes (at least one), so that small records reach ssh a batch per
// write(2) instead of one each (a write and a wake-up of ssh per 10 KiB
// record was most of the sender's cost).
void StreamSender::next_frame() {
  constexpr size_t kBatchBytes = 256u << 10;
  if (out_pos_ < out_.size() || !accepted_) return;
  out_.clear();
  out_pos_ = 0;
  while (next_send_ < produced_ && out_.size() < kBatchBytes) {
    const StreamObject& obj = window_[static_cast<size_t>(next_send_ - window_first_)];
    std::vector<uint8_t> header =
        obj.filemark ? encode_filemark() : encode_record_header(static_cast<uint32_t>(obj.data.size()));
    out_.insert(out_.end(), header.begin(), header.end());
    if (!obj.filemark) out_.insert(out_.end(), obj.data.begin(), obj.data.end());
    ++next_send_;
  }
  if (next_send_ == produced_ && done_adding_ && !end_sent_) {
    std::vector<uint8_t> end = encode_end(sent_);
    out_.insert(out_.end(), end.begin(), end.end());
    end_sent_ = true;
  }
}

std::vector<uint8_t> StreamSender::spare_buffer() {
  if (spare_.empty()) return {};
  std::vector<uint8_t> b = std::move(spare_.back());
  spare_.pop_back();
  b.clear();
  return b;
}

void StreamSender::drop_acknowledged(uint64_t upto) {
  // A few buffers are kept for spare_buffer(); the rest are freed.
  constexpr size_t kSpareBuffers = 64;
  while (window_first_ < upto && !window_.empty()) {
    window_bytes_ -= window_.front().data.size() + kStreamFrameHeader;
    if (spare_.size() < kSpareBuffers && window_.front().data.capacity() > 0) {
      spare_.push_back(std::move(window_.front().data));
    }
    window_.pop_front();
    ++window_first_;
  }
  acked_ = std::max(acked_, upto);
}

void StreamSender::on_frame(const Frame& f) {
  switch (static_cast<FrameType>(f.type)) {
    case FrameType::kAccept: {
      StreamAccept a;
      if (Status s = decode_accept(f.payload, &a); !s.is_ok()) {
        error_ = Status::io_error("the receiver's ACCEPT: " + s.message(), EPROTO);
        return;
      }
      if (!ever_accepted_ && o_.prefix && !prefix_declined_ && a.resume_from != 0 &&
          a.resume_from == o_.prefix->objects && a.digest == o_.prefix->digest) {
        // The receiver holds the prefix: the stream goes on after it, and
        // its totals are part of this stream's.
        kept_prefix_ = true;
        produced_ = acked_ = window_first_ = next_send_ = a.resume_from;
        sent_ = o_.prefix->totals;
      }
      if (a.resume_from < acked_ || a.resume_from > produced_) {
        error_ = Status::io_error(fmt::format("the receiver holds {} objects of the stream, but {} were acknowledged "
                                              "and {} sent: cannot resume", a.resume_from, acked_, produced_), EPROTO);
        return;
      }
      if (!ever_accepted_) {
        // The receiving library's algorithm; nothing was digested yet.
        std::optional<DigestAlgorithm> algorithm =
            a.digest.empty() ? DigestAlgorithm::kXxh3_128 : parse_digest_name(a.digest);
        if (!algorithm) {
          error_ = Status::io_error(fmt::format("the receiver's library uses the digest '{}', which this vtape does "
                                                "not know", a.digest), EPROTO);
          return;
        }
        digest_ = Digest(*algorithm);
      }
      drop_acknowledged(a.resume_from);
      next_send_ = a.resume_from;
      accepted_ = ever_accepted_ = true;
      return;
    }
    case FrameType::kAck: {
      uint64_t n = 0;
      if (!decode_ack(f.payload, &n).is_ok() || n > next_send_ || n < acked_) {
        error_ = Status::io_error("the receiver acknowledged objects it was not sent", EPROTO);
        return;
      }
      drop_acknowledged(n);
      return;
    }
    case FrameType::kSummary:
      if (Status s = decode_totals(f.payload, &received_); !s.is_ok()) {
        error_ = Status::io_error("the receiver's SUMMARY: " + s.message(), EPROTO);
        return;
      }
      have_summary_ = true;
      return;
    case FrameType::kError: {
      bool retry = false;
      std::string m = decode_error(f.payload, &retry);
      if (!retry && !ever_accepted_ && o_.prefix && !prefix_declined_) {
        // Maybe a receiver of version 2, which knows no prefix: once more
        // with a HELLO it knows (the stream then writes from BOT).
        prefix_declined_ = true;
        retry_refusal_ = true;
        broke("the receiver refused the HELLO with a prefix: " + m);
      } else if (retry) {
        retry_refusal_ = true;
        broke("the receiver says: " + m);
      } else {
        // The receiver's words say what happened; strerror(EPROTO) after
        // them ("Protocol error") would only mislead.
        error_ = Status::io_error_described(
            fmt::format("the receiver refused after {} objects acknowledged: {}", acked_, m), EPROTO);
      }
      return;
    }
    default:
      error_ = Status::io_error(fmt::format("the receiver sent a '{}' frame", static_cast<char>(f.type)), EPROTO);
  }
}

// Moves bytes both ways; waits for something to happen when `wait`, or
// for `input` (when given) to have something to read: *input_ready.
void StreamSender::pump(bool wait, int input, bool* input_ready) {
  if (cancelled()) return;
  if (to_ < 0 && from_ < 0) {
    if (Status s = connect(); !s.is_ok()) {
      error_ = s;
      return;
    }
  }
  next_frame();
  pollfd p[3] = {{from_, POLLIN, 0},
                 {to_, static_cast<short>(out_pos_ < out_.size() ? POLLOUT : 0), 0},
                 {input, POLLIN, 0}};
  int r = ::poll(p, input >= 0 ? 3 : 2, wait ? 1000 : 0);
  if (r < 0 && errno != EINTR) {
    error_ = Status::io_error("poll", errno);
    return;
  }
  if (input_ready != nullptr) *input_ready = input >= 0 && p[2].revents != 0;
  if (p[0].revents != 0) {
    uint8_t buf[65536];
    ssize_t n = ::read(from_, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) return broke("the connection to the receiver broke");
    size_t pos = 0;
    while (pos < static_cast<size_t>(n) && error_.is_ok() && to_ >= 0) {
      pos += parser_.feed(std::span<const uint8_t>(buf + pos, static_cast<size_t>(n) - pos));
      if (!parser_.error().is_ok()) {
        error_ = Status::io_error("the receiver's replies: at byte " + parser_.error().message(), EPROTO);
        return;
      }
      Frame f;
      while (to_ >= 0 && error_.is_ok() && parser_.take(&f)) on_frame(f);
    }
  }
  if (to_ >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
    while (out_pos_ < out_.size()) {
      ssize_t w = ::write(to_, out_.data() + out_pos_, out_.size() - out_pos_);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) break;
      if (w <= 0) return broke("the connection to the receiver broke");
      out_pos_ += static_cast<size_t>(w);
      if (out_pos_ == out_.size()) next_frame();
    }
  }
}

}  // namespace vtape
