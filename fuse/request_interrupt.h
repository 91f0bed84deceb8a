// For a door of the mount that waits (a read of a drive that a feed
// writes, library/tape_drive.h): whether the FUSE request this thread
// serves was given up, so that the wait ends instead of holding a FUSE
// thread for ever.  The mount's tree knows no FUSE: the FUSE adapter
// registers how to tell when it starts; without it (the router's unit
// test) no request is ever given up.
#pragma once

namespace vtape {

using RequestAbandonedCheck = bool (*)();
void set_request_abandoned_check(RequestAbandonedCheck check);

// The caller was interrupted (a reader killed while it waits: the kernel
// sends FUSE_INTERRUPT) or the mount is stopping.
bool fuse_request_abandoned();

}  // namespace vtape
