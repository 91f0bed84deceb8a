// vtape send: a stream of records and filemarks to a cartridge of a
// remote library over ssh (issue 18).  It starts `ssh HOST vtape receive`
// and speaks the stream protocol (library/stream_protocol.h,
// man/vtape-stream.5) on that pipe: a window of unacknowledged objects in
// flight keeps the link full while memory stays bounded; after a broken
// connection it reconnects with the same stream id and resumes after what
// the receiver holds; at the end it compares both sides' totals and each
// tape file's digest.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "index/digest.h"
#include "library/stream_protocol.h"
#include "tapeformat/base/json_writer.h"
#include "tapeformat/tape_image.h"
#include "tools/command_spec.h"
#include "tools/progress.h"

namespace vtape {
namespace {

constexpr const char* kHelp =
    "Sends SOURCE to the cartridge VOLSER of the library on HOST, over ssh:\n"
    "  tar -c /data | vtape send - backup@host:MIG001\n"
    "SOURCE is - (standard input, cut into records of --block-size), a tape image\n"
    "file, or a cartridge or tape file of the local library (VOL001, VOL001/2).\n"
    "Options:\n"
    "  --ssh-command CMD      how to reach HOST (default ssh; as rsync -e)\n"
    "  --receive-command CMD  what runs there (default: vtape receive)\n"
    "  --block-size N         record size for standard input (default 10240)\n"
    "  --format FMT           of the remote cartridge when it is made\n"
    "  --overwrite MODE       never (default), always or append\n"
    "  --retries N            reconnections after a broken link (default 5)\n"
    "  --retry-delay SECONDS  between them (default 5)\n"
    "  --window MIB           unacknowledged data in flight (default 64)\n"
    "  --json                 the summary as JSON\n"
    "See vtape-send(1) and vtape-stream(5).\n";

struct StreamObject {
  bool filemark = false;
  std::vector<uint8_t> data;
};

struct SendOptions {
  std::string host;
  std::string volser;
  std::string ssh_command = "ssh";
  std::string receive_command = "vtape receive";
  std::string format;
  uint8_t overwrite = 0;
  uint32_t block_size = 10240;
  int retries = 5;
  double retry_delay = 5;
  uint64_t window = 64u << 20;
};

class Sender {
 public:
  explicit Sender(SendOptions o) : o_(std::move(o)), digest_(DigestAlgorithm::kXxh3_128) {
    std::ifstream r("/dev/urandom", std::ios::binary);
    r.read(reinterpret_cast<char*>(id_.data()), static_cast<std::streamsize>(id_.size()));
  }
  ~Sender() { disconnect(); }

  const StreamTotals& sent() const { return sent_; }
  const StreamTotals& received() const { return received_; }
  int reconnections() const { return reconnections_; }
  const StreamId& id() const { return id_; }
  uint64_t bytes_sent() const { return sent_.bytes; }

