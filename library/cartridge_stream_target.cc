#include "library/cartridge_stream_target.h"

#include <fmt/format.h>

namespace vtape {

CartridgeStreamTarget::CartridgeStreamTarget(std::unique_ptr<CartridgeDoor> door)
    : door_(std::move(door)), sink_(door_->lease(), door_->cartridge().volser) {}

CartridgeStreamTarget::~CartridgeStreamTarget() {
  // Never a filemark the sender did not ask for: a receiver that stops
  // without finish() leaves the tape as a broken stream does.
  Status s = finish(false);
  if (!s.is_ok()) fmt::print(stderr, "vtape: {}\n", s.message());
}

Status CartridgeStreamTarget::open(const std::string& library_dir, const std::string& volser,
                                   std::optional<Format> format, StreamOverwrite overwrite, const std::string& door,
                                   std::unique_ptr<CartridgeStreamTarget>* out, bool* served) {
  std::unique_ptr<CartridgeDoor> d;
  VTAPE_RETURN_IF_ERROR(CartridgeDoor::open(library_dir, volser, format, door, &d, served));
  std::unique_ptr<CartridgeStreamTarget> t(new CartridgeStreamTarget(std::move(d)));
  TapeDrive& drive = t->door_->lease().drive();
  std::string what = fmt::format("finding the end of data of {}", volser);
  VTAPE_RETURN_IF_ERROR(drive_error_status(drive.operation(TapeOp::kEndOfData, 1), what));
  uint64_t on_tape = drive.status().block_address;
  switch (overwrite) {
    case StreamOverwrite::kNever:
      if (on_tape != 0) {
        return Status::invalid_argument(fmt::format(
            "{} holds {} records and filemarks already (--overwrite=always writes over them, "
            "--overwrite=append after them)", volser, on_tape));
      }
      break;
    case StreamOverwrite::kAlways:
      VTAPE_RETURN_IF_ERROR(drive_error_status(drive.operation(TapeOp::kRewind, 1), "rewinding " + volser));
      on_tape = 0;
      break;
    case StreamOverwrite::kAppend: break;
  }
  t->objects_before_ = on_tape;
  *out = std::move(t);
  return Status::ok();
}

Status CartridgeStreamTarget::record(std::span<const uint8_t> data, bool error_flag) {
  VTAPE_RETURN_IF_ERROR(sink_.record(data, error_flag));
  ++objects_written_;
  return Status::ok();
}

Status CartridgeStreamTarget::filemark() {
  VTAPE_RETURN_IF_ERROR(sink_.filemark());
  ++objects_written_;
  return Status::ok();
}

Status CartridgeStreamTarget::sync() {
  return drive_error_status(door_->lease().drive().fsync(), fmt::format("syncing {}", door_->cartridge().volser));
}

Status CartridgeStreamTarget::finish(bool complete) {
  if (finished_) return Status::ok();
  finished_ = true;
  Status result;
  if (!complete) {
    // st's MTWEOF 0: what was written is on disk and the drive is no
    // longer writing, so the close that follows adds no filemark and a
    // resumed stream continues right after the last record.
    result = drive_error_status(door_->lease().drive().operation(TapeOp::kWriteFilemarks, 0),
                                fmt::format("syncing {}", door_->cartridge().volser));
  }
  Status closed = door_->finish();
  return result.is_ok() ? closed : result;
}

}  // namespace vtape
