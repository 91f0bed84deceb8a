#include "library/drive_error.h"

#include <cerrno>

namespace vtape {

namespace {

struct Entry {
  DriveError error;
  int errno_value;
  const char* text;
};

// The one place drive outcomes become errno values.
constexpr Entry kTable[] = {
    {DriveError::kNone, 0, "ok"},
    {DriveError::kNoMedium, ENOMEDIUM, "no cartridge in the drive"},
    {DriveError::kBusy, EBUSY, "the drive is in use"},
    {DriveError::kReadOnlyMedium, EROFS, "the cartridge is write-protected"},
    {DriveError::kWriteProtected, EACCES, "writing is not allowed on this cartridge or handle"},
    {DriveError::kNoSpace, ENOSPC, "end of medium"},
    {DriveError::kIo, EIO, "input/output error"},
    {DriveError::kInvalidArgument, EINVAL, "invalid argument"},
    {DriveError::kNotSupported, ENOSYS, "operation not supported"},
    {DriveError::kBufferTooSmall, ENOMEM, "the buffer is smaller than the record"},
    {DriveError::kRecordTooLarge, EOVERFLOW, "record too large for the image format"},
    {DriveError::kInterrupted, EINTR, "interrupted while waiting for a feed"},
};

}  // namespace

int to_errno(DriveError e) {
  for (const auto& entry : kTable) {
    if (entry.error == e) return entry.errno_value;
  }
  return EIO;
}

const char* describe(DriveError e) {
  for (const auto& entry : kTable) {
    if (entry.error == e) return entry.text;
  }
  return "unknown";
}

}  // namespace vtape
