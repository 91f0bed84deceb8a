// The spool tables of the catalog (spool_users, spool_files; schema in
// catalog_schema.h, documented in man/vtape-catalog.5), and selecting spool
// files by SPXTAPE-style criteria.
//
// A spool file row is the spool file: its metadata as it is now (attributes
// changed after it was archived are changed here, not on tape), and where
// its tape file is (volser, file number, byte offset of the header record).
// Purging a spool file marks the row; the tape file and the row stay, so the
// saved/spool views and dumps still find it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "index/spool_metadata.h"

namespace vtape {

struct SpoolFileRow {
  int64_t id = 0;  // the catalog's row id: unique in this library
  SpoolMetadata meta;
  std::string volser;          // the cartridge holding its tape file
  uint64_t file_number = 0;    // that tape file's number
  uint64_t image_offset = 0;   // byte offset of its header record in the image
  std::string archived_at;
  std::string purged_at;       // empty while it is in its queue
  bool purged() const { return !purged_at.empty(); }
};

// Criteria for spool files, AND-ed; an empty criterion matches everything.
struct SpoolCriteria {
  std::set<SpoolQueue> queues;           // empty: all
  std::set<std::string> owners;
  std::optional<uint32_t> spoolid_from;  // inclusive range
  std::optional<uint32_t> spoolid_to;
  std::set<char> classes;
  std::set<std::string> forms;
  std::set<std::string> dests;
  std::vector<std::string> name_patterns;  // any may match NAME.TYPE; * any characters, % one
  std::optional<int64_t> opened_from_us;   // inclusive
  std::optional<int64_t> opened_before_us; // exclusive
  std::optional<bool> held;                // user or system hold
  bool include_purged = false;

  bool matches(const SpoolMetadata& m, bool purged) const;
  bool matches(const SpoolFileRow& r) const { return matches(r.meta, r.purged()); }

  // The criteria options of `vtape spool` (and of anything else that takes
  // them): --queue prt|pun|rdr|all, --owner USER, --spoolid N or N-M,
  // --class C, --form F, --dest D, --name PATTERN, --date DAY or
  // FIRST..LAST (YYYY-MM-DD, UTC days of the open time, both inclusive,
  // either may be left out), --hold yes|no; a comma-separated value gives
  // alternatives.  kInvalidArgument with
  // a message for a bad value, kNotFound for an option that is not a
  // criterion.
  Status add(const std::string& option, const std::string& value);
  static const std::vector<std::string>& option_names();
};

// '*' any characters (also none), '%' exactly one; case does not count.
bool spool_name_matches(const std::string& pattern, const std::string& name);

class SpoolCatalog {
 public:
  explicit SpoolCatalog(Catalog& catalog) : catalog_(catalog) {}

  // Records a new spool file under row->meta.spoolid, which free_spoolid()
  // chose (it is written on tape too, so it is never changed here: a
  // spoolid taken meanwhile is an error, not a silent renumbering).  The row
  // id is written back.
  Status insert(SpoolFileRow* row);
  // Everything but the identity (owner, spoolid, unique id, open time).
  Status update(const SpoolFileRow& row);
  Status purge(int64_t id);
  Status get(int64_t id, SpoolFileRow* out);
  Status select(const SpoolCriteria& criteria, std::vector<SpoolFileRow>* out);
  // The spoolid for a new spool file of `owner` that wants `wanted` (0:
  // none in particular): `wanted` when it is free, else the next free one
  // after the owner's highest (wrapping at 9999).  kNoSpace when the owner
  // has all 9999.
  Status free_spoolid(const std::string& owner, uint32_t wanted, uint32_t* out);
  // Whether a spool file with this identity is in the catalog.
  Status has_identity(const SpoolMetadata& m, bool* out);
  // The spool users: added ones and every owner of a spool file.
  Status users(std::vector<std::string>* out);
  Status add_user(const std::string& user);

 private:
  Status next_spoolid(const std::string& owner, uint32_t wanted, uint32_t* out);
  Catalog& catalog_;
};

}  // namespace vtape
