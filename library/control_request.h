// A control request line (control_protocol.h) read into what it asks for,
// with every argument checked: text in, a parsed request or the error to
// answer out.  Nothing is done here (no library, no drive is touched), so
// DriveService::handle_control only dispatches, and the parser can be
// fuzzed (tests/fuzz/fuzz_control.cc) and tested on its own.
//
// The feed requests ("feed-cartridge", "feed-drive") keep their connection
// and are read by drive_feed.cc; the migration requests are only recognised
// here (their words go to MigrationService::handle, which reads them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tapeformat/base/status.h"

namespace vtape {

enum class ControlVerb { kStatus, kLoad, kUnload, kProtect, kSnapshot, kRemove, kMigration };

struct ControlRequest {
  ControlVerb verb = ControlVerb::kStatus;
  std::string status_form;  // status: "", "text" or "json"
  int drive = -1;           // status (-1: every drive), load, unload: a drive of the mount
  std::string volser;       // load, protect, snapshot, remove: as the client wrote it
  std::string new_volser;   // snapshot: empty when not given
  uint64_t max_rate = 0;    // snapshot: bytes a second at most, 0 when not given
  bool protect = false;     // protect: 1 sets, 0 clears
  std::vector<std::string> words;  // the request's words (a migration request: all it has)
};

// Reads `line` (one request line, without its newline) for a mount with
// `drive_count` drives.  On error, the Status's message is what the daemon
// answers after "error " (it names the word that is wrong and what was
// expected); `*request` is then unspecified.
Status parse_control_request(const std::string& line, int drive_count, ControlRequest* request);

// "max-rate=BYTES" (snapshot and migrate): BYTES a decimal number of bytes
// a second, kMinCopyRate (1 MiB/s, copy_pace.h) or more.  nullopt: the word is not one (`*error` says why
// when it begins with "max-rate=").
std::optional<uint64_t> parse_max_rate_word(const std::string& word, std::string* error);

}  // namespace vtape
