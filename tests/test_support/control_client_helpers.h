// A raw client of a mounted vtapefs' control socket (DIR/vtapefs.sock), for
// the tests that play hostile or sloppy clients: it sends bytes exactly as
// given and reads whatever comes back, with none of the checks of the real
// client (library/control_client.cc), which would refuse to send them.
#pragma once

#include <string>

#include "tests/test_support.h"

namespace vtape::testing {

// DIR/vtapefs.sock of the mount's library.
std::string control_socket_path(const MountedVtapefs& vt);
// A client socket connected to the daemon's control socket; -1 (errno set)
// on failure.
int connect_control(const MountedVtapefs& vt);
// Everything the daemon sends on `fd` until it closes, waiting at most
// `limit_s` seconds.
std::string read_answer(int fd, double limit_s);
// Sends `bytes` as they are (no newline added) on a new connection, then
// reads the answer (at most `limit_s` seconds).  `close_after`: shuts the
// sending side, as a client that gives up.  "cannot connect: ..." when the
// daemon cannot be reached.
std::string send_raw(const MountedVtapefs& vt, const std::string& bytes, bool close_after = false,
                     double limit_s = 8);
// `vtape status` through the real client (given 10 s), and how long it took.
CommandResult timed_status(const MountedVtapefs& vt, double* took);

}  // namespace vtape::testing
