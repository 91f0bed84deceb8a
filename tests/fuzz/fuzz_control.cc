// libFuzzer target: the control request parser (library/control_request.h)
// on the line a client sends the daemon's socket, as the server cuts it (up
// to the first newline), for mounts of 1 to 4 drives.  Nothing may crash or
// hang, and what the parser gives back must keep the promises handle_control
// relies on: a drive inside the mount, an error that is one line (the
// answer's protocol), a word for every argument it names.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "library/control_request.h"

namespace {

void check(bool promise) {
  if (!promise) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string line = text.substr(0, text.find('\n'));
  for (int drives = 1; drives <= 4; ++drives) {
    vtape::ControlRequest r;
    vtape::Status s = vtape::parse_control_request(line, drives, &r);
    if (!s.is_ok()) {
      check(!s.message().empty() && s.message().find('\n') == std::string::npos);
      continue;
    }
    check(!r.words.empty());
    switch (r.verb) {
      case vtape::ControlVerb::kStatus: check(r.drive >= -1 && r.drive < drives); break;
      case vtape::ControlVerb::kLoad: check(r.drive >= 0 && r.drive < drives && !r.volser.empty()); break;
      case vtape::ControlVerb::kUnload: check(r.drive >= 0 && r.drive < drives); break;
      case vtape::ControlVerb::kProtect:
      case vtape::ControlVerb::kSnapshot:
      case vtape::ControlVerb::kRemove: check(!r.volser.empty()); break;
      case vtape::ControlVerb::kMigration: check(r.words[0].rfind("migrate", 0) == 0); break;
    }
  }
  return 0;
}
