#include "library/drive_feed.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <memory>
#include <sstream>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "library/daemon_log.h"
#include "library/drive_record_sink.h"
#include "library/feed_protocol.h"
#include "library/stream_target.h"

namespace vtape {

namespace {

// The client's bytes, read as they come (a feed may pause for as long as
// its sender does; stop() shuts the socket down), counted so that an error
// can name where in the feed it is.
class FrameReader {
 public:
  FrameReader(int fd, std::string early) : fd_(fd), buffer_(std::move(early)) {}
  // False at the end of the connection (the client closed it, or stop()).
  bool read_exact(uint8_t* out, size_t n) {
    while (n > 0) {
      if (used_ == buffer_.size()) {
        buffer_.resize(64 << 10);
        ssize_t got = ::read(fd_, buffer_.data(), buffer_.size());
        if (got < 0 && errno == EINTR) {
          buffer_.clear();
          used_ = 0;
          continue;
        }
        if (got <= 0) {
          buffer_.clear();
          used_ = 0;
          return false;
        }
        buffer_.resize(static_cast<size_t>(got));
        used_ = 0;
      }
      size_t take = std::min(n, buffer_.size() - used_);
      std::copy_n(buffer_.data() + used_, take, out);
      used_ += take;
      out += take;
      n -= take;
      offset_ += take;
    }
    return true;
  }
  uint64_t offset() const { return offset_; }

 private:
  int fd_;
  std::string buffer_;
  size_t used_ = 0;
  uint64_t offset_ = 0;
};

void send_line(int fd, const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = send(fd, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client is gone: nothing to tell
    done += static_cast<size_t>(n);
  }
}

// Where a feed's frames land.
class FeedDestination {
 public:
  virtual ~FeedDestination() = default;
  virtual Status record(std::span<const uint8_t> data) = 0;
  virtual Status filemark() = 0;
  virtual Status sync() = 0;
  // `complete`: as close(2) ends writing (a filemark after records); else
  // synced as it is, no filemark added, so a resumed stream continues there.
  virtual Status end(bool complete) = 0;
};

// feed-cartridge: a drive leased for the feed, loaded for it if
// `unload_after`, and then given back empty.
class LeasedCartridge : public FeedDestination {
 public:
  LeasedCartridge(DriveService& service, DriveLease lease, std::string volser, bool unload_after)
      : service_(service),
        lease_(std::move(lease)),
        number_(lease_.number()),
        volser_(std::move(volser)),
        unload_after_(unload_after) {}

  Status record(std::span<const uint8_t> data) override {
    return failed(lease_.drive().write(data), "writing a record to");
  }
  Status filemark() override { return failed(lease_.drive().operation(TapeOp::kWriteFilemarks, 1), "writing a filemark to"); }
  Status sync() override { return failed(lease_.drive().fsync(), "syncing"); }
  Status end(bool complete) override {
    Status s;
    // Zero filemarks: a sync point that ends the writing, so the close adds none.
    if (!complete) s = failed(lease_.drive().operation(TapeOp::kWriteFilemarks, 0), "syncing");
    if (Status c = failed(lease_.close(), "closing"); s.is_ok()) s = c;
    // The library's drives as they were before the feed.
    if (unload_after_) {
      if (Status u = service_.drive(number_).unload(); s.is_ok()) s = u;
    }
    return s;
  }

 private:
  Status failed(DriveError e, const char* doing) const {
    return drive_error_status(e, fmt::format("{} {} in drive {}", doing, volser_, number_));
  }

  DriveService& service_;
  DriveLease lease_;
  int number_;  // the lease's drive, also after it is closed
  std::string volser_;
  bool unload_after_;
};

// feed-drive: the cartridge in a drive of the mount, written at its end of
// data beside the drive's reader (TapeDrive::attach_feed).
class AttachedDrive : public FeedDestination {
 public:
  AttachedDrive(TapeDrive& drive, std::string volser) : drive_(drive), volser_(std::move(volser)) {}

  Status record(std::span<const uint8_t> data) override { return failed(drive_.feed_record(data), "writing a record to"); }
  Status filemark() override { return failed(drive_.feed_filemark(), "writing a filemark to"); }
  Status sync() override { return failed(drive_.feed_sync(), "syncing"); }
  Status end(bool complete) override { return failed(drive_.detach_feed(complete), "ending the feed of"); }

 private:
  Status failed(DriveError e, const char* doing) const {
    return drive_error_status(e, fmt::format("{} {} in drive {}", doing, volser_, drive_.number()));
  }

  TapeDrive& drive_;
  std::string volser_;
};

// A refused frame: "nospace MESSAGE" for the end of the medium or a full
// disk (the receiver tells its sender as st tells a writer: ENOSPC), else
// "error MESSAGE".
std::string refusal_line(const Status& s) {
  return (s.code() == StatusCode::kNoSpace ? "nospace " : "error ") + s.message() + "\n";
}

// One feed, from the answer line to the end of the connection.
class Feed {
 public:
  Feed(std::unique_ptr<FeedDestination> to, int drive, std::string volser)
      : to_(std::move(to)), drive_(drive), volser_(std::move(volser)) {}

