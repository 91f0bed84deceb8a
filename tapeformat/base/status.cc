#include "tapeformat/base/status.h"

#include <cstring>

#include <fmt/format.h>

namespace vtape {

Status Status::corrupt(uint64_t offset, std::string expected, std::string found) {
  Status s(StatusCode::kCorrupt, "");
  s.has_offset_ = true;
  s.offset_ = offset;
  s.expected_ = std::move(expected);
  s.found_ = std::move(found);
  return s;
}

Status Status::io_error(std::string what, int sys_errno) {
  Status s(StatusCode::kIoError, fmt::format("{}: {}", what, std::strerror(sys_errno)));
  s.sys_errno_ = sys_errno;
  return s;
}

Status Status::io_error_described(std::string what, int sys_errno) {
  Status s(StatusCode::kIoError, std::move(what));
  s.sys_errno_ = sys_errno;
  return s;
}

Status Status::no_space(std::string what) {
  Status s(StatusCode::kNoSpace, fmt::format("{}: {}", what, std::strerror(ENOSPC)));
  s.sys_errno_ = ENOSPC;
  return s;
}

Status Status::invalid_argument(std::string what) {
  return Status(StatusCode::kInvalidArgument, std::move(what));
}

Status Status::not_supported(std::string what) {
  return Status(StatusCode::kNotSupported, std::move(what));
}

Status Status::not_found(std::string what) { return Status(StatusCode::kNotFound, std::move(what)); }

std::string Status::message() const {
  if (code_ == StatusCode::kOk) return "ok";
  if (code_ == StatusCode::kCorrupt) {
    return fmt::format("at byte {}: expected {}, found {}", offset_, expected_, found_);
  }
  return text_;
}

std::string Status::message_for(const std::string& file) const {
  return fmt::format("{}: {}", file, message());
}

}  // namespace vtape
