// The feed: records and filemarks that a receiver on this host hands to a
// drive of the running vtapefs over its control socket (issue 18; the
// daemon's side is drive_feed.h, the receiver's FeedClient in
// feed_client.h).  Local IPC, not the ssh stream protocol.
//
// The connection starts as every control request does, with one line:
//   "feed-cartridge VOLSER FORMAT OVERWRITE DOOR"
//       FORMAT: a format name (for a cartridge made here; an existing one
//       must be in it) or "-"; OVERWRITE: never|always|append; DOOR: the
//       rest of the line, the name `vtape status` shows for the drive.
//   "feed-drive DRIVE"
//       the cartridge already in that drive of the mount, written at its end
//       of data while the mount's door may read it (TapeDrive::attach_feed).
// The daemon answers "ok OBJECTS_BEFORE DRIVE\n" (or "error MESSAGE\n" and
// closes), and from then on the client sends frames:
//   'R' LENGTH(4 bytes, little-endian, 1 to kMaxFeedRecord) DATA  a record
//   'F'                                                          a filemark
//   'S'   sync: the daemon answers "ok N\n" once the N objects (records and
//         filemarks) this feed wrote are on stable storage
//   'E'   the end of a complete stream: the drive is closed as close(2)
//         closes it after writing (a filemark after records); "ok N\n"
// End of file before 'E' (the sender vanished) leaves the tape synced
// with no filemark added, answered "ok N\n" if the client still listens.
// Any bad frame or refused write is answered "error MESSAGE\n" (naming the
// byte offset in the feed), or "nospace MESSAGE\n" for a record refused at
// the end of the medium or on a full disk, and ends the feed the same way.
// Records are not acknowledged one by one: the client learns of a refusal
// when it next sends or syncs.
#pragma once

#include <cstdint>

namespace vtape {

inline constexpr uint32_t kMaxFeedRecord = 16u << 20;

enum class FeedFrame : uint8_t {
  kRecord = 'R',
  kFilemark = 'F',
  kSync = 'S',
  kEnd = 'E',
};

}  // namespace vtape