  // One more object of the stream: kept in the window until acknowledged.
  Status add(StreamObject obj) {
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

  // Everything sent, END, and the receiver's SUMMARY.
  Status finish() {
    if (open_file_) sent_.digests.push_back(digest_.hex_digest());
    while (error_.is_ok() && !have_summary_) pump(true);
    if (error_.is_ok()) hang_up();
    return error_;
  }

 private:
  void disconnect() {
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
  void hang_up() {
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

  Status connect() {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
      return Status::io_error("making the pipes to ssh", errno);
    }
    pid_ = ::fork();
    if (pid_ < 0) return Status::io_error("starting ssh", errno);
    if (pid_ == 0) {
      ::dup2(in[0], STDIN_FILENO);
      ::dup2(out[1], STDOUT_FILENO);
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
    StreamHello h;
    h.id = id_;
    h.volser = o_.volser;
    h.format = o_.format;
    h.overwrite = o_.overwrite;
    h.resume = ever_accepted_;
    h.block_size = o_.block_size;
    out_ = encode_hello(h);
    out_pos_ = 0;
    next_send_ = acked_;
    return Status::ok();
  }

  // A broken link: reconnect after the delay, or give up.
  void broke(const std::string& why) {
    bool never_started = !ever_accepted_ && !accepted_;
    disconnect();
    if (never_started && !retry_refusal_) {
      // The first connection never got as far as the receiver (ssh refused
      // the key, no such host, no vtape there): trying again will not help.
      error_ = Status::invalid_argument(fmt::format("{} before the receiver answered (see the messages above)", why));
      return;
    }
    retry_refusal_ = false;
    if (reconnections_ >= o_.retries) {
      error_ = Status::io_error(fmt::format("{}; gave up after {} reconnections ({} of {} objects acknowledged)", why,
                                            reconnections_, acked_, produced_), EPIPE);
      return;
    }
    ++reconnections_;
    // What a reconnection can resume from: everything not yet acknowledged
    // is still here (at most --window), so no break loses a record.
    fmt::print(stderr, "vtape send: {}; {} objects acknowledged, the next {} ({}) kept to send again; "
               "reconnecting in {}s ({} of {})\n", why, acked_, produced_ - acked_, human_bytes(window_bytes_),
               o_.retry_delay, reconnections_, o_.retries);
    std::this_thread::sleep_for(std::chrono::duration<double>(o_.retry_delay));
  }

  // Fills out_ with the next frame to send, if any.
  void next_frame() {
    if (out_pos_ < out_.size() || !accepted_) return;
    out_.clear();
    out_pos_ = 0;
    if (next_send_ < produced_) {
      const StreamObject& obj = window_[static_cast<size_t>(next_send_ - window_first_)];
      if (obj.filemark) {
        out_ = encode_filemark();
      } else {
        out_ = encode_record_header(static_cast<uint32_t>(obj.data.size()));
        out_.insert(out_.end(), obj.data.begin(), obj.data.end());
      }
      ++next_send_;
    } else if (finishing() && !end_sent_) {
      StreamTotals t = sent_;
      out_ = encode_end(t);
      end_sent_ = true;
    }
  }
  bool finishing() const { return done_adding_; }

  void drop_acknowledged(uint64_t upto) {
    while (window_first_ < upto && !window_.empty()) {
      window_bytes_ -= window_.front().data.size() + kStreamFrameHeader;
      window_.pop_front();
      ++window_first_;
    }
    acked_ = std::max(acked_, upto);
  }

  void on_frame(const Frame& f) {
    switch (static_cast<FrameType>(f.type)) {
      case FrameType::kAccept: {
        StreamAccept a;
        if (Status s = decode_accept(f.payload, &a); !s.is_ok()) {
          error_ = Status::io_error("the receiver's ACCEPT: " + s.message(), EPROTO);
          return;
        }
        if (a.resume_from < acked_ || a.resume_from > produced_) {
          error_ = Status::io_error(fmt::format("the receiver holds {} objects of the stream, but {} were acknowledged "
                                                "and {} sent: cannot resume", a.resume_from, acked_, produced_), EPROTO);
          return;
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
        if (retry) {
          retry_refusal_ = true;
          broke("the receiver says: " + m);
        } else {
          error_ = Status::io_error("the receiver refused: " + m, EPROTO);
        }
        return;
      }
      default:
        error_ = Status::io_error(fmt::format("the receiver sent a '{}' frame", static_cast<char>(f.type)), EPROTO);
    }
  }

  // Moves bytes both ways; waits for something to happen when `wait`, or
  // for `input` (when given) to have something to read: *input_ready.
  void pump(bool wait, int input = -1, bool* input_ready = nullptr) {
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

 public:
  void done_adding() { done_adding_ = true; }
  // Keeps the link moving (what was read goes out, acknowledgements come
  // in) until `fd` has something to read: input that pauses must not hold
  // back what it already gave, which a reader on the other side (receive
  // --to-drive) is waiting for.
  Status wait_for_input(int fd) {
    bool ready = false;
    while (error_.is_ok() && !ready) pump(true, fd, &ready);
    return error_;
  }

 private:
  SendOptions o_;
  StreamId id_{};
  Digest digest_;
  StreamTotals sent_;
  StreamTotals received_;
  bool open_file_ = false;
  bool done_adding_ = false;
  std::deque<StreamObject> window_;
  uint64_t window_first_ = 0;  // stream number of window_.front()
  uint64_t window_bytes_ = 0;
  uint64_t produced_ = 0;
  uint64_t next_send_ = 0;
  uint64_t acked_ = 0;
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  std::vector<uint8_t> out_;
  size_t out_pos_ = 0;
  FrameParser parser_;
  bool accepted_ = false;
  bool ever_accepted_ = false;
  bool end_sent_ = false;
  bool have_summary_ = false;
  bool retry_refusal_ = false;  // the receiver asked to be tried again
  int reconnections_ = 0;
  Status error_;
};

// Standard input cut into records of `block_size` (the last may be shorter).
Status send_stdin(Sender& s, uint32_t block_size, Progress& progress) {
  uint64_t total = 0;
  for (;;) {
    StreamObject obj;
    obj.data.resize(block_size);
    size_t have = 0;
    while (have < block_size) {
      VTAPE_RETURN_IF_ERROR(s.wait_for_input(STDIN_FILENO));
      ssize_t n = ::read(STDIN_FILENO, obj.data.data() + have, block_size - have);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::io_error("reading standard input", errno);
      if (n == 0) break;
      have += static_cast<size_t>(n);
    }
    if (have == 0) return Status::ok();
    obj.data.resize(have);
    total += have;
    VTAPE_RETURN_IF_ERROR(s.add(std::move(obj)));
    progress.update(total);
    if (have < block_size) return Status::ok();
  }
}

// The records and filemarks of an image, all of them or tape file `only`
// (its records and the filemark that ends it).
Status send_image(Sender& s, const std::string& path, std::optional<uint64_t> only, Progress& progress) {
  std::unique_ptr<TapeImage> image;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(path, OpenOptions{}, &image));
  uint64_t file = 0;
  for (;;) {
    TapeObject obj;
    std::vector<uint8_t> data;
    Status st = image->read(&obj, &data);
    if (!st.is_ok()) return Status::io_error(image->describe(st), EIO);
    if (obj.kind == ObjectKind::kEndOfData) break;
    bool wanted = !only || *only == file;
    if (obj.kind == ObjectKind::kFilemark) {
      if (wanted) VTAPE_RETURN_IF_ERROR(s.add(StreamObject{true, {}}));
      if (only && *only == file) break;
      ++file;
    } else if (obj.kind == ObjectKind::kRecord && wanted) {
      VTAPE_RETURN_IF_ERROR(s.add(StreamObject{false, std::move(data)}));
    }
    progress.update(obj.offset + obj.stored_size);
  }
  if (only && file < *only) return Status::not_found(fmt::format("{} has no tape file {}", path, *only));
  return Status::ok();
}

void print_totals(const char* who, const StreamTotals& t) {
  fmt::print("{}: {} records, {} filemarks, {} bytes, {} tape files\n", who, t.records, t.filemarks, t.bytes,
             t.digests.size());
}

std::string check(const CommandLine& cl) {
  auto ow = cl.value("--overwrite");
  if (ow && *ow != "never" && *ow != "always" && *ow != "append") {
    return fmt::format("--overwrite {}: never, always or append", *ow);
  }
  const std::string& dest = cl.positional()[1];
  size_t colon = dest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == dest.size()) {
    return fmt::format("'{}': the destination is [USER@]HOST:VOLSER", dest);
  }
  return "";
}

void add_json_totals(JsonWriter& j, const char* key, const StreamTotals& t) {
  j.key(key).begin_object();
  j.field("records", t.records).field("filemarks", t.filemarks).field("bytes", t.bytes);
  j.key("digests").begin_array();
  for (const auto& d : t.digests) j.value(d);
  j.end_array().end_object();
}

int run(CommandContext& ctx) {
  SendOptions o;
  const std::string& source = ctx.positional()[0];
  const std::string& dest = ctx.positional()[1];
  size_t colon = dest.rfind(':');
  o.host = dest.substr(0, colon);
  o.volser = dest.substr(colon + 1);
  if (auto v = ctx.cl.value("--ssh-command")) o.ssh_command = *v;
  if (auto v = ctx.cl.value("--receive-command")) o.receive_command = *v;
  if (auto v = ctx.cl.value("--format")) o.format = *v;
  if (auto v = ctx.cl.value("--overwrite")) o.overwrite = *v == "always" ? 1 : *v == "append" ? 2 : 0;
  try {
    if (auto v = ctx.cl.value("--block-size")) o.block_size = static_cast<uint32_t>(std::stoul(*v));
    if (auto v = ctx.cl.value("--retries")) o.retries = std::stoi(*v);
    if (auto v = ctx.cl.value("--retry-delay")) o.retry_delay = std::stod(*v);
    if (auto v = ctx.cl.value("--window")) o.window = std::stoull(*v) << 20;
  } catch (const std::exception&) {
    return ctx.usage_error("--block-size, --retries, --retry-delay and --window take numbers");
  }
  if (o.block_size == 0 || o.block_size > kStreamMaxRecord) {
    return ctx.usage_error(fmt::format("--block-size: 1 to {}", kStreamMaxRecord));
  }
  ::signal(SIGPIPE, SIG_IGN);

  // What SOURCE is: -, an image file, or VOLSER[/FILE] of the local library.
  std::string image;
  std::optional<uint64_t> only;
  struct stat st {};
  if (source != "-" && ::stat(source.c_str(), &st) == 0) {
    image = source;
  } else if (source != "-") {
    size_t slash = source.find('/');
    std::string vol = source.substr(0, slash);
    std::optional<std::string> v = normalize_volser(vol);
    if (!v) return ctx.failure(fmt::format("{}: no such file, and no volume serial", source));
    if (slash != std::string::npos) {
      try {
        only = std::stoull(source.substr(slash + 1));
      } catch (const std::exception&) {
        return ctx.failure(fmt::format("{}: expected VOLSER/FILE with a tape file number", source));
      }
    }
    std::unique_ptr<TapeLibrary> lib;
    Cartridge c;
    Status s = TapeLibrary::open(ctx.library_dir(), false, &lib);
    if (s.is_ok()) s = lib->find(*v, &c);
    if (!s.is_ok()) return ctx.failure(fmt::format("{}: {}", source, s.message()));
    image = c.image_path;
    ::stat(image.c_str(), &st);
  }

  Sender sender(o);
  Progress progress("sending", image.empty() ? 0 : static_cast<uint64_t>(st.st_size));
  Status s = image.empty() ? send_stdin(sender, o.block_size, progress) : send_image(sender, image, only, progress);
  sender.done_adding();
  if (s.is_ok()) s = sender.finish();
  progress.finish();
  if (!s.is_ok()) return ctx.failure(fmt::format("{} to {}: {}", source, dest, s.message()));
  const StreamTotals& a = sender.sent();
  const StreamTotals& b = sender.received();
  bool same = a.records == b.records && a.bytes == b.bytes && filemarks_on_tape(a) == b.filemarks &&
              a.digests == b.digests;
  if (ctx.json) {
    JsonWriter j;
    j.begin_object().field("source", source).field("destination", dest).field("stream", stream_id_hex(sender.id()));
    add_json_totals(j, "sent", a);
    add_json_totals(j, "received", b);
    j.field("reconnections", static_cast<uint64_t>(sender.reconnections())).field("identical", same).end_object();
    fmt::print("{}\n", j.str());
  } else {
    print_totals("sent", a);
    print_totals("received", b);
    for (size_t i = 0; i < std::max(a.digests.size(), b.digests.size()); ++i) {
      std::string x = i < a.digests.size() ? a.digests[i] : "-";
      std::string y = i < b.digests.size() ? b.digests[i] : "-";
      fmt::print("tape file {}: {} {}{}\n", i, x, y, x == y ? "" : "  DIFFERENT");
    }
    if (sender.reconnections() > 0) fmt::print("reconnections: {}\n", sender.reconnections());
  }
  if (!same) return ctx.failure(fmt::format("{} does not hold what was sent (see above)", dest));
  return kExitOk;
}

}  // namespace

const CommandSpec kSendCommand{
    .name = "send",
    .summary = "send standard input, an image or a cartridge to a remote library over ssh",
    .usage = "vtape send [options] SOURCE [USER@]HOST:VOLSER",
    .help = kHelp,
    .flags = {"--json"},
    .options = {"--library", "--ssh-command", "--receive-command", "--block-size", "--format", "--overwrite",
                "--retries", "--retry-delay", "--window"},
    .min_positional = 2,
    .max_positional = 2,
    .positional_error = "takes SOURCE and [USER@]HOST:VOLSER",
    .opens = Opens::kNothing,
    .check = check,
    .run = run,
};

}  // namespace vtape
