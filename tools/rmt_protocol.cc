#include "tools/rmt_protocol.h"

#include <fcntl.h>
#include <sys/mtio.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "library/mtio_mapping.h"

namespace vtape {
namespace {

// MT_ISSCSI2: what st reports as mt_type.
constexpr int64_t kMtTypeScsi2 = 0x72;

// MTSETDRVBUFFER's options (<linux/mtio.h>; glibc's header lacks them).
constexpr uint32_t kMtStSetBooleans = 0x30000000;
constexpr uint32_t kMtStClearBooleans = 0x40000000;
constexpr uint32_t kMtStBufferWrites = 0x1;

// RMT V1's portable MTIOCTOP numbers (I after I-1) and extended ones (i).
enum PortableOp { kPWeof = 0, kPFsf, kPBsf, kPFsr, kPBsr, kPRew, kPOffl, kPNop };
enum ExtendedOp { kXCache = 0, kXNoCache, kXReten, kXErase, kXEom, kXNbsf };

bool parse_int(std::string_view text, int64_t* out) {
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (*first == '+') ++first;
  auto [p, ec] = std::from_chars(first, last, *out);
  return ec == std::errc() && p == last && first != last;
}

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

// For messages: a client's text, printable and short.
std::string shown(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 64)) {
    if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > 64) out += "...";
  return out;
}

