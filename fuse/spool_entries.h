// What the spool/ and saved/spool/ trees of the mount share: how a spool
// file is named and shown there, its extended attributes, and an open
// spool file being read (its content is read from the spool cartridge
// when it is opened and kept for that open).
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "index/spool_catalog.h"

namespace vtape {

inline constexpr const char* kSpoolXattrPrefix = "user.spool.";

// "0007.REPORT.LISTING"
std::string spool_entry_name(const SpoolMetadata& m);
// Names for a directory of spool files: SPOOLID.NAME.TYPE, with "~OWNER"
// added where files of different owners would get the same name.
std::vector<std::pair<std::string, const SpoolFileRow*>> spool_directory_entries(const std::vector<SpoolFileRow>& rows);

class TapeLibrary;

// The mount has default_permissions: these owners and modes are what the
// kernel lets callers do.  A spool user's files and directories are the
// uid that spool user is (spool_user_of_uid reversed: the login name, or
// U and the number), else (a spool user who is nobody here) the library's
// owner's.
inline constexpr mode_t kSpoolFileMode = 0600;
inline constexpr mode_t kSpoolUserDirMode = 0700;
void spool_owner(const std::string& user, const TapeLibrary& library, uid_t* uid, gid_t* gid);
// A directory that is nobody's in particular: the library's, open to all.
void spool_dir_stat(struct stat* st, int64_t mtime, const TapeLibrary& library);
// A spool user's directory (spool/USER/ and its queues).
void spool_user_dir_stat(struct stat* st, int64_t mtime, const std::string& user, const TapeLibrary& library);
// A spool file: its owner's, kSpoolFileMode.
void spool_file_stat(struct stat* st, const SpoolMetadata& m, const TapeLibrary& library);

// Extended attributes of a spool file, as the FUSE operations want them:
// 0 or -errno.  "user.spool.NAME"; listxattr gives every name.
int spool_getxattr(const SpoolMetadata& m, const std::string& name, std::string* value);
std::string spool_listxattr();
// Validates and applies; -EINVAL (bad value, message in *why), -EPERM
// (read-only attribute), -ENOTSUP (not a spool attribute).
int spool_setxattr(SpoolMetadata& m, const std::string& name, const std::string& value, std::string* why);

class SpoolStore;

// An open spool file being read.
class SpoolContentFile {
 public:
  // Reads the content of `row` from the spool cartridge for an open of
  // `path` (named in the daemon's message when that fails): 0 or -errno.
  static int open(SpoolStore& store, const SpoolFileRow& row, const std::string& path,
                  std::unique_ptr<SpoolContentFile>* out);

  SpoolContentFile(std::string content, const struct stat& st) : content_(std::move(content)), stat_(st) {}
  int read(char* buf, size_t size, uint64_t offset) const;
  const struct stat& stat_at_open() const { return stat_; }

 private:
  std::string content_;
  struct stat stat_ {};
};

// Maps a Status to an errno for FUSE.
int spool_errno(const Status& s);

}  // namespace vtape
