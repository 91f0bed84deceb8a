#include "library/drive_record_sink.h"

#include <fmt/format.h>

namespace vtape {

Status drive_error_status(DriveError e, const std::string& what) {
  if (e == DriveError::kNone) return Status::ok();
  if (e == DriveError::kNoSpace) return Status::no_space(fmt::format("{}: {}", what, describe(e)));
  // Status::io_error appends strerror; describe() says it in the drive's words first.
  return Status::io_error(fmt::format("{}: {}", what, describe(e)), to_errno(e));
}

DriveRecordSink::DriveRecordSink(DriveLease& lease, std::string volser, const std::atomic<bool>* cancel)
    : lease_(lease), volser_(std::move(volser)), cancel_(cancel) {}

Status DriveRecordSink::cancelled() const {
  if (cancel_ && cancel_->load()) return Status::io_error(fmt::format("stopped writing {}", volser_), EINTR);
  return Status::ok();
}

Status DriveRecordSink::failed(DriveError e, const char* doing) const {
  return drive_error_status(e, fmt::format("{} {} in drive {}", doing, volser_, lease_.number()));
}

Status DriveRecordSink::record(std::span<const uint8_t> data, bool error_flag) {
  VTAPE_RETURN_IF_ERROR(cancelled());
  if (error_flag) ++lost_error_flags_;
  return failed(lease_.drive().write(data), "writing a record to");
}

Status DriveRecordSink::filemark() {
  VTAPE_RETURN_IF_ERROR(cancelled());
  return failed(lease_.drive().operation(TapeOp::kWriteFilemarks, 1), "writing a filemark to");
}

}  // namespace vtape
