// library/: a read-only view of each cartridge's image, VOLSER.EXT.
#pragma once

#include <optional>
#include <string>

#include "fuse/mount_subtree.h"
#include "library/tape_library.h"

namespace vtape {

class VtapeFs;

class LibrarySubtree : public MountSubtree {
 public:
  explicit LibrarySubtree(VtapeFs& fs) : fs_(fs) {}

  MountError getattr(const MountRequest& r, struct stat* st) override;
  MountError readdir(const MountRequest& r, const DirFiller& fill) override;
  MountError open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) override;

 private:
  // "VOL001.tap" -> the cartridge whose image it is.
  std::optional<Cartridge> cartridge_of(const std::string& name) const;

  VtapeFs& fs_;
};

// An open image: its descriptor.
class ImageHandle : public OpenHandle {
 public:
  explicit ImageHandle(int fd) : fd_(fd) {}
  ~ImageHandle() override;
  ImageHandle(const ImageHandle&) = delete;
  ImageHandle& operator=(const ImageHandle&) = delete;

  MountError read(std::span<char> buf, off_t offset, size_t* done) override;

 private:
  int fd_;
};

}  // namespace vtape
