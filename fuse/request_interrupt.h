// For a door of the mount that waits (a read of a drive that a feed
// writes, library/tape_drive.h): whether the FUSE request this thread
// serves was given up, so that the wait ends instead of holding a FUSE
// thread for ever.  Implemented by the FUSE adapter.
#pragma once

namespace vtape {

// The caller was interrupted (a reader killed while it waits: the kernel
// sends FUSE_INTERRUPT) or the mount is stopping.
bool fuse_request_abandoned();

}  // namespace vtape