  void run(int fd, std::string early) {
    FrameReader in(fd, std::move(early));
    std::vector<uint8_t> record;
    for (;;) {
      uint64_t at = in.offset();
      uint8_t kind = 0;
      if (!in.read_exact(&kind, 1)) break;
      Status s;
      switch (static_cast<FeedFrame>(kind)) {
        case FeedFrame::kRecord: {
          uint8_t le[4];
          if (!in.read_exact(le, 4)) return end_incomplete(fd, "the feed ended inside a record's frame");
          uint32_t length = le[0] | (le[1] << 8) | (le[2] << 16) | (static_cast<uint32_t>(le[3]) << 24);
          if (length == 0 || length > kMaxFeedRecord) {
            s = Status::invalid_argument(fmt::format("feed of {}: byte offset {}: a record of {} bytes (expected 1 to {})",
                                                     volser_, at + 1, length, kMaxFeedRecord));
            break;
          }
          record.resize(length);
          if (!in.read_exact(record.data(), length)) return end_incomplete(fd, "the feed ended inside a record");
          s = to_->record(record);
          if (s.is_ok()) ++written_;
          break;
        }
        case FeedFrame::kFilemark:
          s = to_->filemark();
          if (s.is_ok()) ++written_;
          break;
        case FeedFrame::kSync:
          s = to_->sync();
          if (s.is_ok()) send_line(fd, fmt::format("ok {}\n", written_));
          break;
        case FeedFrame::kEnd:
          // Ended before the answer: the client may load the cartridge at once.
          s = to_->end(/*complete=*/true);
          send_line(fd, s.is_ok() ? fmt::format("ok {}\n", written_) : "error " + s.message() + "\n");
          return;
        default:
          s = Status::invalid_argument(fmt::format(
              "feed of {}: byte offset {}: frame kind 0x{:02x} (expected R, F, S or E)", volser_, at, kind));
          break;
      }
      if (!s.is_ok()) {
        send_line(fd, refusal_line(s));
        return end_incomplete(fd, s.message(), /*answered=*/true);
      }
    }
    end_incomplete(fd, "");
  }

 private:
  // The sender vanished, or erred.  `answered`: the client was sent the
  // error already.
  void end_incomplete(int fd, const std::string& why, bool answered = false) {
    if (!why.empty()) {
      log_message(LogPriority::kWarning, LogFields::of_drive(drive_, volser_),
                  fmt::format("feed ended incomplete after {} records and filemarks: {}", written_, why));
    }
    Status s = to_->end(/*complete=*/false);
    if (!s.is_ok()) log_message(LogPriority::kError, LogFields::of_drive(drive_, volser_), s.message());
    if (!answered) send_line(fd, s.is_ok() ? fmt::format("ok {}\n", written_) : "error " + s.message() + "\n");
  }

