#include "tapeformat/tape_motion.h"

namespace vtape {

Status space_records_forward(TapeImage& tape, uint64_t count, Motion* motion) {
  *motion = Motion{};
  while (motion->done < count) {
    TapeObject obj;
    VTAPE_RETURN_IF_ERROR(tape.read(&obj, nullptr));
    if (obj.kind != ObjectKind::kRecord) {
      motion->stopped_at = obj.kind;
      return Status::ok();
    }
    ++motion->done;
  }
  return Status::ok();
}

Status space_records_backward(TapeImage& tape, uint64_t count, Motion* motion) {
  *motion = Motion{};
  while (motion->done < count) {
    TapeObject obj;
    VTAPE_RETURN_IF_ERROR(tape.step_back(&obj));
    if (obj.kind != ObjectKind::kRecord) {
      motion->stopped_at = obj.kind;
      return Status::ok();
    }
    ++motion->done;
  }
  return Status::ok();
}

Status space_files_forward(TapeImage& tape, uint64_t count, Motion* motion) {
  *motion = Motion{};
  while (motion->done < count) {
    TapeObject obj;
    VTAPE_RETURN_IF_ERROR(tape.read(&obj, nullptr));
    if (obj.kind == ObjectKind::kFilemark) ++motion->done;
    if (obj.kind == ObjectKind::kEndOfData) {
      motion->stopped_at = obj.kind;
      return Status::ok();
    }
  }
  return Status::ok();
}

Status space_files_backward(TapeImage& tape, uint64_t count, Motion* motion) {
  *motion = Motion{};
  while (motion->done < count) {
    TapeObject obj;
    VTAPE_RETURN_IF_ERROR(tape.step_back(&obj));
    if (obj.kind == ObjectKind::kFilemark) ++motion->done;
    if (obj.kind == ObjectKind::kBeginningOfTape) {
      motion->stopped_at = obj.kind;
      return Status::ok();
    }
  }
  return Status::ok();
}

}  // namespace vtape
