#include "library/feed_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include <fmt/format.h>

#include "library/control_protocol.h"
#include "library/feed_protocol.h"
#include "tapeformat/base/io_vectors.h"

namespace vtape {

namespace {

const char* overwrite_word(StreamOverwrite o) {
  switch (o) {
    case StreamOverwrite::kNever: return "never";
    case StreamOverwrite::kAlways: return "always";
    case StreamOverwrite::kAppend: return "append";
  }
  return "never";
}

bool parse_u64(std::string_view word, uint64_t* out) {
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), *out);
  return !word.empty() && ec == std::errc() && end == word.data() + word.size();
}

Status send_all(int fd, iovec* iov, size_t count) {
  while (count > 0) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::io_error("sending to vtapefs", errno);
    advance_io_vectors(&iov, &count, static_cast<size_t>(n));
  }
  return Status::ok();
}

}  // namespace

Status FeedClient::open_cartridge(const std::string& socket_path, const std::string& volser,
                                  std::optional<Format> format, StreamOverwrite overwrite, const std::string& door,
                                  std::unique_ptr<FeedClient>* out) {
  // One line: a volser or door with a line break or blank would be another request.
  if (volser.empty() || volser.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::invalid_argument(fmt::format("'{}' is not a volume serial", volser));
  }
  if (door.find_first_of("\r\n") != std::string::npos || door.find_first_not_of(" \t") == std::string::npos) {
    return Status::invalid_argument("a feed's door name is one line of text");
  }
  return open(socket_path,
              fmt::format("feed-cartridge {} {} {} {}", volser, format ? std::string(format_name(*format)) : "-",
                          overwrite_word(overwrite), door),
              out);
}

Status FeedClient::open_drive(const std::string& socket_path, int drive, std::unique_ptr<FeedClient>* out) {
  return open(socket_path, fmt::format("feed-drive {}", drive), out);
}

Status FeedClient::open(const std::string& socket_path, const std::string& request,
                        std::unique_ptr<FeedClient>* out) {
  std::unique_ptr<FeedClient> c(new FeedClient());
  VTAPE_RETURN_IF_ERROR(control_connect(socket_path, &c->fd_));
  std::string line = request + "\n";
  iovec iov{line.data(), line.size()};
  VTAPE_RETURN_IF_ERROR(send_all(c->fd_, &iov, 1));
  std::string answer;
  VTAPE_RETURN_IF_ERROR(c->read_line(&answer));
  if (answer.rfind("error ", 0) == 0) return Status::invalid_argument(answer.substr(6));
  // "ok OBJECTS_BEFORE DRIVE"
  auto blank = answer.find(' ', 3);
  uint64_t drive = 0;
  if (answer.rfind("ok ", 0) != 0 || blank == std::string::npos ||
      !parse_u64(std::string_view(answer).substr(3, blank - 3), &c->objects_before_) ||
      !parse_u64(std::string_view(answer).substr(blank + 1), &drive)) {
    return Status::io_error(fmt::format("vtapefs answered '{}' to a feed request", answer), EPROTO);
  }
  c->drive_ = static_cast<int>(drive);
  *out = std::move(c);
  return Status::ok();
}

FeedClient::~FeedClient() {
  if (fd_ >= 0) (void)finish(false);
}

