#include "library/mtio_mapping.h"

#include <sys/mtio.h>

namespace vtape {
namespace {

// glibc's <sys/mtio.h> predates MTWEOFI (Linux 2.6.37).
#ifndef MTWEOFI
#define MTWEOFI 35
#endif

// mt_gstat bits (<sys/mtio.h> has them only as test macros).
constexpr uint32_t kGmtEof = 0x80000000;
constexpr uint32_t kGmtBot = 0x40000000;
constexpr uint32_t kGmtEot = 0x20000000;
constexpr uint32_t kGmtEod = 0x08000000;
constexpr uint32_t kGmtWrProt = 0x04000000;
constexpr uint32_t kGmtOnline = 0x01000000;
constexpr uint32_t kGmtDrOpen = 0x00040000;
constexpr uint32_t kGmtImRepEn = 0x00010000;

// MTSETDRVBUFFER's options (<linux/mtio.h>; glibc's header lacks them).
constexpr uint32_t kMtStOptions = 0xf0000000;
constexpr uint32_t kMtStBooleans = 0x10000000;
constexpr uint32_t kMtStSetBooleans = 0x30000000;
constexpr uint32_t kMtStClearBooleans = 0x40000000;
constexpr uint32_t kMtStBufferWrites = 0x1;

}  // namespace

TapeOp mt_drive_buffer_operation(int count, int* value) {
  auto bits = static_cast<uint32_t>(count);
  uint32_t kind = bits & kMtStOptions;
  bool names_buffer_writes = (bits & kMtStBufferWrites) != 0;
  *value = count;
  if (kind == kMtStBooleans) {
    *value = names_buffer_writes ? 1 : 0;
    return TapeOp::kSetBufferedWrites;
  }
  if ((kind == kMtStSetBooleans || kind == kMtStClearBooleans) && names_buffer_writes) {
    *value = kind == kMtStSetBooleans ? 1 : 0;
    return TapeOp::kSetBufferedWrites;
  }
  return TapeOp::kSetDriveBuffer;
}

DriveError mt_operation_of(int mt_op, TapeOp* op) {
  switch (mt_op) {
    case MTNOP: *op = TapeOp::kNop; break;
    case MTFSF: *op = TapeOp::kSpaceFilesForward; break;
    case MTBSF: *op = TapeOp::kSpaceFilesBackward; break;
    case MTFSFM: *op = TapeOp::kSpaceFilesForwardToMark; break;
    case MTBSFM: *op = TapeOp::kSpaceFilesBackwardToMark; break;
    case MTFSR: *op = TapeOp::kSpaceRecordsForward; break;
    case MTBSR: *op = TapeOp::kSpaceRecordsBackward; break;
    case MTWEOF: *op = TapeOp::kWriteFilemarks; break;
    case MTWEOFI: *op = TapeOp::kWriteFilemarksImmediate; break;
    case MTREW: *op = TapeOp::kRewind; break;
    case MTRETEN: *op = TapeOp::kRetension; break;
    case MTOFFL:
    case MTUNLOAD: *op = TapeOp::kUnload; break;
    case MTLOAD: *op = TapeOp::kLoad; break;
    case MTEOM: *op = TapeOp::kEndOfData; break;
    case MTERASE: *op = TapeOp::kErase; break;
    case MTSEEK: *op = TapeOp::kLocate; break;
    case MTSETBLK: *op = TapeOp::kSetBlockSize; break;
    case MTSETDENSITY: *op = TapeOp::kSetDensity; break;
    case MTSETDRVBUFFER: *op = TapeOp::kSetDriveBuffer; break;
    case MTCOMPRESSION: *op = TapeOp::kSetCompression; break;
    case MTLOCK: *op = TapeOp::kLock; break;
    case MTUNLOCK: *op = TapeOp::kUnlock; break;
    case MTRESET:
    case MTTELL:
    case MTRAS1:
    case MTRAS2:
    case MTRAS3:
      return DriveError::kNotSupported;
    case MTFSS:
    case MTBSS:
    case MTWSM:
    case MTSETPART:
    case MTMKPART:
      return DriveError::kInvalidArgument;  // no setmarks, no partitions
    default: *op = TapeOp::kUnknown; break;
  }
  return DriveError::kNone;
}

DriveError mt_operation(TapeDrive& drive, int mt_op, int count) {
  TapeOp op = TapeOp::kUnknown;
  if (DriveError e = mt_operation_of(mt_op, &op); e != DriveError::kNone) return e;
  if (op == TapeOp::kSetDriveBuffer) op = mt_drive_buffer_operation(count, &count);
  return drive.operation(op, count);
}

uint32_t mt_gstat(const DriveStatus& st) {
  if (!st.loaded) return kGmtDrOpen;
  uint32_t g = kGmtOnline | kGmtImRepEn;
  if (st.at_bot) g |= kGmtBot;
  if (st.after_filemark) g |= kGmtEof;
  if (st.past_early_warning) g |= kGmtEot;
  if (st.at_end_of_data) g |= kGmtEod;
  if (st.write_protected) g |= kGmtWrProt;
  return g;
}

uint32_t mt_dsreg(const DriveStatus& st) { return (uint32_t(st.density) << 24) | (st.block_size & 0xFFFFFF); }

}  // namespace vtape
