// What `vtape status` shows of a drive's mirror (vtapefs --mirror): the
// link to the remote library and how far behind it is.
#pragma once

#include <cstdint>
#include <string>

namespace vtape {

struct MirrorLinkStatus {
  std::string remote;   // the remote cartridge (PREFIX + volser), "" when none
  // "idle" (nothing written since the load), "connecting", "connected",
  // "caught up", "retrying", "not mirrored" (see reason)
  std::string link = "idle";
  std::string reason;   // why not mirrored, or the last break
  uint64_t objects_behind = 0;  // records and filemarks written here, not yet acknowledged there
  uint64_t bytes_behind = 0;    // record bytes of those (what the mirror knows of)
  std::string last_ack;         // ISO 8601 UTC of the last acknowledgement, "" before the first
};

}  // namespace vtape
