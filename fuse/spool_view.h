// SpoolView: the read-only saved/spool/ tree of the mount, every archived
// spool file (purged ones too) by the catalog:
//
//   /saved/spool/by-id/                 all of them
//   /saved/spool/by-owner/USER/         by owner
//   /saved/spool/by-class/C/            by class
//   /saved/spool/by-date/YYYY-MM-DD/    by the day they were opened (UTC)
//
// Entries are SPOOLID.NAME.TYPE (with ~OWNER where owners share a name);
// each reads as the spool file's content, and its metadata are the
// user.spool.* extended attributes.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuse/spool_entries.h"
#include "library/spool_store.h"

namespace vtape {

class SpoolView {
 public:
  static constexpr const char* kRoot = "/saved/spool";

  explicit SpoolView(SpoolStore& store);

  int getattr(const std::string& path, struct stat* st);
  int readdir(const std::string& path, std::vector<std::pair<std::string, struct stat>>* entries);
  int open(const std::string& path, std::unique_ptr<SpoolContentFile>* out);
  int getxattr(const std::string& path, const std::string& name, std::string* value);
  int listxattr(const std::string& path, std::string* names);

 private:
  // What a path names: a directory (its files, or its subdirectories) or
  // one file.
  struct Target {
    bool is_file = false;
    std::vector<std::string> subdirectories;  // for a directory of directories
    std::vector<SpoolFileRow> rows;           // for a directory of files
    SpoolFileRow row;                         // for a file
  };
  int resolve(const std::string& path, Target* t);

  SpoolStore& store_;
  const int64_t mounted_at_;
};

}  // namespace vtape
