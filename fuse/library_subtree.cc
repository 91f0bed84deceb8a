#include "fuse/library_subtree.h"

#include <fcntl.h>
#include <unistd.h>

#include "fuse/root_subtree.h"
#include "fuse/vtapefs.h"

namespace vtape {

std::optional<Cartridge> LibrarySubtree::cartridge_of(const std::string& name) const {
  auto dot = name.rfind('.');
  if (dot == std::string::npos) return std::nullopt;
  Cartridge c;
  if (!fs_.library().find(name.substr(0, dot), &c).is_ok()) return std::nullopt;
  if (c.image_path.substr(c.image_path.rfind('/') + 1) != name) return std::nullopt;
  return c;
}

MountError LibrarySubtree::getattr(const MountRequest& r, struct stat* st) {
  if (r.rest.empty()) {
    library_directory_stat(fs_, st);
    return {};
  }
  std::optional<Cartridge> c = cartridge_of(r.rest);
  if (!c) return MountError::of_errno(ENOENT);
  struct stat img {};
  if (stat(c->image_path.c_str(), &img) != 0) return MountError::of_errno(errno);
  // The library's, read only (see DrivesSubtree::getattr).
  const TapeLibrary& library = fs_.library();
  st->st_uid = library.owner();
  st->st_gid = library.group();
  st->st_mode = S_IFREG | (library.file_mode() & 0444);
  st->st_nlink = 1;
  st->st_size = img.st_size;
  st->st_mtim = img.st_mtim;
  return {};
}

MountError LibrarySubtree::readdir(const MountRequest& r, const DirFiller& fill) {
  if (!r.rest.empty()) return MountError::of_errno(ENOTDIR);
  for (const auto& c : fs_.library().list()) fill(c.image_path.substr(c.image_path.rfind('/') + 1), nullptr);
  return {};
}

MountError LibrarySubtree::open(const MountRequest& r, int flags, std::unique_ptr<OpenHandle>* out) {
  if (r.rest.empty()) return MountError::of_errno(EISDIR);
  std::optional<Cartridge> c = cartridge_of(r.rest);
  if (!c) return MountError::of_errno(ENOENT);
  if ((flags & O_ACCMODE) != O_RDONLY) return MountError::of_errno(EROFS);
  int fd = ::open(c->image_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MountError::of_errno(errno);
  *out = std::make_unique<ImageHandle>(fd);
  return {};
}

ImageHandle::~ImageHandle() { ::close(fd_); }

MountError ImageHandle::read(std::span<char> buf, off_t offset, size_t* done) {
  ssize_t n = pread(fd_, buf.data(), buf.size(), offset);
  if (n < 0) return MountError::of_errno(errno);
  *done = static_cast<size_t>(n);
  return {};
}

}  // namespace vtape