  std::unique_ptr<FeedDestination> to_;
  int drive_;
  std::string volser_;
  uint64_t written_ = 0;
};

ControlServer::Session feed_on(std::unique_ptr<FeedDestination> to, int drive, const std::string& volser,
                               uint64_t objects_before) {
  auto feed = std::make_shared<Feed>(std::move(to), drive, volser);
  return ControlServer::Session{fmt::format("ok {} {}\n", objects_before, drive),
                                [feed](int fd, std::string early) { feed->run(fd, std::move(early)); }};
}

std::string error_line(const std::string& message) { return "error " + message + "\n"; }

ControlServer::Session refused(const std::string& message) { return ControlServer::Session{error_line(message), nullptr}; }

// "feed-cartridge VOLSER FORMAT OVERWRITE DOOR...": the cartridge in a
// drive, leased and positioned, and the feed that goes on the connection.
ControlServer::Session feed_cartridge(DriveService& service, const std::string& request) {
  std::istringstream in(request);
  std::string verb, volser_word, format_word, overwrite_word;
  in >> verb >> volser_word >> format_word >> overwrite_word;
  std::string door;
  std::getline(in, door);
  door.erase(0, door.find_first_not_of(' '));
  // Shown by `vtape status` on a terminal: no control characters from a client.
  for (char& c : door) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (overwrite_word.empty() || door.empty()) return refused("usage: feed-cartridge VOLSER FORMAT|- never|always|append DOOR");
  std::optional<Format> format;
  if (format_word != "-") {
    format = parse_format(format_word);
    if (!format) return refused(fmt::format("unknown format '{}'", format_word));
  }
  StreamOverwrite overwrite;
  if (overwrite_word == "never") {
    overwrite = StreamOverwrite::kNever;
  } else if (overwrite_word == "always") {
    overwrite = StreamOverwrite::kAlways;
  } else if (overwrite_word == "append") {
    overwrite = StreamOverwrite::kAppend;
  } else {
    return refused(fmt::format("overwrite must be never, always or append, not '{}'", overwrite_word));
  }

  TapeLibrary& library = service.library();
  Cartridge cartridge;
  Status s = library.find(volser_word, &cartridge);
  if (s.code() == StatusCode::kNotFound) {
    s = library.create_cartridge(volser_word, format.value_or(Format::kSimh), kDefaultCapacity, &cartridge);
  } else if (s.is_ok() && format && *format != cartridge.format) {
    return refused(fmt::format("{} is a {} cartridge, not {}", cartridge.volser, format_name(cartridge.format),
                               format_name(*format)));
  }
  if (!s.is_ok()) return refused(s.message());

  // Its drive if it is in one (busy when open: a second feed, the mount's
  // reader), else the first drive with no cartridge, loaded for the feed.
  int drive = -1;
  bool loaded_here = false;
  for (int n = 0; n < service.drive_count(); ++n) {
    if (service.drive(n).loaded_volser() == cartridge.volser) drive = n;
  }
  if (drive >= 0 && service.drive(drive).status().open) {
    return refused(fmt::format("{} is busy in drive {} ({})", cartridge.volser, drive,
                               service.status(drive).front().held_by));
  }
  if (drive < 0) {
    for (int n = 0; n < service.drive_count() && drive < 0; ++n) {
      DriveStatus st = service.drive(n).status();
      if (!st.loaded && !st.open) drive = n;
    }
    if (drive < 0) return refused(fmt::format("no free drive for {} (every drive holds a cartridge)", cartridge.volser));
    if (Status l = service.drive(drive).load(cartridge); !l.is_ok()) return refused(l.message());
    loaded_here = true;
  }
  auto give_back = [&](const std::string& message) {
    if (loaded_here) (void)service.drive(drive).unload();
    return refused(message);
  };
  DriveLease lease;
  DriveError e = service.acquire(drive, DriveOpenMode{.writable = true}, door, &lease);
  if (e != DriveError::kNone) {
    return give_back(drive_error_status(e, fmt::format("opening drive {} with {}", drive, cartridge.volser)).message());
  }
  TapeDrive& d = lease.drive();
  // Records land as they come, whatever block size the drive was left in.
  DriveError positioned = d.operation(TapeOp::kSetBlockSize, 0);
  if (positioned == DriveError::kNone) {
    positioned = d.operation(overwrite == StreamOverwrite::kAlways ? TapeOp::kRewind : TapeOp::kEndOfData, 1);
  }
  if (positioned != DriveError::kNone) {
    lease.release();
    return give_back(drive_error_status(positioned, fmt::format("positioning {} in drive {}", cartridge.volser, drive))
                         .message());
  }
  uint64_t objects_before = d.status().block_address;
  if (overwrite == StreamOverwrite::kNever && objects_before > 0) {
    lease.release();
    return give_back(fmt::format("{} holds {} records and filemarks already (overwrite is never)", cartridge.volser,
                                 objects_before));
  }
  return feed_on(std::make_unique<LeasedCartridge>(service, std::move(lease), cartridge.volser, loaded_here), drive,
                 cartridge.volser, objects_before);
}

// "feed-drive DRIVE": the cartridge in that drive, fed at its end of data
// while the mount's door may read it.
ControlServer::Session feed_drive(DriveService& service, const std::string& request) {
  std::istringstream in(request);
  std::string verb, drive_word, extra;
  in >> verb >> drive_word >> extra;
  int drive = -1;
  auto [end, ec] = std::from_chars(drive_word.data(), drive_word.data() + drive_word.size(), drive);
  if (drive_word.empty() || !extra.empty() || ec != std::errc() || end != drive_word.data() + drive_word.size()) {
    return refused("usage: feed-drive DRIVE");
  }
  if (drive < 0 || drive >= service.drive_count()) {
    return refused(fmt::format("no drive '{}' (drives 0 to {})", drive_word, service.drive_count() - 1));
  }
  TapeDrive& d = service.drive(drive);
  std::optional<std::string> volser = d.loaded_volser();
  if (!volser) return refused(fmt::format("drive {} holds no cartridge", drive));
  uint64_t objects_before = 0;
  DriveError e = d.attach_feed(&objects_before);
  if (e == DriveError::kBusy) {
    return refused(fmt::format("drive {} is busy: open for writing or fed already", drive));
  }
  if (e != DriveError::kNone) return refused(drive_error_status(e, fmt::format("feeding drive {}", drive)).message());
  return feed_on(std::make_unique<AttachedDrive>(d, *volser), drive, *volser, objects_before);
}

}  // namespace

std::optional<ControlServer::Session> feed_session(DriveService& service, const std::string& request) {
  std::istringstream in(request);
  std::string verb;
  in >> verb;
  if (verb == "feed-cartridge") return feed_cartridge(service, request);
  if (verb == "feed-drive") return feed_drive(service, request);
  return std::nullopt;
}

}  // namespace vtape
