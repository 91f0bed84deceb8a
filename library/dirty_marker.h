// The .dirty marker beside a cartridge image that a drive writes to, and the
// repair it asks for when the cartridge is next loaded.
//
// The marker exists whenever the image on disk may hold anything that was
// not there at the last sync point (an end guard, records not yet synced):
// it is created, and on disk, before the first such change, and removed
// only once the image is a plain image again.  It records where the image
// ended at the last sync point ("unsynced after byte N"): everything before
// byte N was on disk and acknowledged.  A crash can tear only what lies
// after it, so that is all the repair may cut; damage before it is not from
// an interrupted write and is reported, never cut.
#pragma once

#include <cstdint>
#include <string>

#include "tapeformat/base/status.h"
#include "tapeformat/tape_image.h"

namespace vtape {

std::string dirty_marker_path(const std::string& image_path);

// Before the image changes after a sync point at byte `sync_point`: makes
// the marker (synchronised, with its directory, when it is new) or records
// the new sync point in the one there.
Status mark_unsynced(const std::string& image_path, uint64_t sync_point);

// At a sync point: records it in the marker, if there is one.  Not
// synchronised: an older sync point left on disk by a power loss is an
// earlier one, which only makes the repair cut less.
Status advance_sync_point(const std::string& image_path, uint64_t sync_point);

// Once the image is a plain image again, synchronised.
void remove_dirty_marker(const std::string& image_path);

bool has_dirty_marker(const std::string& image_path);

struct Recovery {
  bool cut = false;      // a torn tail after the last sync point was cut off
  bool damaged = false;  // damage (or an end) before the last sync point: nothing was cut
  std::string message;   // what was found, for the log; empty when there was nothing to say
};

// The repair at load of an image that has a marker (opened writable): reads
// the image to its last complete object and cuts there if that lies at or
// after the marker's sync point, then removes the marker.  Otherwise the
// image and the marker are left as they are and out->damaged is set: the
// cartridge must not be written until the image is repaired.  A marker
// that names no sync point (an older vtapefs, or made by hand) allows no
// cut at all.
Status recover_interrupted_write(const std::string& volser, TapeImage& image, Recovery* out);

}  // namespace vtape