Status FeedClient::read_line(std::string* line) {
  line->clear();
  for (;;) {
    char c = 0;
    ssize_t n = ::read(fd_, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::io_error("reading from vtapefs", errno);
    if (n == 0) return Status::io_error("vtapefs closed the feed without an answer", EPIPE);
    if (c == '\n') return Status::ok();
    if (line->size() > 4096) return Status::io_error("vtapefs sent an answer line too long", EPROTO);
    line->push_back(c);
  }
}

Status FeedClient::read_answer(uint64_t* count) {
  std::string line;
  VTAPE_RETURN_IF_ERROR(read_line(&line));
  if (line.rfind("error ", 0) == 0) return Status::io_error(line.substr(6), EIO);
  if (line.rfind("nospace ", 0) == 0) return Status::no_space(line.substr(8));
  if (line.rfind("ok ", 0) != 0 || !parse_u64(std::string_view(line).substr(3), count)) {
    return Status::io_error(fmt::format("vtapefs answered '{}' in a feed", line), EPROTO);
  }
  return Status::ok();
}

Status FeedClient::check_unasked_error() {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return Status::ok();
  uint64_t ignored = 0;
  Status s = read_answer(&ignored);
  return s.is_ok() ? Status::io_error("vtapefs answered a feed frame nobody asked about", EPROTO) : s;
}

Status FeedClient::send_frame(uint8_t kind, std::span<const uint8_t> data) {
  if (fd_ < 0) return Status::invalid_argument("the feed is finished");
  VTAPE_RETURN_IF_ERROR(failed_);
  if (Status s = check_unasked_error(); !s.is_ok()) return failed_ = s;
  uint8_t head[5] = {kind};
  size_t head_size = 1;
  if (kind == static_cast<uint8_t>(FeedFrame::kRecord)) {
    auto n = static_cast<uint32_t>(data.size());
    head[1] = static_cast<uint8_t>(n);
    head[2] = static_cast<uint8_t>(n >> 8);
    head[3] = static_cast<uint8_t>(n >> 16);
    head[4] = static_cast<uint8_t>(n >> 24);
    head_size = 5;
  }
  iovec iov[2] = {{head, head_size}, {const_cast<uint8_t*>(data.data()), data.size()}};
  if (Status s = send_all(fd_, iov, data.empty() ? 1 : 2); !s.is_ok()) {
    // The daemon may have said why before it closed.
    Status why = check_unasked_error();
    return failed_ = why.is_ok() ? s : why;
  }
  return Status::ok();
}

Status FeedClient::record(std::span<const uint8_t> data, bool /*error_flag*/) {
  if (data.empty() || data.size() > kMaxFeedRecord) {
    return Status::invalid_argument(fmt::format("a record of {} bytes (a feed takes 1 to {})", data.size(), kMaxFeedRecord));
  }
  VTAPE_RETURN_IF_ERROR(send_frame(static_cast<uint8_t>(FeedFrame::kRecord), data));
  ++objects_written_;
  return Status::ok();
}

Status FeedClient::filemark() {
  VTAPE_RETURN_IF_ERROR(send_frame(static_cast<uint8_t>(FeedFrame::kFilemark), {}));
  ++objects_written_;
  return Status::ok();
}

Status FeedClient::sync() {
  VTAPE_RETURN_IF_ERROR(send_frame(static_cast<uint8_t>(FeedFrame::kSync), {}));
  uint64_t durable = 0;
  if (Status s = read_answer(&durable); !s.is_ok()) return failed_ = s;
  if (durable != objects_written_) {
    return failed_ = Status::io_error(
               fmt::format("vtapefs has {} objects of this feed, {} were sent", durable, objects_written_), EPROTO);
  }
  return Status::ok();
}

Status FeedClient::finish(bool complete) {
  if (fd_ < 0) return Status::ok();
  Status result = failed_;
  if (complete && result.is_ok()) {
    result = send_frame(static_cast<uint8_t>(FeedFrame::kEnd), {});
  } else {
    // The end of the connection says "incomplete"; the daemon answers once
    // the tape is synced as it is, so a resumed feed finds it there.
    shutdown(fd_, SHUT_WR);
  }
  uint64_t count = 0;
  Status answer = read_answer(&count);
  if (result.is_ok()) result = answer;
  if (result.is_ok() && count != objects_written_) {
    result = Status::io_error(fmt::format("vtapefs has {} objects of this feed, {} were sent", count, objects_written_),
                              EPROTO);
  }
  close(fd_);
  fd_ = -1;
  return result;
}

}  // namespace vtape
