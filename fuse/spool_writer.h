// SpoolWriter: a file being written in spool/USER/prt/ or pun/.  The bytes
// go to an unnamed temporary file in the library (O_TMPFILE: nothing is
// left behind by a crash); every close(2) (the FUSE flush) that follows
// writes turns what was written into records and archives the spool file
// (SpoolStore) before close returns, streaming from the temporary file to
// the cartridge (memory for a line and a block, not for the file).  A file closed with nothing written
// is archived (empty) at the release after the last close, since a shell
// closes its first descriptor before the program writes through the
// duplicate.  A refused write (a punch line longer than a card) means the
// file is not spooled at all.  Writes after a close through another
// descriptor of the same open archive the whole content again at the next
// close (the catalog row then points to the newer tape file).
//
// Thread-safe: FUSE may call it from several threads.
#pragma once

#include <sys/stat.h>

#include <mutex>
#include <optional>
#include <string>

#include "library/spool_store.h"

namespace vtape {

class SpoolWriter {
 public:
  // `meta` holds owner, origin, system, device, queue, names and defaults.
  static int create(SpoolStore& store, const SpoolMetadata& meta, std::shared_ptr<SpoolWriter>* out);
  ~SpoolWriter();

  // As the FUSE operations: bytes or 0, or -errno.
  int write(const char* buf, size_t size, uint64_t offset);
  int flush();
  // After the last close: archives what no flush did (an empty file).
  void release();
  struct stat stat() const;
  int getxattr(const std::string& name, std::string* value) const;
  int setxattr(const std::string& name, const std::string& value);

 private:
  SpoolWriter(SpoolStore& store, const SpoolMetadata& meta, int fd) : store_(store), meta_(meta), fd_(fd) {}
  int archive_locked();
  // Splits the temporary file into records (to `put`) and fills the record
  // fields of *m.
  Status split_content(const SpoolRecordSink& put, SpoolMetadata* m) const;
  void log(const std::string& what) const;

  SpoolStore& store_;
  mutable std::mutex mu_;
  SpoolMetadata meta_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint32_t punch_column_ = 0;
  bool checked_so_far_ = true;  // every write so far was an append (lines checked as they came)
  bool dirty_ = true;           // written (or never archived) since the last archive
  bool refused_ = false;        // a write was refused: the file is not spooled
  std::optional<SpoolFileRow> row_;
};

}  // namespace vtape
