// The doors onto a drive that speak <sys/mtio.h> (the mount's ioctls, vtape
// rmt's I and S): MTIOCTOP's operation numbers become the drive's neutral
// operations (library/tape_operation.h) and DriveStatus becomes MTIOCGET's
// packed words, here and nowhere else.
#pragma once

#include <cstdint>

#include "library/drive_error.h"
#include "library/tape_drive.h"
#include "library/tape_operation.h"

namespace vtape {

// The operation an MTIOCTOP number asks for, or the error st answers for
// one the drive has no counterpart to (ENOSYS for MTRESET, MTTELL and the
// self-tests; EINVAL for setmarks and partitions): kNone then *op is set.
// A number nobody knows maps to TapeOp::kUnknown, which the drive answers.
DriveError mt_operation_of(int mt_op, TapeOp* op);
// MTSETDRVBUFFER's count: its top four bits say what the rest is (st's
// MT_ST_OPTIONS).  Booleans that name buffer-writes (MT_ST_BOOLEANS sets
// every boolean to the bits given, MT_ST_SETBOOLEANS sets, and
// MT_ST_CLEARBOOLEANS clears the bits given) become kSetBufferedWrites with
// *value 1 or 0; everything else (a drive buffer size, other options) stays
// kSetDriveBuffer, accepted and ignored.
TapeOp mt_drive_buffer_operation(int count, int* value);
// MTIOCTOP on a drive: mt_operation_of, then the drive.
DriveError mt_operation(TapeDrive& drive, int mt_op, int count);

// mt_gstat: the GMT_* bits of the drive's state.
uint32_t mt_gstat(const DriveStatus& st);
// mt_dsreg: density in the top byte, block size (0: variable) below.
uint32_t mt_dsreg(const DriveStatus& st);

}  // namespace vtape
