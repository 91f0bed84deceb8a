// Walks a whole image from the beginning, object by object, for the tools
// that look at everything (dump, verify, convert, info).  Without salvage the
// walk stops at the first damage; with salvage it reports the damaged region
// and goes on at the next offset where a well-formed object starts.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "tapeformat/tape_image.h"

namespace vtape {

struct DamagedRegion {
  uint64_t start = 0;  // first byte that could not be read
  uint64_t end = 0;    // where reading resumed (the file size if it never did)
  Status error;        // what was wrong at `start`
};

struct ScanOptions {
  bool salvage = false;
  bool read_data = true;  // false: only framing is checked (faster, no decompression)
};

struct ScanSummary {
  uint64_t records = 0;
  uint64_t filemarks = 0;
  uint64_t bytes = 0;          // record data, uncompressed
  uint64_t error_records = 0;  // SIMH records flagged as read with an error
  uint64_t end_offset = 0;     // where the recorded data ends
  std::vector<DamagedRegion> damage;
  bool clean() const { return damage.empty(); }
};

// Called for every record and filemark; `data` is null unless read_data.
// `position` is the position before the object.  Return false to stop.
using ObjectVisitor = std::function<bool(const TapeObject& obj, const TapePosition& position,
                                         const std::vector<uint8_t>* data)>;
// Called for every damaged region as soon as it is known.
using DamageVisitor = std::function<void(const DamagedRegion& region)>;

Status scan_image(TapeImage& tape, const ScanOptions& options, const ObjectVisitor& on_object,
                  const DamageVisitor& on_damage, ScanSummary* summary);

}  // namespace vtape
