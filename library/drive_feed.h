// The daemon's side of a feed (feed_protocol.h): a control request that
// keeps its connection and writes the records and filemarks that come on
// it to a drive, with the drive's own st rules (the catalog follows it as
// it follows the mount).
#pragma once

#include <optional>
#include <string>

#include "library/control_server.h"
#include "library/drive_service.h"

namespace vtape {

// The session of a "feed-cartridge" or "feed-drive" request (its answer,
// and the feed that follows on the connection); nullopt when `request` is
// no feed request.  Run under the control socket's one-request-at-a-time
// lock, so that picking a free drive and loading it is not raced by
// `load`/`unload`.
std::optional<ControlServer::Session> feed_session(DriveService& service, const std::string& request);

}  // namespace vtape
