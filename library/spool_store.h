// SpoolStore: the spool of a library: spool files archived as tape files on
// the library's spool cartridge and recorded in the catalog's spool tables.
// Used by the vtapefs daemon (spool devices), by `vtape spool` and by
// anything else that puts spool files in or takes them out (restore):
//   select rows:         catalog().select(SpoolCriteria, &rows)
//   read one:            read(row, &file) (records + metadata), content(row, &bytes)
//   into a user's rdr:   send_to_reader(file, user, &row)
//
// The spool cartridge is an ordinary cartridge of the library, SPOOL1
// unless $VTAPE_SPOOL_VOLSER names another, made on first use (SIMH, the
// default capacity); it must not be loaded into a drive.  Spool files are
// only ever appended to it.  Appending is serialised between threads (a
// mutex) and between processes (an flock on DIR/spool.lock), so the daemon
// and `vtape spool load` may both write while the other runs.
//
// Crash safety: a spool file is first written to the cartridge (header,
// records, filemark, fdatasync, with the SIMH end guard on while writing),
// and only then recorded in the catalog.  A process killed while writing
// leaves at most a tape file without its filemark at the end of the
// cartridge and no catalog row; the next append (and recover(), which the
// daemon runs at start) cuts it off.  A spool file that does not fit on
// the cartridge fails with kNoSpace before anything is written.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "library/tape_library.h"
#include "index/catalog.h"
#include "index/spool_catalog.h"
#include "index/spool_tape_file.h"

namespace vtape {

inline constexpr const char* kDefaultSpoolVolser = "SPOOL1";

class SpoolStore {
 public:
  // The spool cartridge's volser: $VTAPE_SPOOL_VOLSER if set and valid, else
  // SPOOL1.
  static std::string default_volser();

  SpoolStore(TapeLibrary& library, Catalog& catalog, std::string volser = default_volser());

  const std::string& volser() const { return volser_; }
  SpoolCatalog& catalog() { return spool_catalog_; }
  TapeLibrary& library() { return library_; }

  // Archives a new spool file and records it.  The spoolid is
  // file.meta.spoolid when that is set and free for the owner, else the
  // next free one; `row` gets the recorded row (spoolid and id included).
  // Errors: kNoSpace (the cartridge is full, nothing written),
  // kInvalidArgument (the spool cartridge is in a drive), I/O errors.
  Status archive(const SpoolFile& file, SpoolFileRow* row);
  // The same with the records streamed from `records` (as many as
  // meta.records), so that no file needs to be in memory whole.
  Status archive(const SpoolMetadata& meta, const SpoolRecordSource& records, SpoolFileRow* row);
  // A spool file that got more data after it was archived (written on
  // after a close through another descriptor): its new content is
  // archived as a new tape file and the row points there.
  Status rearchive(const SpoolMetadata& meta, const SpoolRecordSource& records, SpoolFileRow* row);
  // Puts a copy of a spool file (read with read(), or from an image) into
  // `user`'s reader: archived anew with owner `user` and queue rdr, keeping
  // its identity (unique id and open time, so --nodup knows it) and taking
  // a spoolid of `user`'s (the old one if free).  Safe while vtapefs runs: the reader shows it at once.  This
  // is how files are sent to a reader (vtape spool load --queue rdr,
  // restore --to-spool).
  Status send_to_reader(const SpoolFile& file, const std::string& user, SpoolFileRow* row);
  // Attributes changed after archiving (the row's metadata is taken as is).
  Status update(const SpoolFileRow& row);
  Status purge(const SpoolFileRow& row);

  // Reads a cataloged spool file from its cartridge: the records from the
  // tape, the metadata from the catalog row (it may have changed since).
  // Corrupt when the tape file there is not that spool file.
  Status read(const SpoolFileRow& row, SpoolFile* out);
  // The bytes it reads back as.
  Status content(const SpoolFileRow& row, std::string* out);

  // Cuts a torn spool tape file (no filemark) off the end of the spool
  // cartridge, if there is one.
  Status recover();

  // The event log (catalog events table, volume = the spool cartridge).
  void log_event(const std::string& kind, const std::string& detail);

 private:
  Status cartridge(bool create, Cartridge* out);
  Status append_locked(const SpoolMetadata& meta, const SpoolRecordSource& records, uint64_t* file_number,
                       uint64_t* offset);
  Status open_at_end(const Cartridge& c, std::unique_ptr<TapeImage>* out);
  // Called by open_at_end, at the end of the image's last whole tape file.
  Status cut_uncataloged_tape_file(const Cartridge& c, TapeImage& image);

  TapeLibrary& library_;
  Catalog& catalog_;
  SpoolCatalog spool_catalog_;
  std::string volser_;
  std::mutex mu_;
};

// Holds the cross-process spool lock (flock on DIR/spool.lock) while alive.
class SpoolLock {
 public:
  explicit SpoolLock(const TapeLibrary& library);
  ~SpoolLock();
  SpoolLock(const SpoolLock&) = delete;
  SpoolLock& operator=(const SpoolLock&) = delete;
  Status status() const { return status_; }

 private:
  int fd_ = -1;
  Status status_;
};

}  // namespace vtape
