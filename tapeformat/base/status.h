// Status: the result of every tape image operation that can fail.
//
// Outcomes that are normal on a tape (a record, a filemark, end of data,
// beginning of tape) are values of TapeObject, never a Status error.  A Status
// error means the operation could not be done: the image is damaged, the
// system refused I/O, or the caller asked for something impossible.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace vtape {

enum class StatusCode {
  kOk,
  kCorrupt,          // the image does not follow its format at `offset`
  kIoError,          // a system call failed; `sys_errno` says why
  kNoSpace,          // the file system is full; nothing partial was left behind
  kInvalidArgument,  // the caller asked for something the format cannot do
  kNotSupported,     // e.g. writing a read-only format
  kNotFound,
};

class Status {
 public:
  Status() = default;

  static Status ok() { return Status(); }
  // A damaged image: names the byte offset, what the format requires there and
  // what the image holds instead.
  static Status corrupt(uint64_t offset, std::string expected, std::string found);
  static Status io_error(std::string what, int sys_errno);
  // An I/O error whose text already says what went wrong (another
  // library's own message, e.g. SQLite's "database disk image is
  // malformed"): sys_errno is kept for the system call that reports it,
  // but its strerror() is not appended, where it would only mislead.
  static Status io_error_described(std::string what, int sys_errno);
  static Status no_space(std::string what);
  static Status invalid_argument(std::string what);
  static Status not_supported(std::string what);
  static Status not_found(std::string what);

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  bool has_offset() const { return has_offset_; }
  uint64_t offset() const { return offset_; }
  int sys_errno() const { return sys_errno_; }
  const std::string& expected() const { return expected_; }
  const std::string& found() const { return found_; }

  // The whole message, without a file name: "at byte 1234: expected ..., found ...".
  std::string message() const;
  // The message prefixed with the file it concerns: "img.tap: at byte 1234: ...".
  std::string message_for(const std::string& file) const;

 private:
  Status(StatusCode code, std::string text) : code_(code), text_(std::move(text)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string text_;
  bool has_offset_ = false;
  uint64_t offset_ = 0;
  int sys_errno_ = 0;
  std::string expected_;
  std::string found_;
};

// Propagates a failed Status to the caller.
#define VTAPE_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::vtape::Status vtape_status_ = (expr); \
    if (!vtape_status_.is_ok()) return vtape_status_; \
  } while (0)

}  // namespace vtape
