// Where `vtape receive` writes a stream: the one function that picks the
// StreamTarget (library/stream_target.h) for a cartridge of a library.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "library/stream_target.h"
#include "tapeformat/tape_format.h"

namespace vtape {

// Opens `volser` of the library at `library_dir` for a stream, the tape
// where `overwrite` says: a cartridge this process drives through a
// CartridgeDoor when no vtapefs serves the library, else a free drive of
// that vtapefs through its control socket (a feed, library/feed_client.h),
// so several receives into one library run at once.  *busy is set when
// another door holds the library for a moment (a receive that has not
// noticed its connection broke): worth trying again.
Status open_stream_target(const std::string& library_dir, const std::string& volser, std::optional<Format> format,
                          StreamOverwrite overwrite, const std::string& door_name,
                          std::unique_ptr<StreamTarget>* out, bool* busy);

// The cartridge in drive `drive` of the vtapefs serving the library, fed
// at its end of data while a program there may read the drive
// (`vtape receive --to-drive`).  Refused unless that drive holds `volser`
// (the cartridge the sender names), and for kAlways (a feed only appends)
// or kNever on a tape that holds anything.
Status open_drive_stream_target(const std::string& library_dir, int drive, const std::string& volser,
                                StreamOverwrite overwrite, std::unique_ptr<StreamTarget>* out);

}  // namespace vtape
