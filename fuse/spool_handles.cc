#include "fuse/spool_handles.h"

namespace vtape {

MountError SpoolWriterHandle::write(std::span<const char> buf, off_t offset, size_t* done) {
  if (offset < 0) return MountError::of_errno(EINVAL);
  int n = writer_->write(buf.data(), buf.size(), static_cast<uint64_t>(offset));
  if (n < 0) return MountError::of_view(n);
  *done = static_cast<size_t>(n);
  return {};
}

MountError SpoolContentHandle::read(std::span<char> buf, off_t offset, size_t* done) {
  return read_view_file(*content_, buf, offset, done);
}

}  // namespace vtape
