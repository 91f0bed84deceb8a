// The FUSE side of vtapefs: the fuse_operations table that turns requests
// into VtapeFs and TapeDrive calls.  Every request gets exactly one reply;
// errno values come only from drive_error.cc and system calls.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse3/fuse.h>

namespace vtape {

const fuse_operations& vtapefs_operations();

}  // namespace vtape
