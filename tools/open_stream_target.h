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
// where `overwrite` says.  Today: a cartridge this process drives through
// a CartridgeDoor.  When a vtapefs serves the library, kInvalidArgument
// saying so and *busy set (the daemon's feed is not wired in yet); *busy
// is set too when another door holds the library for a moment (a receive
// that has not noticed its connection broke): worth trying again.
Status open_stream_target(const std::string& library_dir, const std::string& volser, std::optional<Format> format,
                          StreamOverwrite overwrite, const std::string& door_name,
                          std::unique_ptr<StreamTarget>* out, bool* busy);

}  // namespace vtape
