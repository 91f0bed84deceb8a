// CartridgeStreamTarget: a StreamTarget (library/stream_target.h) on a
// cartridge the receiving process drives itself, through a CartridgeDoor,
// when no vtapefs serves the library.  The records go through a
// DriveRecordSink, so the drive does what it does for the mount: st
// semantics, the catalog at every filemark.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "library/cartridge_door.h"
#include "library/drive_record_sink.h"
#include "library/stream_target.h"

namespace vtape {

class CartridgeStreamTarget : public StreamTarget {
 public:
  // Loads `volser` (made in `format` when the library lacks it) and puts
  // the tape where `overwrite` says: kNever refuses a cartridge holding
  // any record or filemark, kAlways writes from the beginning, kAppend at
  // the end of data.  `served`: as CartridgeDoor::open's.
  static Status open(const std::string& library_dir, const std::string& volser, std::optional<Format> format,
                     StreamOverwrite overwrite, const std::string& door, std::unique_ptr<CartridgeStreamTarget>* out,
                     bool* served = nullptr);
  ~CartridgeStreamTarget() override;

  Status record(std::span<const uint8_t> data, bool error_flag) override;
  Status filemark() override;
  uint64_t objects_before() const override { return objects_before_; }
  uint64_t objects_written() const override { return objects_written_; }
  Status sync() override;
  Status finish(bool complete) override;

 private:
  CartridgeStreamTarget(std::unique_ptr<CartridgeDoor> door);

  std::unique_ptr<CartridgeDoor> door_;
  DriveRecordSink sink_;
  uint64_t objects_before_ = 0;
  uint64_t objects_written_ = 0;
  bool finished_ = false;
};

}  // namespace vtape
