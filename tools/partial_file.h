// The OUT.vtape-partial file an image restore or a conversion writes before
// renaming it to OUT.  OUT's directory may be writable by others (/tmp), so
// whatever sits at the partial name may have been planted there: a symbolic
// link to /etc/shadow, or a hard link to another file.  A new partial file
// is therefore created with O_CREAT|O_EXCL|O_NOFOLLOW, and only a regular
// file of our own with no other link is ever opened to be continued.
#pragma once

#include <string>

#include "tapeformat/base/status.h"

namespace vtape {

// Makes way for a new partial file at `path`: a regular file of ours (one
// an earlier run left) is removed; anything else there (a symbolic link,
// another user's file, a directory) is refused, naming what it is.  The
// caller then creates `path` with O_EXCL, so a name planted again in
// between is an error, never written through.
Status clear_partial_file(const std::string& path);
// clear_partial_file, then creates `path` for writing with
// O_CREAT|O_EXCL|O_NOFOLLOW; the caller closes *fd.
Status create_partial_file(const std::string& path, int* fd);
// Whether an interrupted run left a partial file at `path` (a link there
// counts: open_partial_for_resume then refuses it).
bool partial_file_exists(const std::string& path);
// Opens the partial file an interrupted run left, to continue it: O_RDWR
// and O_NOFOLLOW, and only a regular file owned by us with one link.
Status open_partial_for_resume(const std::string& path, int* fd);

}  // namespace vtape
