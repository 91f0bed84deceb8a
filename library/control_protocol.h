// The control socket between `vtape` and a running vtapefs daemon
// (DIR/vtapefs.sock, a Unix stream socket).  One request per connection:
// the client sends one line, the daemon answers and closes.
//
//   request:  "status [text|json] [DRIVE]" | "load DRIVE VOLSER" | "unload DRIVE"
//             | "protect VOLSER 0|1" | "remove VOLSER"  (DRIVE: a decimal drive number of the
//             mount; a word that is not one, or a word too many, is an error)
//             | "feed-cartridge VOLSER FORMAT OVERWRITE DOOR" | "feed-drive DRIVE"  (feed_protocol.h)
//             | "migrate ..." | "migrate-status VOLSER" | "migrate-abort VOLSER"  (migration_service.h)
//             | "snapshot VOLSER [NEWVOL] [max-rate=BYTES]"  (cartridge_snapshot.h)
//   answer:   "ok\n" followed by a payload (status json: one JSON document),
//             or "error MESSAGE\n"
// A feed request keeps its connection: after its answer line come the
// feed's frames (feed_protocol.h), until the client ends the feed.
// The request line must arrive within a few seconds (at most 4 KiB); the
// daemon serves several connections at once.
#pragma once

#include <string>

#include "tapeformat/base/status.h"

namespace vtape {

// Sends one request to the daemon of the library whose socket is given.
// kNotFound when no daemon is listening there.
Status control_request(const std::string& socket_path, const std::string& request, std::string* payload);

// A connected socket to the daemon (kNotFound when none listens), for a
// request that keeps its connection (a feed, FeedClient).
Status control_connect(const std::string& socket_path, int* fd);

}  // namespace vtape
