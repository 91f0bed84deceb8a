// The FUSE side of vtapefs: the fuse_operations table.  Each callback finds
// its path's subtree once (VtapeFs::router(), mount_router.h) or takes its
// open file (an OpenHandle in fi->fh), calls it, and turns the MountError
// it answers into the reply (mount_error.h: errno values come only from
// there).  Every request gets exactly one reply.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse3/fuse.h>

namespace vtape {

const fuse_operations& vtapefs_operations();

}  // namespace vtape
