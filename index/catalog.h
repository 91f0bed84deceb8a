// Catalog: the SQLite catalog of a library (DIR/catalog.db, WAL mode):
// volumes, their tape files, the members inside them, and events.  The
// schema and statements are in catalog_schema.h; the schema is checked and
// migrated forward on open.  One Catalog is one connection; its methods are
// serialised by a mutex so drives on several threads can share it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "index/digest.h"
#include "index/find_statement.h"
#include "index/tape_member.h"
#include "tapeformat/base/status.h"

namespace vtape {

// One row of the events table (man/vtape-catalog.5).
struct EventRow {
  int64_t id = 0;
  std::string at;      // 2024-05-01T10:00:00Z
  std::string volser;  // empty: none
  int drive = -1;      // -1: none
  std::string kind;
  std::string detail;
};

struct VolumeRow {
  std::string volser;
  std::string image_path;
  std::string format;
  uint64_t capacity = 0;
  std::string created;
  std::string last_written;
  bool write_protected = false;
  std::string label_volser;
  std::string label_owner;
  uint64_t image_size = 0;
  uint64_t tape_files = 0;  // derived
  uint64_t bytes = 0;       // derived
  // A drive began changing the image and the catalog has not recorded the
  // change (a crash, or a commit that failed, came in between).
  bool write_pending = false;
  uint64_t file_number_end = 0;  // derived: highest file number + 1 (tape_files when none is missing)
};

struct TapeFileRow {
  uint64_t file_number = 0;
  uint64_t first_block = 0;   // block address (records and filemarks from BOT) of its first object
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint32_t smallest = 0;
  uint32_t largest = 0;
  uint64_t image_offset = 0;
  // The tape file's digest as lower-case hex, and its algorithm's name
  // (digest_name(): "xxh3-128", or "sha256" for every row cataloged
  // before schema version 8).  A check uses the algorithm the row names.
  std::string digest;
  std::string digest_algorithm = std::string(digest_name(kDefaultDigest));
  std::string written_at;
  bool closed_cleanly = false;  // ended by a filemark
  std::string content;
  std::string compression;      // gzip, bzip2, xz, zstd; empty when none (index/decompressor.h)
  std::string damage;
  uint64_t member_count = 0;    // derived
  // Still being written: its members so far are in the catalog (they
  // stream in), the rest of the row is not final (man/vtape-catalog.5).
  bool writing = false;
};

struct FoundMember {
  std::string volser;
  uint64_t file_number = 0;
  std::string kind;
  std::string path;
  uint64_t size = 0;
  int64_t mtime = 0;
};

// A found member as a search hands it to a visitor, without a string of its
// own (a search may find 100000 members): the texts last only as long as
// the call.
struct FoundMemberView {
  std::string_view volser;
  uint64_t file_number = 0;
  std::string_view kind;
  std::string_view path;
  uint64_t size = 0;
  int64_t mtime = 0;
};
// Called with the catalog locked: it must not call the catalog.
using FoundMemberVisitor = std::function<void(const FoundMemberView&)>;

// One tape file as the indexer or a drive learnt it.
struct CatalogedFile {
  TapeFileRow row;
  std::vector<TapeMember> members;
  std::vector<uint32_t> record_crcs;  // CRC-32C of each record (may be empty: not known)
  std::string label_volser;  // from a VOL1 label in this file, if any
  std::string label_owner;
};

class Catalog {
 public:
  static Status open(const std::string& path, std::unique_ptr<Catalog>* out);
  // For a reader who may not write the catalog (a user with read access
  // only): nothing is created or migrated, and every write fails.  A
  // catalog of an older schema needs one open with write access first.
  static Status open_read_only(const std::string& path, std::unique_ptr<Catalog>* out);
  ~Catalog();

  Status upsert_volume(const VolumeRow& v);
  // Replaces tape files from `from_file` on (the tape ends where it was
  // written) with `files`, and records the image size; one transaction.
  Status replace_files(const std::string& volser, uint64_t from_file, const std::vector<CatalogedFile>& files,
                       uint64_t image_size, const std::string& written_at);
  // A tape file whose members stream in while a drive writes it
  // (CatalogRecorder): the first batch replaces the tape files from
  // `file.row.file_number` on with a row marked writing (only its number,
  // first block and image offset are known) and adds its members; the
  // next batches add theirs; complete_streamed_file adds the last ones,
  // completes the row and records the image size, as replace_files would
  // have for the whole file.  Each call is one transaction; a row marked
  // writing is left only by a crash, on a volume still write_pending.
  Status stream_members(const std::string& volser, const TapeFileRow& row, bool first,
                        const std::vector<TapeMember>& members);
  Status complete_streamed_file(const std::string& volser, const CatalogedFile& file, uint64_t image_size,
                                const std::string& written_at);
  Status set_label(const std::string& volser, const std::string& label_volser, const std::string& owner);
  // A drive is about to change the volume's image: until replace_files
  // records the change, the volume is not to be trusted (VolumeRow::
  // write_pending; a mount re-indexes it).  *was_pending: it was set
  // already, by a change nobody recorded since.
  Status set_write_pending(const std::string& volser, bool* was_pending);
  Status add_event(const std::string& volser, int drive, const std::string& kind, const std::string& detail);
  // The volume's image moved (vtape migrate): its row, the offsets of its
  // tape files in the new image, and the event, in one transaction.  A
  // tape file's offset changes only where its row still has `old_offset`.
  struct MovedTapeFile {
    uint64_t file_number = 0;
    uint64_t old_offset = 0;
    uint64_t new_offset = 0;
  };
  Status record_image_move(const VolumeRow& v, const std::vector<MovedTapeFile>& files, int drive,
                           const std::string& kind, const std::string& detail);
  // The events with an id above `after_id` recorded at or after `since`
  // (a catalog time; empty: any), of `volser` when not empty, oldest first,
  // at most `limit` (0: all).
  Status events(int64_t after_id, const std::string& since, const std::string& volser, uint64_t limit,
                std::vector<EventRow>* out);
  Status delete_volume(const std::string& volser);

