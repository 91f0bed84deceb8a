// DriveObserver: what a TapeDrive tells the parts that follow its tape (the
// catalog today, mirroring and migration next), so that the drive itself
// knows nothing of them.  The drive calls every observer it was given, in
// the order given, with its mutex held: an observer must not call back into
// the drive.
//
// A call that returns a Status is one the drive fails its caller on: a tape
// file the catalog cannot record is an error of the call that ends it (the
// filemark, close(2), the rewind), ENOSPC for kNoSpace and EIO otherwise, as
// st reports a failed flush.  The tape keeps what was written either way.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "library/tape_library.h"
#include "tapeformat/base/status.h"
#include "tapeformat/tape_object.h"

namespace vtape {

// Where each tape file of an image begins: file number -> byte offset.
using TapeFileOffsets = std::map<uint64_t, uint64_t>;

class DriveObserver {
 public:
  virtual ~DriveObserver() = default;

  // A cartridge went into the drive (its image is open at BOT).  Observers
  // are given to the drive before cartridges are loaded.
  virtual void loaded(const Cartridge& cartridge) = 0;
  // The cartridge is about to come out (after stopped()).
  virtual void unloading() = 0;

  // The drive is about to change the image (a record, a filemark, an
  // erase).  An error stops the change: the drive fails the call rather
  // than write what an observer cannot follow.
  virtual Status changing() = 0;
  // Writing starts at `at` (before its first record or filemark); the
  // tape file it belongs to is the one being written until stopped() or
  // erased().  `at.block` is not 0 when writing starts in the middle of a
  // tape file (tar -r), -1 when the drive does not know where.
  virtual void tape_file_begins(const TapePosition& at) = 0;
  // One record, as written to the image.
  virtual void record(std::span<const uint8_t> data) = 0;
  // A filemark went onto the image (synced) and ends the tape file being
  // written; the next one begins at `after`, its first block.
  virtual Status filemark(const TapePosition& after, uint64_t image_size) = 0;
  // Writing stopped without a filemark (a read, motion, close or unload
  // after writing): the tape file written so far ends at `image_size`.
  virtual Status stopped(uint64_t image_size) = 0;
  // MTERASE at `at`: the image was cut there and the tape now ends there.
  virtual Status erased(const TapePosition& at, uint64_t image_size) = 0;

  // The drive goes on with a copy of its image (vtape migrate): the
  // cartridge now names the copy's path and format.  The objects are the
  // same; byte offsets of the old image mean nothing in the new one:
  // `file_offsets` says where each tape file begins in the copy (a tape
  // file being written across the switch began in the old image).
  virtual void image_replaced(const Cartridge&, const TapeFileOffsets& /*file_offsets*/) {}

  // Something worth a line in a log ("error": damage found at load).
  virtual void event(const std::string& kind, const std::string& detail) = 0;
};

}  // namespace vtape
