// The open files of spool/ and saved/spool/: a spool file being written
// (SpoolWriter) and an archived one's content (SpoolContentFile).  The size
// of a file being written changes under the page cache: both are direct_io.
#pragma once

#include <memory>

#include "fuse/mount_subtree.h"
#include "fuse/spool_devices.h"
#include "fuse/spool_entries.h"
#include "fuse/spool_writer.h"

namespace vtape {

// A new spool file in prt/ or pun/, archived at close.
class SpoolWriterHandle : public OpenHandle {
 public:
  SpoolWriterHandle(std::shared_ptr<SpoolWriter> writer, SpoolDevices& devices)
      : writer_(std::move(writer)), devices_(devices) {}

  bool direct_io() const override { return true; }
  MountError write(std::span<const char> buf, off_t offset, size_t* done) override;
  // A spool file is archived before close returns.
  MountError flush() override { return MountError::of_view(writer_->flush()); }
  void release() override {
    writer_->release();
    devices_.released(writer_);
  }
  bool fstat(struct stat* st) override {
    *st = writer_->stat();
    return true;
  }

 private:
  std::shared_ptr<SpoolWriter> writer_;
  SpoolDevices& devices_;
};

// An archived spool file's content, read only.
class SpoolContentHandle : public OpenHandle {
 public:
  explicit SpoolContentHandle(std::unique_ptr<SpoolContentFile> content) : content_(std::move(content)) {}

  bool direct_io() const override { return true; }
  MountError read(std::span<char> buf, off_t offset, size_t* done) override;
  bool fstat(struct stat* st) override {
    *st = content_->stat_at_open();
    return true;
  }

 private:
  std::unique_ptr<SpoolContentFile> content_;
};

}  // namespace vtape
