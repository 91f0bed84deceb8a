// A point-in-time copy of a cartridge (vtape snapshot, issue 19,
// man/vtape-snapshot.1): what the tape held when it was taken, at a record
// boundary (the drive's buffer written out under its mutex: every record
// acknowledged before), even while a program goes on writing.  The copy
// is made with the migration's ImageCopier; a cut of the tape while it
// copies (a rewrite after positioning) makes the copy follow it, so the
// snapshot is then the tape as it was at the end of the copy.  It becomes
// a cartridge of its own, write-protected and cataloged with its tape
// files' digests.
#pragma once

#include <atomic>
#include <string>

#include "index/catalog.h"
#include "library/image_copier.h"
#include "library/tape_drive.h"
#include "library/tape_library.h"

namespace vtape {

struct SnapshotReport {
  std::string volser;      // of the snapshot
  std::string image_path;
  uint64_t image_size = 0;
  CopyCounts counts;
  bool followed_cut = false;
  double longest_hold_ms = 0;
};

// `new_volser` empty: the first free of SN0001 to SN9999.  `max_rate`:
// bytes a second the copy reads at most (0: no limit; the short copies
// under the drive's mutex are never held back).  `drive`: the drive that
// holds `volser`, or null.  `catalog`: the library's catalog.  `stop`
// set (the daemon's client hung up, client_hangup_watch.h): the copy
// stops and the half-made snapshot is removed, image and cartridge.
Status snapshot_cartridge(TapeLibrary& library, Catalog& catalog, const std::string& volser,
                          const std::string& new_volser, uint64_t max_rate, TapeDrive* drive, SnapshotReport* out,
                          const std::atomic<bool>* stop = nullptr);

// The report as "key value" lines (the daemon's answer), and back.
std::string snapshot_report_text(const SnapshotReport& report);
SnapshotReport parse_snapshot_report(const std::string& text);

}  // namespace vtape
