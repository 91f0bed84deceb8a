// vtape rmt: a remote tape server on standard input and output, started by
// ssh (a client's --rmt-command, or the forced command of a key), so that
// tar, cpio, mt-gnu and dump write to and read from the library's
// cartridges on this machine.  The protocol is tools/rmt_protocol.h; the
// records go through the drive core (CartridgeDoor: st semantics, the
// filemark after writing at close, the catalog at every filemark).
//
// Names a client may open (tools/rmt_tapes.h): a cartridge's volume serial
// (1 to 6 letters and digits), made when O_CREAT is given, while no vtapefs
// serves the library; a drive of the vtapefs that serves it (nstN, stN,
// /dev/nstN); nothing else, and with --allow only the names matching one of
// its patterns.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "library/daemon_log.h"
#include "tools/command_spec.h"
#include "tools/rmt_protocol.h"
#include "tools/rmt_tapes.h"

namespace vtape {
namespace {

constexpr const char* kHelp =
    "Serves the rmt protocol (rmt(8)) on standard input and output for ssh, so that\n"
    "tar, cpio, mt-gnu and dump reach the library's cartridges from another machine:\n"
    "  tar -cf host:VOL002 --rsh-command=/usr/bin/ssh --rmt-command='vtape rmt'\n"
    "or as the forced command of a key in authorized_keys.  A name opened is a\n"
    "cartridge's volume serial (made when the client opens with O_CREAT) while no\n"
    "vtapefs serves the library, or a drive of the one that does (nst0, st0,\n"
    "/dev/nst0).  Options:\n"
    "  --allow PATTERN   only names matching PATTERN (fnmatch; may be repeated)\n"
    "  --read-only       refuse every open for writing (EROFS)\n"
    "  --log FILE        the server's messages go to FILE (appended), not stderr\n"
    "  --status-layout L struct mtget as S sends it: linux-x86-64 (default) or linux-i386\n"
    "See vtape-rmt(1).\n";

struct RmtOptions {
  std::string library_dir;
  std::vector<std::string> allow;
  bool read_only = false;
  // --log: what the session does (opens, closes, refusals) is written too;
  // without it the client's replies say it and ssh's stderr stays quiet.
  bool log_session = false;
  MtgetLayout layout = MtgetLayout::kLinux64;
};

bool write_all(int fd, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

class RmtSession {
 public:
  explicit RmtSession(RmtOptions options) : options_(std::move(options)) {}
  ~RmtSession() { close_tape(); }

  // Serves until the client goes away; the exit status.
  int serve() {
    RmtReader reader([](uint8_t* buf, size_t n) { return ::read(STDIN_FILENO, buf, n); });
    for (;;) {
      RmtRequest request;
      RmtRefusal refusal;
      RmtReader::Result r = reader.next(&request, &refusal);
      if (r == RmtReader::Result::kEnd) break;
      if (r == RmtReader::Result::kCut) {
        log("the client went away in the middle of a command");
        break;
      }
      bool replied = r == RmtReader::Result::kBad ? refuse(refusal.error, refusal.message)
                                                   : handle(request, reader);
      if (!replied) break;
    }
    if (int e = reader.read_error(); e != 0) {
      // The commands cannot be read any more (not an end of input): F, the
      // reply after which a client gives up the session.
      log(fmt::format("reading the client's commands failed: {}", std::strerror(e)));
      reply(rmt_fatal(e, fmt::format("vtape rmt cannot read its input: {}", std::strerror(e))));
    }
    return close_tape().empty() ? kExitOk : kExitFailure;
  }

 private:
  bool reply(const std::string& text) { return write_all(STDOUT_FILENO, text.data(), text.size()); }
  bool refuse(int error, const std::string& message) {
    log(message);
    return reply(rmt_error(error, message));
  }
  bool refuse_errno(int error, const std::string& what) {
    return refuse(error, fmt::format("{} {}: {}", tape_->name(), what, std::strerror(error)));
  }
  void log(const std::string& text) {
    if (!options_.log_session) return;
    log_message(LogPriority::kNotice, fmt::format("rmt: {}", text));
  }

  // Returns false when the session must end (the client is gone).
  bool handle(const RmtRequest& rq, RmtReader& reader) {
    switch (rq.command) {
      case RmtCommand::kOpen: return open_tape(rq);
      case RmtCommand::kClose: {
        if (!tape_) return refuse(EBADF, "close: nothing is open");
        std::string failed = close_tape();
        return failed.empty() ? reply(rmt_ok(0)) : refuse(EIO, failed);
      }
      case RmtCommand::kVersion: return reply(rmt_ok(kRmtVersion));
      case RmtCommand::kWrite: return write_record(rq, reader);
      default: break;
    }
    if (!tape_) return refuse(EBADF, "no tape is open");
    switch (rq.command) {
      case RmtCommand::kRead: {
        // More than the limit is never taken: as st with a large buffer,
        // a record that does not fit is an error (ENOMEM), not cut.
        size_t want = std::min<uint64_t>(static_cast<uint64_t>(rq.count), kRmtMaxRecord);
        buffer_.resize(want);
        size_t got = 0;
        if (int e = tape_->read(std::span<uint8_t>(buffer_.data(), want), &got); e != 0) {
          return refuse_errno(e, "read");
        }
        return reply(rmt_ok(static_cast<int64_t>(got))) && write_all(STDOUT_FILENO, buffer_.data(), got);
      }
      case RmtCommand::kLseek:
        // A tape has no offset: st's devices are not seekable (ESPIPE, as
        // the mount's drives), so that a client reads instead of seeking.
        return refuse(ESPIPE, fmt::format("{}: lseek: a tape cannot seek (use I operations)", tape_->name()));
      case RmtCommand::kIoctl:
      case RmtCommand::kExtendedIoctl: {
        if (rq.command == RmtCommand::kIoctl && rq.op == -1 && rq.count == 0) {
          v1_ = true;  // RMT V1: I's operations 0..7 are the portable numbers from now on
          return reply(rmt_ok(kRmtVersion));
        }
        int mt_op = 0;
        int mt_count = 0;
        int e = rmt_mt_operation(rq.command, rq.op, rq.count, v1_, &mt_op, &mt_count);
        if (e == 0) e = tape_->operation(mt_op, mt_count);
        if (e != 0) return refuse_errno(e, fmt::format("operation {} count {}", rq.op, rq.count));
        return reply(rmt_ok(rq.count));
      }
      case RmtCommand::kStatus:
      case RmtCommand::kStatusField: {
        MtStatus st;
        if (int e = tape_->status(&st); e != 0) return refuse_errno(e, "status");
        if (rq.command == RmtCommand::kStatus) {
          std::vector<uint8_t> bytes = encode_mtget(st, options_.layout);
          return reply(rmt_ok(static_cast<int64_t>(bytes.size()))) &&
                 write_all(STDOUT_FILENO, bytes.data(), bytes.size());
        }
        int64_t value = 0;
        if (!mtget_field(st, rq.field, &value)) return refuse(EINVAL, fmt::format("no status field '{}'", rq.field));
        return reply(rmt_ok(value));
      }
      default: return refuse(EINVAL, "unknown command");
    }
  }

  bool write_record(const RmtRequest& rq, RmtReader& reader) {
    // The record is read whole before anything else, so that its bytes are
    // never taken for commands, even when it is refused.
    bool whole = reader.read_payload(static_cast<size_t>(rq.count), &buffer_);
    if (!whole) {
      // The client went away in the middle of a record: it is not written,
      // and the tape ends with the last whole one (closed by serve()).
      log(fmt::format("the client went away after {} of a record's {} bytes; the record is dropped",
                      buffer_.size(), rq.count));
      return false;
    }
    if (!tape_) return refuse(EBADF, "no tape is open");
    if (int e = tape_->write(buffer_); e != 0) return refuse_errno(e, "write");
    return reply(rmt_ok(rq.count));
  }

  bool open_tape(const RmtRequest& rq) {
    // As rmt(8): an open closes what was open before.
    if (std::string failed = close_tape(); !failed.empty()) return refuse(EIO, failed);
    RmtOpenRequest open;
    open.library_dir = options_.library_dir;
    open.name = rq.name;
    open.flags = rq.flags;
    open.allow = options_.allow;
    open.read_only = options_.read_only;
    int error = 0;
    std::string message;
    tape_ = open_rmt_tape(open, &error, &message);
    if (!tape_) return refuse(error, message);
    log(fmt::format("opened {} for {}", tape_->name(), rq.flags.writable() ? "writing" : "reading"));
    return reply(rmt_ok(0));
  }

  // Closes what is open as st's close does (a filemark after writing);
  // empty, or why it failed.
  std::string close_tape() {
    if (!tape_) return "";
    std::string failed = tape_->close();
    log(failed.empty() ? fmt::format("closed {}", tape_->name()) : failed);
    tape_.reset();
    return failed;
  }

  RmtOptions options_;
  std::unique_ptr<RmtTape> tape_;
  std::vector<uint8_t> buffer_;
  bool v1_ = false;
};

std::string check(const CommandLine& cl) {
  MtgetLayout layout;
  std::optional<std::string> name = cl.value("--status-layout");
  if (name && !parse_mtget_layout(*name, &layout)) {
    return fmt::format("--status-layout {}: linux-x86-64 or linux-i386", *name);
  }
  return "";
}

int run(CommandContext& ctx) {
  RmtOptions options;
  options.library_dir = ctx.library_dir();
  options.allow = ctx.cl.values("--allow");
  options.read_only = ctx.cl.has("--read-only");
  if (auto layout = ctx.cl.value("--status-layout")) parse_mtget_layout(*layout, &options.layout);
  if (auto log_file = ctx.cl.value("--log")) {
    // Never through a link that may sit there; readable by the owner alone.
    int fd = ::open(log_file->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return ctx.failure(fmt::format("cannot open {}: {}", *log_file, std::strerror(errno)));
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
    options.log_session = true;
  }
  // A client that goes away is an end of input, not a signal.
  ::signal(SIGPIPE, SIG_IGN);
  RmtSession session(std::move(options));
  return session.serve();
}

}  // namespace

const CommandSpec kRmtCommand{
    .name = "rmt",
    .summary = "serve the library's cartridges to tar, cpio, mt and dump over ssh (rmt)",
    .usage = "vtape rmt [--library DIR] [--allow PATTERN...] [--read-only] [--log FILE] [--status-layout L]",
    .help = kHelp,
    .flags = {"--read-only"},
    .options = {"--library", "--allow", "--log", "--status-layout"},
    .min_positional = 0,
    .max_positional = 0,
    .positional_error = "takes no arguments",
    .opens = Opens::kNothing,
    .check = check,
    .run = run,
};

}  // namespace vtape