void put_word(std::vector<uint8_t>& out, int64_t value, size_t bytes) {
  auto v = static_cast<uint64_t>(value);
  for (size_t i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

bool RmtOpenFlags::writable() const { return access == O_WRONLY || access == O_RDWR; }

std::optional<uint8_t> RmtReader::get() {
  if (start_ == end_) {
    if (ended_) return std::nullopt;
    ssize_t n;
    do {
      n = source_(buffer_.data(), buffer_.size());
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      if (n < 0) read_error_ = errno;
      ended_ = true;
      return std::nullopt;
    }
    start_ = 0;
    end_ = static_cast<size_t>(n);
  }
  return buffer_[start_++];
}

RmtReader::Result RmtReader::line(std::string* out, RmtRefusal* refusal) {
  out->clear();
  bool too_long = false;
  for (;;) {
    std::optional<uint8_t> c = get();
    if (!c) return Result::kCut;
    if (*c == '\n') break;
    if (out->size() < kRmtMaxLine) {
      out->push_back(static_cast<char>(*c));
    } else {
      too_long = true;  // skipped up to the newline, never kept
    }
  }
  if (too_long) {
    *refusal = {ENAMETOOLONG, fmt::format("an argument longer than {} bytes", kRmtMaxLine)};
    return Result::kBad;
  }
  return Result::kRequest;
}

RmtReader::Result RmtReader::number_line(const char* what, int64_t* out, RmtRefusal* refusal) {
  std::string text;
  Result r = line(&text, refusal);
  if (r != Result::kRequest) return r;
  if (!parse_int(text, out)) {
    *refusal = {EINVAL, fmt::format("{} is not a number: '{}'", what, shown(text))};
    return Result::kBad;
  }
  return Result::kRequest;
}

RmtReader::Result RmtReader::next(RmtRequest* request, RmtRefusal* refusal) {
  std::optional<uint8_t> c;
  // A newline between commands is no command: clients that end S or s with
  // one are served as well as those that do not.
  do {
    c = get();
    if (!c) return Result::kEnd;
  } while (*c == '\n');
  *request = RmtRequest{};
  Result r = Result::kRequest;
  switch (*c) {
    case 'O': {
      request->command = RmtCommand::kOpen;
      r = line(&request->name, refusal);
      if (r == Result::kCut) return r;
      std::string flags;
      Result f = line(&flags, refusal);
      if (f == Result::kCut) return f;
      if (r != Result::kRequest) return r;
      if (f != Result::kRequest) return f;
      std::string error;
      if (request->name.empty()) {
        *refusal = {ENOENT, "no name to open"};
        return Result::kBad;
      }
      if (!parse_open_flags(flags, &request->flags, &error)) {
        *refusal = {EINVAL, error};
        return Result::kBad;
      }
      return Result::kRequest;
    }
    case 'C':
      request->command = RmtCommand::kClose;
      return line(&request->name, refusal);
    case 'L': {
      request->command = RmtCommand::kLseek;
      int64_t a = 0, b = 0;
      r = number_line("the lseek offset", &a, refusal);
      if (r == Result::kCut) return r;
      Result s = number_line("the lseek whence", &b, refusal);
      if (s == Result::kCut) return s;
      if (r != Result::kRequest) return r;
      if (s != Result::kRequest) return s;
      int whence = 0;
      if (!parse_lseek(a, b, &request->count, &whence)) {
        *refusal = {EINVAL, fmt::format("lseek: neither {} nor {} is a whence (0, 1 or 2)", a, b)};
        return Result::kBad;
      }
      request->op = whence;
      return Result::kRequest;
    }
    case 'W':
    case 'R': {
      request->command = *c == 'W' ? RmtCommand::kWrite : RmtCommand::kRead;
      r = number_line("the byte count", &request->count, refusal);
      if (r != Result::kRequest) return r;
      if (request->count < 0) {
        *refusal = {EINVAL, fmt::format("a negative byte count ({})", request->count)};
        return Result::kBad;
      }
      if (*c == 'W' && static_cast<uint64_t>(request->count) > kRmtMaxRecord) {
        // The record follows the count: it is read and dropped (never
        // kept), so that its bytes are not taken for commands.
        for (int64_t left = request->count; left > 0; --left) {
          if (!get()) return Result::kCut;
        }
        *refusal = {EOVERFLOW, fmt::format("a record of {} bytes is larger than vtape rmt takes ({} bytes)",
                                           request->count, kRmtMaxRecord)};
        return Result::kBad;
      }
      return Result::kRequest;
    }
    case 'I':
    case 'i': {
      request->command = *c == 'I' ? RmtCommand::kIoctl : RmtCommand::kExtendedIoctl;
      r = number_line("the operation", &request->op, refusal);
      if (r == Result::kCut) return r;
      Result s = number_line("the count", &request->count, refusal);
      if (s == Result::kCut) return s;
      if (r != Result::kRequest) return r;
      return s;
    }
    case 'S':
      request->command = RmtCommand::kStatus;
      return Result::kRequest;
    case 's': {
      request->command = RmtCommand::kStatusField;
      std::optional<uint8_t> f = get();
      if (!f) return Result::kCut;
      request->field = static_cast<char>(*f);
      return Result::kRequest;
    }
    case 'v': {
      request->command = RmtCommand::kVersion;
      std::string ignored;
      return line(&ignored, refusal);
    }
    default: {
      // Garbage: the rest of its line goes too, so that the next line is
      // read as the command it probably is.
      std::string rest;
      Result skipped = line(&rest, refusal);
      if (skipped == Result::kCut) return skipped;
      *refusal = {EINVAL, fmt::format("unknown command '{}'", shown(std::string(1, static_cast<char>(*c))))};
      return Result::kBad;
    }
  }
}

bool RmtReader::read_payload(size_t n, std::vector<uint8_t>* out) {
  out->resize(n);
  size_t got = 0;
  while (got < n) {
    if (start_ == end_) {
      // Large records go straight into *out, not through the buffer.
      if (ended_) break;
      if (n - got >= buffer_.size()) {
        ssize_t k;
        do {
          k = source_(out->data() + got, n - got);
        } while (k < 0 && errno == EINTR);
        if (k <= 0) {
          if (k < 0) read_error_ = errno;
          ended_ = true;
          break;
        }
        got += static_cast<size_t>(k);
        continue;
      }
      if (!get()) break;
      --start_;  // get() filled the buffer; take from it below
    }
    size_t take = std::min(n - got, end_ - start_);
    std::memcpy(out->data() + got, buffer_.data() + start_, take);
    start_ += take;
    got += take;
  }
  out->resize(got);
  return got == n;
}

bool parse_open_flags(std::string_view text, RmtOpenFlags* flags, std::string* error) {
  size_t space = text.find(' ');
  std::string_view number = text.substr(0, space);
  std::string_view symbolic = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
  while (!symbolic.empty() && symbolic.front() == ' ') symbolic.remove_prefix(1);
  int64_t n = 0;
  if (!parse_int(number, &n) || n < 0 || n > std::numeric_limits<int>::max()) {
    *error = fmt::format("open flags are not a number: '{}'", shown(text));
    return false;
  }
  *flags = RmtOpenFlags{};
  if (symbolic.empty()) {
    // The client's own numbers; ours are Linux's, as most clients' are.
    int v = static_cast<int>(n);
    flags->access = v & O_ACCMODE;
    if (flags->access == O_ACCMODE) {
      *error = fmt::format("open flags {}: no access mode", n);
      return false;
    }
    flags->create = (v & O_CREAT) != 0;
    flags->nonblocking = (v & O_NONBLOCK) != 0;
    return true;
  }
  while (!symbolic.empty()) {
    size_t bar = symbolic.find('|');
    std::string_view name = symbolic.substr(0, bar);
    symbolic = bar == std::string_view::npos ? std::string_view() : symbolic.substr(bar + 1);
    if (name == "O_RDONLY") {
      flags->access = O_RDONLY;
    } else if (name == "O_WRONLY") {
      flags->access = O_WRONLY;
    } else if (name == "O_RDWR") {
      flags->access = O_RDWR;
    } else if (name == "O_CREAT") {
      flags->create = true;
    } else if (name == "O_NONBLOCK" || name == "O_NDELAY") {
      flags->nonblocking = true;
    } else if (name == "O_APPEND" || name == "O_EXCL" || name == "O_TRUNC" || name == "O_NOCTTY" ||
               name == "O_SYNC" || name == "O_DSYNC" || name == "O_RSYNC" || name == "O_LARGEFILE" ||
               name == "O_BINARY" || name == "O_TEXT" || name == "O_NOFOLLOW" || name == "O_CLOEXEC") {
      // Nothing a tape drive does differently (st ignores them too).
    } else {
      *error = fmt::format("unknown open flag '{}'", shown(name));
      return false;
    }
  }
  return true;
}

bool parse_lseek(int64_t first, int64_t second, int64_t* offset, int* whence) {
  auto is_whence = [](int64_t v) { return v >= 0 && v <= 2; };
  if (is_whence(second)) {
    *offset = first;
    *whence = static_cast<int>(second);
    return true;
  }
  if (is_whence(first)) {
    *offset = second;
    *whence = static_cast<int>(first);
    return true;
  }
  return false;
}

int rmt_mt_operation(RmtCommand command, int64_t op, int64_t count, bool v1, int* mt_op, int* mt_count) {
  if (count < std::numeric_limits<int>::min() || count > std::numeric_limits<int>::max()) return EINVAL;
  *mt_count = static_cast<int>(count);
  if (command == RmtCommand::kExtendedIoctl) {
    switch (op) {
      case kXCache:
      case kXNoCache:
        // The drive's write cache is st's buffer-writes option.
        *mt_op = MTSETDRVBUFFER;
        *mt_count = static_cast<int>((op == kXCache ? kMtStSetBooleans : kMtStClearBooleans) | kMtStBufferWrites);
        break;
      case kXReten: *mt_op = MTRETEN; break;
      case kXErase: *mt_op = MTERASE; break;
      case kXEom: *mt_op = MTEOM; break;
      case kXNbsf: *mt_op = MTBSFM; break;
      default: return EINVAL;
    }
    return 0;
  }
  if (v1 && op >= kPWeof && op <= kPNop) {
    static constexpr int kLinux[] = {MTWEOF, MTFSF, MTBSF, MTFSR, MTBSR, MTREW, MTOFFL, MTNOP};
    *mt_op = kLinux[op];
    return 0;
  }
  if (op < 0 || op > std::numeric_limits<int>::max()) return EINVAL;
  *mt_op = static_cast<int>(op);
  return 0;
}

MtStatus mt_status_of(const DriveStatus& status) {
  MtStatus s;
  s.type = kMtTypeScsi2;
  s.dsreg = mt_dsreg(status);
  s.gstat = mt_gstat(status);
  s.fileno = static_cast<int32_t>(status.file);
  s.blkno = static_cast<int32_t>(status.block);
  return s;
}

bool parse_mtget_layout(std::string_view name, MtgetLayout* layout) {
  if (name == "linux-x86-64" || name == "linux-64") {
    *layout = MtgetLayout::kLinux64;
  } else if (name == "linux-i386" || name == "linux-32") {
    *layout = MtgetLayout::kLinux32;
  } else {
    return false;
  }
  return true;
}

std::vector<uint8_t> encode_mtget(const MtStatus& status, MtgetLayout layout) {
  // struct mtget: mt_type, mt_resid, mt_dsreg, mt_gstat, mt_erreg (longs),
  // mt_fileno, mt_blkno (ints); little-endian on both layouts.
  size_t word = layout == MtgetLayout::kLinux64 ? 8 : 4;
  std::vector<uint8_t> out;
  put_word(out, status.type, word);
  put_word(out, status.resid, word);
  put_word(out, status.dsreg, word);
  put_word(out, status.gstat, word);
  put_word(out, status.erreg, word);
  put_word(out, status.fileno, 4);
  put_word(out, status.blkno, 4);
  return out;
}

bool mtget_field(const MtStatus& status, char field, int64_t* value) {
  switch (field) {
    case 'T': *value = status.type; break;
    case 'D': *value = status.dsreg; break;
    case 'E': *value = status.erreg; break;
    case 'R': *value = status.resid; break;
    case 'F': *value = status.fileno; break;
    case 'B': *value = status.blkno; break;
    case 'f': *value = 0; break;  // no MTF_ flags on Linux
    case 'b': *value = 0; break;  // no preferred blocking factor
    default: return false;
  }
  return true;
}

std::string rmt_ok(int64_t value) { return fmt::format("A{}\n", value); }
std::string rmt_error(int error, std::string_view message) { return fmt::format("E{}\n{}\n", error, one_line(message)); }
std::string rmt_fatal(int error, std::string_view message) { return fmt::format("F{}\n{}\n", error, one_line(message)); }

}  // namespace vtape