  Status volumes(std::vector<VolumeRow>* out);
  // One volume; *found is false when the catalog does not have it.
  Status volume(const std::string& volser, VolumeRow* out, bool* found);
  Status files(const std::string& volser, std::vector<TapeFileRow>* out);
  // The number of tape files `volser` has in the catalog (0 for an unknown volume).
  Status file_count(const std::string& volser, uint64_t* out);
  Status members(const std::string& volser, uint64_t file, std::vector<TapeMember>* out);
  // The CRC-32C of every record of a tape file, in order; empty when the
  // catalog has none for it.
  Status record_checksums(const std::string& volser, uint64_t file, std::vector<uint32_t>* out);
  // Members whose path matches `glob` (SQLite GLOB), in volume, tape file
  // and tape order; at most `limit` (0: all).
  Status find(const std::string& glob, const std::optional<std::string>& volser, const std::optional<int64_t>& since,
              uint64_t limit, std::vector<FoundMember>* out);
  // What `vtape find PATTERN` finds (index/find_pattern.h), in the same
  // order.  The visitor is called for each member once the search has read
  // them all (never when it fails).
  Status find_pattern(const FindRequest& request, std::vector<FoundMember>* out);
  Status find_pattern(const FindRequest& request, const FoundMemberVisitor& visit);

  // Puts up to `max_names` members' names that the trigram index lacks into
  // it, in one transaction (schema 11: inserting members leaves that for
  // later; a search is exact meanwhile, only slower for the names not yet
  // indexed).  *caught_up: the index now has every name.  Destroying a
  // Catalog that put members in catches the index up completely.
  Status catch_up_name_index(uint64_t max_names, bool* caught_up);
  // A good max_names: a transaction of a few tens of milliseconds.
  static constexpr uint64_t kNameIndexChunk = 20000;

  // What `vtape index check` finds wrong with the names behind vtape find
  // (member_names and its trigram index), one sentence each; none when they
  // are right: every member has its name and no name is without its
  // member, the trigram index's mark is a name's id (or 0) and its
  // structure is whole, and, when every name is indexed, it holds exactly
  // the names of member_names (that last part only on a connection that
  // may write: FTS5 takes the request as an INSERT).
  Status check_name_index(std::vector<std::string>* problems);
  // Remakes member_names from members and the trigram index from
  // member_names, every name indexed (vtape index rebuild).
  Status rebuild_name_index();

  // The algorithm of the digest of each tape file cataloged through this
  // connection from its bytes (a drive's recorder, an indexing of an
  // image): the library's setting, given by whoever opens the catalog for a
  // library (open_library_catalog, library/catalog_sync.h).
  DigestAlgorithm digest_for_new_files() const { return digest_for_new_files_; }
  void set_digest_for_new_files(DigestAlgorithm algorithm) { digest_for_new_files_ = algorithm; }

  // For bulk loads (tests, benchmarks): runs `sql` as is.
  Status exec(const std::string& sql);

 private:
  // The spool tables (spool_catalog.h) share this connection and its mutex.
  friend class SpoolCatalog;
  Catalog() = default;
  // The trigram index's mark and the highest name's id (mu_ held).
  Status name_index_lag(int64_t* mark, int64_t* highest);
  Status prepare(const char* sql, sqlite3_stmt** stmt);
  Status error(const char* what);
  Status migrate();
  Status insert_file(const std::string& volser, const CatalogedFile& f);
  // Binds a tape file's row to kInsertFile or kCompleteFile and runs it.
  Status write_file_row(const char* statement, const std::string& volser, const TapeFileRow& r);
  Status write_volume_row(const VolumeRow& v);
  Status insert_event(const std::string& volser, int drive, const std::string& kind, const std::string& detail);
  Status insert_members(const std::string& volser, uint64_t file_number, const std::vector<TapeMember>& members);
  Status insert_checksums(const std::string& volser, uint64_t file_number, const std::vector<uint32_t>& crcs);
  Status delete_files_from(const std::string& volser, uint64_t from_file);
  Status record_image_size(const std::string& volser, uint64_t image_size, const std::string& written_at);
  Status run_find(const FindStatement& statement, const FoundMemberVisitor& visit);

  sqlite3* db_ = nullptr;
  std::string path_;
  bool names_added_ = false;  // by this connection: the destructor indexes them
  DigestAlgorithm digest_for_new_files_ = kDefaultDigest;
  std::mutex mu_;
  std::map<const char*, sqlite3_stmt*> statements_;  // prepared once, reused
  // Searches, by their SQL: it varies with the kind of pattern and the
  // filters given, a few dozen shapes at most.
  std::map<std::string, sqlite3_stmt*> find_statements_;
};

// Current time as ISO 8601 UTC, the form the catalog stores.
std::string catalog_now();

}  // namespace vtape
