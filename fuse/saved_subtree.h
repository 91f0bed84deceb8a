// saved/: the read-only tree of the cataloged tape files and their members
// (SavedView, saved_view.h).  saved/spool/ inside it is SavedSpoolSubtree's.
#pragma once

#include <memory>

#include "fuse/mount_subtree.h"
#include "fuse/saved_view.h"

namespace vtape {

class VtapeFs;

class SavedSubtree : public MountSubtree {
 public:
  explicit SavedSubtree(VtapeFs& fs) : fs_(fs) {}

  MountError getattr(const MountRequest& r, struct stat* st) override;
  MountError readdir(const MountRequest& r, const DirFiller& fill) override;
  MountError open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) override;
  MountError readlink(const MountRequest& r, std::string* target) override;
  MountError setxattr(const MountRequest& r, const std::string& name, const std::string& value) override;

 private:
  VtapeFs& fs_;
};

// A tape file's data or a member, open.
class SavedFileHandle : public OpenHandle {
 public:
  explicit SavedFileHandle(std::unique_ptr<SavedFile> file) : file_(std::move(file)) {}

  MountError read(std::span<char> buf, off_t offset, size_t* done) override;
  bool fstat(struct stat* st) override {
    *st = file_->stat_at_open();
    return true;
  }

 private:
  std::unique_ptr<SavedFile> file_;
};

}  // namespace vtape
