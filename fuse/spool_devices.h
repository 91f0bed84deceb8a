// SpoolDevices: the spool/ tree of the mount, each user's virtual printer,
// punch and reader (man/vtapefs.8, "SPOOL DEVICES"):
//
//   /spool/                       the spool users: those added with `vtape
//                                 spool adduser`, owners of spool files,
//                                 and the calling user
//   /spool/USER/{prt,pun,rdr}/    USER's printer, punch and reader queues
//   .../prt/SPOOLID.NAME.TYPE     a spool file in the queue (read only;
//                                 unlink purges it)
//   .../prt/NAME.TYPE             creating one (or opening one for writing)
//                                 makes a new spool file, archived at close;
//                                 looking one up finds the file being
//                                 written under that name, else the newest
//                                 spool file of that name in the queue
//
// Spool files in rdr/ arrive by `vtape spool load --queue rdr` (or any
// other program using SpoolStore); the mount cannot write there.
//
// The caller's user id is the FUSE caller's login name, upper case (see
// spool_user_of_uid).  FUSE-free: returns 0 or -errno like the operations.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "fuse/spool_entries.h"
#include "library/spool_store.h"
#include "fuse/spool_writer.h"

namespace vtape {

// The spool user for a uid: its login name upper-cased when that is a valid
// user id, else "U" and the number (U1000).
std::string spool_user_of_uid(uid_t uid);
// This system's name for spool files' origin: the host name, upper case,
// letters and digits only, at most 8 (VTAPEFS when nothing is left).
std::string spool_system_name();

class SpoolDevices {
 public:
  static constexpr const char* kRoot = "/spool";

  SpoolDevices(SpoolStore& store, std::string system_name);

  int getattr(const std::string& path, const std::string& caller, struct stat* st);
  int readdir(const std::string& path, const std::string& caller,
              std::vector<std::pair<std::string, struct stat>>* entries);
  // A new spool file at `path` (prt/ or pun/).
  int create(const std::string& path, const std::string& caller, std::shared_ptr<SpoolWriter>* out);
  // An existing spool file for reading.
  int open_read(const std::string& path, const std::string& caller, std::unique_ptr<SpoolContentFile>* out);
  // Whether opening `path` for writing makes a new spool file.
  bool is_new_file_path(const std::string& path, const std::string& caller);
  int unlink(const std::string& path, const std::string& caller);
  int getxattr(const std::string& path, const std::string& caller, const std::string& name, std::string* value);
  int setxattr(const std::string& path, const std::string& caller, const std::string& name, const std::string& value);
  int listxattr(const std::string& path, const std::string& caller, std::string* names);
  // The writer's last descriptor is closed.
  void released(const std::shared_ptr<SpoolWriter>& writer);

 private:
  struct Target {
    enum class Kind { kRoot, kUser, kQueue, kWriter, kFile } kind = Kind::kRoot;
    std::string user;
    SpoolQueue queue = SpoolQueue::kPrinter;
    std::string name;
    std::shared_ptr<SpoolWriter> writer;
    SpoolFileRow row;
  };
  int resolve(const std::string& path, const std::string& caller, Target* t);
  int user_exists(const std::string& user, const std::string& caller, bool* exists);
  std::shared_ptr<SpoolWriter> open_writer(const std::string& path);

  SpoolStore& store_;
  const std::string system_;
  const int64_t mounted_at_;
  std::mutex mu_;
  // Files being written, by path; the newest last.
  std::map<std::string, std::vector<std::shared_ptr<SpoolWriter>>> writers_;
};

}  // namespace vtape
