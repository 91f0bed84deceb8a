// vtape receive: the receiving end of `vtape send` (issue 18), on standard
// input and output, started by ssh (or as the forced command of a key).  It
// reads the stream protocol (library/stream_protocol.h, man/vtape-stream.5),
// writes the records and filemarks onto a cartridge of the library through
// a StreamTarget, and acknowledges only what is on stable storage.
//
// Everything it reads is untrusted: the volume serial goes through
// normalize_volser and --allow before anything is opened, every frame's
// length is checked before it is read, and each refusal is an ERROR frame
// and a line on stderr (the only lines there unless --debug: through ssh
// they reach the sender's terminal).  A connection that breaks leaves the
// tape synced with no filemark added, and a state file in the library
// (receive-VOLSER.state: the stream's id and where it started on the tape)
// lets the same stream resume after what the tape durably holds.  The
// state of a stream that ended is kept, marked complete, until another
// stream writes the cartridge: a sender whose link broke between END and
// SUMMARY resumes and is given the summary again.

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/statvfs.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "index/digest.h"
#include "library/catalog_sync.h"
#include "library/daemon_log.h"
#include "library/stream_protocol.h"
#include "tools/command_spec.h"
#include "tools/open_stream_target.h"
#include "tools/read_ahead.h"

namespace vtape {
namespace {

constexpr const char* kHelp =
    "Receives a stream from 'vtape send' on standard input (replies on standard\n"
    "output) and writes it onto a cartridge of the library: started by ssh, or as\n"
    "the forced command of a key in authorized_keys:\n"
    "  command=\"vtape receive --library /srv/tapes --allow 'MIG*'\" ssh-ed25519 ...\n"
    "Options:\n"
    "  --allow PATTERN   only volume serials matching PATTERN (fnmatch; may be repeated)\n"
    "  --to-drive nstN   into the cartridge in drive N of the vtapefs serving the library,\n"
    "                    which a program there may read while the stream arrives (the\n"
    "                    drive must hold the cartridge the sender names)\n"
    "  --debug LEVEL     none (default), brief (each frame on stderr, no data) or\n"
    "                    sensitive (with the first bytes of each record)\n"
    "See vtape-receive(1) and vtape-stream(5).\n";

// A sync point and an acknowledgement at least this often, at every
// filemark, and whenever the input pauses for kPauseMs.
constexpr uint64_t kAckBytes = 8u << 20;
constexpr uint64_t kAckRecords = 1024;
// A pipe from ssh runs dry for a moment many times a second while the
// sender is busy; syncing at each of those (about every MiB) stalled the
// stream on fdatasync.  A pause this long is the sender waiting for its
// window or its source, when a sync point is worth its cost.
constexpr int kPauseMs = 20;
// Standard input is read in chunks of up to a MiB (as much as the pipe
// from ssh holds, see run()), and at most this many are read ahead of the
// writing: enough to go on through a sync of kAckBytes, bounded whatever
// the sender's window.
constexpr size_t kReadChunk = 1u << 20;
constexpr size_t kReadAheadChunks = 32;
// Free bytes below which a failed write is put down to a full file system
// (the image's framing and the file system's own blocks take some).
constexpr uint64_t kFullDiskSlack = 64u << 10;

enum class Debug { kNone, kBrief, kSensitive };

bool write_all(int fd, const std::vector<uint8_t>& bytes) {
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// A name from the sender, fit for a message: at most 32 characters,
// nothing that drives a terminal.
std::string printable(const std::string& s) {
  std::string out = s.substr(0, 32);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return out;
}

// The receive state of one cartridge: which stream is writing it and how
// many objects the tape held before that stream began; once it ended
// (END), how many objects it wrote.
struct ReceiveState {
  std::string stream;  // hex id
  uint64_t start = 0;
  std::optional<uint64_t> complete;
};

std::string state_text(const ReceiveState& s) {
  std::string text = fmt::format("stream {} start {}", s.stream, s.start);
  if (s.complete) text += fmt::format(" complete {}", *s.complete);
  return text + "\n";
}

std::string state_path(const std::string& library_dir, const std::string& volser) {
  return library_dir + "/receive-" + volser + ".state";
}

std::optional<ReceiveState> load_state(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[128] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  char id[64] = {};
  unsigned long long start = 0, complete = 0;
  int fields = std::sscanf(buf, "stream %40s start %llu complete %llu", id, &start, &complete);
  if (fields < 2) return std::nullopt;
  ReceiveState s{id, start, std::nullopt};
  if (fields == 3) s.complete = complete;
  return s;
}

class Receiver {
 public:
  Receiver(std::string library_dir, std::vector<std::string> allow, Debug debug, std::optional<int> to_drive)
      : library_dir_(std::move(library_dir)), allow_(std::move(allow)), debug_(debug), to_drive_(to_drive) {}

  ~Receiver() {
    if (target_) (void)target_->finish(false);
  }

  int serve() {
    // Read on a thread of its own, so that ssh and the sender go on while
    // a sync before an acknowledgement waits for the disk.
    ReadAhead input(STDIN_FILENO, kReadChunk, kReadAheadChunks);
    for (;;) {
      // Before waiting for more, what was written is synced and
      // acknowledged: a sender whose window is full waits for it.
      if (target_ && objects_ > acked_ && !input.wait(kPauseMs)) {
        if (std::optional<int> done = acknowledge()) return *done;
      }
      ReadAhead::Chunk chunk;
      int error = 0;
      switch (input.next(&chunk, &error)) {
        case ReadAhead::Result::kData: break;
        case ReadAhead::Result::kError:
          return broken(fmt::format("reading the stream failed: {}", std::strerror(error)));
        case ReadAhead::Result::kEnd:
          return broken(parser_.mid_frame() ? "the sender went away in the middle of a frame"
                                            : "the sender went away before the end of the stream");
      }
      if (std::optional<int> done = handle_input(chunk.bytes())) return *done;
      input.give_back(std::move(chunk));
    }
  }

 private:
  // nullopt: go on; else the exit status.
  std::optional<int> handle_input(std::span<const uint8_t> input) {
    size_t pos = 0;
    while (pos < input.size()) {
      // A frame wholly in the chunk is handled where it lies; only one
      // cut by the end of a read is gathered by the parser.
      std::span<const uint8_t> rest = input.subspan(pos);
      FrameView view;
      if (size_t used = parser_.take_in_place(rest, &view); used > 0) {
        pos += used;
        if (std::optional<int> done = handle(view)) return done;
        continue;
      }
      pos += parser_.feed(rest);
      if (!parser_.error().is_ok()) {
        return refuse(fmt::format("the stream is not vtape send's: at byte {}", parser_.error().message()));
      }
      Frame frame;
      while (parser_.take(&frame)) {
        if (std::optional<int> done = handle(frame)) return done;
      }
    }
    return std::nullopt;
  }

  // An error or refusal: always on stderr.
  void say(const std::string& text) const { fmt::print(stderr, "vtape receive: {}\n", text); }
  // What went well (a stream began, its totals): only with --debug, since
  // ssh passes stderr on to the sender's terminal.
  void note(const std::string& text) const {
    if (debug_ != Debug::kNone) say(text);
  }

  // A refusal: ERROR frame, stderr, the tape left consistent; exit 1.
  int refuse(const std::string& message, bool retry = false) {
    say(message);
    write_all(STDOUT_FILENO, encode_error(message, retry));
    finish_broken();
    return kExitFailure;
  }
  int broken(const std::string& why) {
    say(fmt::format("{}; {} is kept up to the last acknowledged object ({} of this stream)", why,
                    volser_.empty() ? "the cartridge" : volser_, acked_));
    finish_broken();
    return kExitFailure;
  }
  void finish_broken() {
    if (!target_) return;
    Status s = target_->finish(false);
    if (!s.is_ok()) say(s.message());
    target_.reset();
  }

  void debug_frame(const char* dir, const FrameView& f) const {
    if (debug_ == Debug::kNone) return;
    std::string extra;
    if (f.type == static_cast<uint8_t>(FrameType::kRecord) && debug_ == Debug::kSensitive) {
      for (size_t i = 0; i < f.payload.size() && i < 16; ++i) extra += fmt::format(" {:02x}", f.payload[i]);
    }
    note(fmt::format("{} '{}' {} bytes{}", dir, static_cast<char>(f.type), f.payload.size(), extra));
  }

  bool allowed(const std::string& volser) const {
    if (allow_.empty()) return true;
    for (const auto& p : allow_) {
      if (fnmatch(p.c_str(), volser.c_str(), 0) == 0) return true;
    }
    return false;
  }

  // nullopt: go on; else the exit status.
  std::optional<int> handle(const FrameView& f) {
    debug_frame("<-", f);
    auto type = static_cast<FrameType>(f.type);
    if (completed_) {
      // A stream that ended already, resumed for its summary: only END.
      if (type == FrameType::kEnd) return end(f);
      return refuse(fmt::format("stream to {} ended already; expected its END again, got '{}'", volser_,
                                static_cast<char>(f.type)));
    }
    if (!target_ && type != FrameType::kHello) {
      return refuse(fmt::format("expected a HELLO frame first, got '{}'", static_cast<char>(f.type)));
    }
    switch (type) {
      case FrameType::kHello:
        if (target_) return refuse("a second HELLO frame in one stream");
        return hello(f);
      case FrameType::kRecord: {
        Status s = target_->record(f.payload, false);
        if (!s.is_ok()) return refuse(write_failure(s, f.payload.size()), target_lost(s));
        ++objects_;
        bytes_since_ack_ += f.payload.size();
        if (++records_since_ack_ >= kAckRecords || bytes_since_ack_ >= kAckBytes) return acknowledge();
        return std::nullopt;
      }
      case FrameType::kFilemark: {
        Status s = target_->filemark();
        if (!s.is_ok()) return refuse(write_failure(s, 0), target_lost(s));
        ++objects_;
        return acknowledge();
      }
      case FrameType::kEnd: return end(f);
      default:
        return refuse(fmt::format("a '{}' frame is one the receiver sends, not the sender", static_cast<char>(f.type)));
    }
  }

  // Whether a failed write or sync lost the way to the tape rather than
  // failed on it: the vtapefs a feed goes through died or stopped (its
  // socket closed).  What the tape durably holds stays, so the refusal
  // asks the sender to try again: its resumed stream continues after that
  // once the daemon is back (or from this process, if none comes).
  static bool target_lost(const Status& s) {
    return s.code() == StatusCode::kIoError && (s.sys_errno() == EPIPE || s.sys_errno() == ECONNRESET);
  }

  // What the sender is told when a write or sync fails.  ENOSPC alone
  // says neither which end nor why: a cartridge at its end of medium and
  // a full file system under the library look alike to the drive, so the
  // file system is asked.
  std::string write_failure(const Status& s, size_t record_bytes) const {
    if (s.code() != StatusCode::kNoSpace) return s.message();
    struct statvfs fs {};
    bool disk_full = ::statvfs(library_dir_.c_str(), &fs) == 0 &&
                     static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < record_bytes + kFullDiskSlack;
    std::string why = disk_full ? fmt::format("the file system of the receiving library ({}) has no space left",
                                              library_dir_)
                                : fmt::format("{} is at its end of medium (no space left on the cartridge)", volser_);
    return fmt::format("{}: {}; the tape holds this stream's objects up to number {} ({} acknowledged) ({})", volser_,
                       why, objects_, acked_, s.message());
  }

  std::optional<int> acknowledge() {
    Status s = target_->sync();
    if (!s.is_ok()) return refuse(write_failure(s, 0), target_lost(s));
    records_since_ack_ = 0;
    bytes_since_ack_ = 0;
    acked_ = objects_;
    if (!write_all(STDOUT_FILENO, encode_ack(acked_))) return broken("the sender cannot be answered any more");
    return std::nullopt;
  }

  std::optional<int> hello(const FrameView& f) {
    StreamHello h;
    if (Status s = decode_hello(f.payload, &h); !s.is_ok()) return refuse("bad HELLO: at byte " + s.message());
    std::optional<std::string> volser = normalize_volser(h.volser);
    if (!volser) {
      return refuse(fmt::format("'{}' is no volume serial (1 to 6 letters and digits)", printable(h.volser)));
    }
    if (!allowed(*volser)) return refuse(fmt::format("{} is not among the volume serials this receiver allows (--allow)", *volser));
    volser_ = *volser;
    std::optional<Format> format;
    if (!h.format.empty()) {
      format = parse_format(h.format);
      if (!format) return refuse(fmt::format("unknown format '{}'", printable(h.format)));
    }
    std::string id = stream_id_hex(h.id);
    std::string path = state_path(library_dir_, volser_);
    std::optional<ReceiveState> state = load_state(path);
    bool resuming = state && state->stream == id;
    std::string digest;
    if (h.version >= 2) {
      std::unique_ptr<TapeLibrary> lib;
      if (Status s = TapeLibrary::open(library_dir_, false, &lib); !s.is_ok()) return refuse(s.message());
      digest = std::string(digest_name(lib->digest()));
    }
    if (resuming && state->complete && h.resume) {
      // It ended (END came, the cartridge is closed) and the link broke
      // before the sender had the SUMMARY: the sender sends END again.
      volser_ = *volser;
      start_ = state->start;
      completed_ = true;
      note(fmt::format("stream {} onto {} ended already; its summary again", id, volser_));
      if (!write_all(STDOUT_FILENO, encode_accept(StreamAccept{*state->complete, digest}))) {
        return broken("the sender cannot be answered");
      }
      return std::nullopt;
    }
    if (state && state->complete) {
      // A stream that ended holds the cartridge no more.
      resuming = false;
      state.reset();
    }
    if (state && !resuming && h.overwrite != 1 && h.overwrite != 3) {
      return refuse(fmt::format("{} is being received from another stream ({}) that has not ended; "
                                "--overwrite=always starts it again", volser_, state->stream));
    }
    if (h.resume && !resuming) {
      return refuse(fmt::format("{} has no interrupted stream {} to resume (it ended, or never began)", volser_, id));
    }
    // Overwrite 3: after the prefix when the cartridge holds exactly it
    // (and its end of data is there), else from BOT.
    bool keep_prefix = !resuming && h.overwrite == 3 && holds_exactly(h, digest);
    StreamOverwrite overwrite = resuming || keep_prefix ? StreamOverwrite::kAppend
                                : h.overwrite == 1 || h.overwrite == 3 ? StreamOverwrite::kAlways
                                : h.overwrite == 2 ? StreamOverwrite::kAppend
                                                   : StreamOverwrite::kNever;
    bool busy = false;
    auto open_target = [&](StreamOverwrite how) {
      return to_drive_ ? open_drive_stream_target(library_dir_, *to_drive_, volser_, how, &target_)
                       : open_stream_target(library_dir_, volser_, format, how,
                                            fmt::format("vtape receive (pid {})", getpid()), &target_, &busy);
    };
    Status s = open_target(overwrite);
    if (s.is_ok() && keep_prefix && target_->objects_before() != h.prefix_objects) {
      // The catalog said so, the tape does not: from BOT after all.
      s = target_->finish(false);
      target_.reset();
      keep_prefix = false;
      if (s.is_ok()) s = open_target(StreamOverwrite::kAlways);
    }
    if (!s.is_ok()) {
      target_.reset();
      return refuse(fmt::format("{}: {}", volser_, s.message()), busy);
    }
    uint64_t held = 0;
    if (resuming) {
      if (target_->objects_before() < state->start) {
        return refuse(fmt::format("{} holds {} objects, fewer than when stream {} began ({}): it was changed since",
                                  volser_, target_->objects_before(), id, state->start));
      }
      held = target_->objects_before() - state->start;
      start_ = state->start;
    } else {
      // A kept prefix is part of this stream (its totals at the end count it).
      start_ = keep_prefix ? 0 : target_->objects_before();
      held = keep_prefix ? h.prefix_objects : 0;
      s = write_file_atomically(path, state_text(ReceiveState{id, start_, std::nullopt}), 0600);
      if (s.is_ok()) {
        std::unique_ptr<TapeLibrary> lib;
        if (TapeLibrary::open(library_dir_, false, &lib).is_ok()) s = lib->adopt_file(path);
      }
      if (!s.is_ok()) return refuse(fmt::format("cannot keep the receive state of {}: {}", volser_, s.message()));
    }
    objects_ = acked_ = held;
    state_path_ = path;
    stream_ = id;
    note(fmt::format("{} stream {} onto {}{}", resuming ? "resuming" : "receiving", id, volser_,
                    resuming || keep_prefix ? fmt::format(" after {} objects", held) : ""));
    if (!write_all(STDOUT_FILENO, encode_accept(StreamAccept{held, digest}))) {
      return broken("the sender cannot be answered");
    }
    return std::nullopt;
  }

  std::optional<int> end(const FrameView& f) {
    StreamTotals sent;
    if (Status s = decode_totals(f.payload, &sent); !s.is_ok()) return refuse("bad END: at byte " + s.message());
    if (!completed_) {
      Status s = target_->finish(true);
      target_.reset();
      if (!s.is_ok()) return refuse(s.message());
    }
    StreamTotals got;
    if (Status c = catalog_totals(&got); !c.is_ok()) return refuse(c.message());
    bool same = got.records == sent.records && got.bytes == sent.bytes && got.filemarks == filemarks_on_tape(sent) &&
                got.digests == sent.digests;
    if (same && !completed_) {
      // Before the SUMMARY, which may not reach the sender: a resume of
      // this stream is given it again.
      Status k = write_file_atomically(state_path_, state_text(ReceiveState{stream_, start_, objects_}), 0600);
      if (!k.is_ok()) say(fmt::format("cannot mark the receive state of {} complete: {}", volser_, k.message()));
    }
    write_all(STDOUT_FILENO, encode_summary(got));
    std::string totals = fmt::format("{}: {} records, {} filemarks, {} bytes, {} tape files", volser_, got.records,
                                     got.filemarks, got.bytes, got.digests.size());
    if (same) {
      note(totals);
    } else {
      say(fmt::format("{} -- the sender counted {} records, {} filemarks, {} bytes, {} tape files", totals,
                      sent.records, filemarks_on_tape(sent), sent.bytes, sent.digests.size()));
      say(fmt::format("{} does not hold what was sent; the receive state is kept", volser_));
      return kExitFailure;
    }
    return kExitOk;
  }

  // Whether volser_ holds exactly the prefix HELLO describes: the
  // catalog's tape files from BOT, each ended by a filemark, of the same
  // records, bytes and digests (of this library's algorithm), and nothing
  // after them.
  bool holds_exactly(const StreamHello& h, const std::string& digest) const {
    if (h.prefix_objects == 0 || h.prefix_digest != digest) return false;
    std::unique_ptr<TapeLibrary> lib;
    std::unique_ptr<Catalog> catalog;
    std::vector<TapeFileRow> rows;
    if (!TapeLibrary::open(library_dir_, false, &lib).is_ok() || !open_library_catalog(*lib, &catalog).is_ok() ||
        !catalog->files(volser_, &rows).is_ok() || rows.size() != h.prefix.digests.size()) {
      return false;
    }
    uint64_t records = 0, bytes = 0, end = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const TapeFileRow& r = rows[i];
      if (!r.closed_cleanly || r.writing || r.first_block != end || r.digest_algorithm != digest ||
          r.digest != h.prefix.digests[i]) {
        return false;
      }
      records += r.records;
      bytes += r.bytes;
      end = r.first_block + r.records + 1;
    }
    return records == h.prefix.records && bytes == h.prefix.bytes && h.prefix.filemarks == rows.size() &&
           end == h.prefix_objects;
  }

  // The stream's part of the tape as the catalog recorded it: the tape
  // files from the stream's first object on.
  Status catalog_totals(StreamTotals* out) {
    std::unique_ptr<TapeLibrary> lib;
    VTAPE_RETURN_IF_ERROR(TapeLibrary::open(library_dir_, false, &lib));
    std::unique_ptr<Catalog> catalog;
    VTAPE_RETURN_IF_ERROR(open_library_catalog(*lib, &catalog));
    std::vector<TapeFileRow> rows;
    VTAPE_RETURN_IF_ERROR(catalog->files(volser_, &rows));
    uint64_t end = start_;
    for (const auto& r : rows) {
      if (r.first_block < start_) continue;
      out->records += r.records;
      out->bytes += r.bytes;
      out->digests.push_back(r.digest);
      end = r.first_block + r.records + (r.closed_cleanly ? 1 : 0);
    }
    out->filemarks = end - start_ - out->records;
    return Status::ok();
  }

  std::string library_dir_;
  std::vector<std::string> allow_;
  Debug debug_;
  std::optional<int> to_drive_;  // --to-drive
  FrameParser parser_;
  std::unique_ptr<StreamTarget> target_;
  std::string volser_;
  std::string state_path_;
  std::string stream_;     // hex id
  bool completed_ = false;  // a stream that ended, resumed for its SUMMARY
  uint64_t start_ = 0;
  uint64_t objects_ = 0;  // of this stream on the tape (held at HELLO, plus those written since)
  uint64_t acked_ = 0;
  uint64_t records_since_ack_ = 0;
  uint64_t bytes_since_ack_ = 0;
};

// --to-drive's drive: nstN, stN, /dev/nstN, /dev/stN or N (up to 3 digits).
std::optional<int> parse_drive(std::string name) {
  if (name.rfind("/dev/", 0) == 0) name = name.substr(5);
  if (name.rfind("nst", 0) == 0) {
    name = name.substr(3);
  } else if (name.rfind("st", 0) == 0) {
    name = name.substr(2);
  }
  if (name.empty() || name.size() > 3 || name.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoi(name);
}

std::string check(const CommandLine& cl) {
  if (std::optional<std::string> drive = cl.value("--to-drive"); drive && !parse_drive(*drive)) {
    return fmt::format("--to-drive {}: a drive of the mount, nstN", *drive);
  }
  std::optional<std::string> d = cl.value("--debug");
  if (d && *d != "none" && *d != "brief" && *d != "sensitive") {
    return fmt::format("--debug {}: none, brief or sensitive", *d);
  }
  return "";
}

int run(CommandContext& ctx) {
  std::optional<std::string> d = ctx.cl.value("--debug");
  Debug debug = !d || *d == "none" ? Debug::kNone : *d == "brief" ? Debug::kBrief : Debug::kSensitive;
  // The drive core's and the catalog's own messages (a full disk: the
  // bytes lost, the failed commit) go to the journal, not to standard error:
  // through ssh that is the sender's terminal, which gets the refusal only
  // (the man page's promise), unless --debug.
  if (debug == Debug::kNone) set_log_sink(LogSink::kJournal, "vtape-receive");
  // A sender that goes away is an end of input, not a signal.
  ::signal(SIGPIPE, SIG_IGN);
  // A larger pipe from ssh lets it hand over a MiB between two of our
  // reads instead of 64 KiB: fewer wake-ups of both processes (not a pipe,
  // or no room for it: nothing changes).
  (void)::fcntl(STDIN_FILENO, F_SETPIPE_SZ, 1 << 20);
  std::optional<int> to_drive;
  if (std::optional<std::string> drive = ctx.cl.value("--to-drive")) to_drive = parse_drive(*drive);
  Receiver receiver(ctx.library_dir(), ctx.cl.values("--allow"), debug, to_drive);
  return receiver.serve();
}

}  // namespace

const CommandSpec kReceiveCommand{
    .name = "receive",
    .summary = "receive a stream from 'vtape send' onto a cartridge (over ssh)",
    .usage = "vtape receive [--library DIR] [--allow PATTERN...] [--to-drive nstN] [--debug none|brief|sensitive]",
    .help = kHelp,
    .flags = {},
    .options = {"--library", "--allow", "--debug", "--to-drive"},
    .min_positional = 0,
    .max_positional = 0,
    .positional_error = "takes no arguments",
    .opens = Opens::kNothing,
    .check = check,
    .run = run,
};

}  // namespace vtape
