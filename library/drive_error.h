// The outcomes of drive operations that a caller sees as errors.  The FUSE
// adapter turns them into errno values through one table (drive_error.cc),
// following the Linux st driver (see st-semantics in the reference notes and
// man/vtapefs.8, "ERRORS").
#pragma once

namespace vtape {

enum class DriveError {
  kNone,
  kNoMedium,          // ENOMEDIUM: no cartridge loaded
  kBusy,              // EBUSY: the drive is already open
  kReadOnlyMedium,    // EROFS: blocking open for writing of a protected cartridge
  kWriteProtected,    // EACCES: write, WEOF or ERASE on a protected cartridge or O_RDONLY handle
  kNoSpace,           // ENOSPC: early warning, physical end, or a full disk
  kIo,                // EIO: filemark or end of data met while spacing; blank tape; damaged image
  kInvalidArgument,   // EINVAL: wrong size for fixed-block mode, unsupported partition ops
  kNotSupported,      // ENOSYS: MTRESET, MTTELL, unknown operations
  kBufferTooSmall,    // ENOMEM: the read buffer is smaller than the record
  kRecordTooLarge,    // EOVERFLOW: record larger than the image format can hold
  kInterrupted,       // EINTR: a read waiting for a feed was given up (the reader was interrupted)
};

int to_errno(DriveError e);
const char* describe(DriveError e);

}  // namespace vtape
