#include "index/catalog.h"

#include "tapeformat/base/time_format.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "index/catalog_functions.h"
#include "index/catalog_schema.h"
#include "index/member_name.h"
#include "index/sqlite_support.h"

namespace vtape {
using sqlite::bind_blob;
using sqlite::bind_int;
using sqlite::bind_text;
using sqlite::column_int;
using sqlite::column_text;
using sqlite::StatementScope;
using sqlite::Transaction;

namespace {

// A row of kSelectVolumes or kSelectVolume.
VolumeRow volume_from(sqlite3_stmt* s) {
  VolumeRow v;
  v.volser = column_text(s, 0);
  v.image_path = column_text(s, 1);
  v.format = column_text(s, 2);
  v.capacity = static_cast<uint64_t>(column_int(s, 3));
  v.created = column_text(s, 4);
  v.last_written = column_text(s, 5);
  v.write_protected = column_int(s, 6) != 0;
  v.label_volser = column_text(s, 7);
  v.label_owner = column_text(s, 8);
  v.image_size = static_cast<uint64_t>(column_int(s, 9));
  v.tape_files = static_cast<uint64_t>(column_int(s, 10));
  v.bytes = static_cast<uint64_t>(column_int(s, 11));
  v.write_pending = column_int(s, 12) != 0;
  v.file_number_end = static_cast<uint64_t>(column_int(s, 13));
  return v;
}

// The members a search found, kept until they can be handed out in find's
// order (volume, tape file, then the order on the tape): their texts in
// chunks that never move, no string per member, so that 100000 of them cost
// a few allocations instead of 100000.  (One buffer grown as rows came
// copied all it held at each doubling and faulted in the new memory: a
// sixth of the time of a search of 100000 members.)
class FoundRows {
 public:
  void add(sqlite3_stmt* s) {
    Row r;
    r.volser = text(s, 0);
    r.kind = text(s, 2);
    r.path = text(s, 3);
    r.file_number = static_cast<uint64_t>(column_int(s, 1));
    r.size = static_cast<uint64_t>(column_int(s, 4));
    r.mtime = column_int(s, 5);
    r.id = column_int(s, 6);
    rows_.push_back(r);
  }

  void visit_in_find_order(const FoundMemberVisitor& visit) const {
    auto visit_row = [&](const Row& r) {
      FoundMemberView v;
      v.volser = r.volser;
      v.kind = r.kind;
      v.path = r.path;
      v.file_number = r.file_number;
      v.size = r.size;
      v.mtime = r.mtime;
      visit(v);
    };
    std::vector<size_t> order;
    if (!in_find_order(&order)) {
      for (size_t at : order) visit_row(rows_[at]);
      return;
    }
    for (const Row& r : rows_) visit_row(r);
  }

 private:
  struct Row {
    std::string_view volser, kind, path;  // in chunks_
    uint64_t file_number, size;
    int64_t mtime, id;
  };

  // The column's text, copied to the current chunk (a new one when it is
  // full: the texts already copied stay where they are).
  std::string_view text(sqlite3_stmt* s, int column) {
    const unsigned char* p = sqlite3_column_text(s, column);
    auto n = static_cast<size_t>(sqlite3_column_bytes(s, column));
    if (p == nullptr || n == 0) return {};
    if (n > chunk_size_ - chunk_used_) {
      chunk_size_ = std::max(kChunkSize, n);
      chunks_.emplace_back(new char[chunk_size_]);
      chunk_used_ = 0;
    }
    char* to = chunks_.back().get() + chunk_used_;
    std::memcpy(to, p, n);
    chunk_used_ += n;
    return {to, n};
  }

  // True when the rows came in find's order (a name search reads them in
  // id order, which is the order they were cataloged in: usually find's);
  // otherwise false, with `order` the rows' indexes in find's order.
  bool in_find_order(std::vector<size_t>* order) const {
    auto before = [](const Row& a, const Row& b) {
      if (int c = a.volser.compare(b.volser); c != 0) return c < 0;
      if (a.file_number != b.file_number) return a.file_number < b.file_number;
      return a.id < b.id;
    };
    bool sorted = true;
    for (size_t i = 1; i < rows_.size() && sorted; ++i) sorted = !before(rows_[i], rows_[i - 1]);
    if (sorted) return true;
    // Volumes are few: compare their ranks, not their names.
    std::unordered_map<std::string_view, uint64_t> rank_of;
    for (const Row& r : rows_) rank_of.try_emplace(r.volser, 0);
    std::vector<std::string_view> volumes;
    volumes.reserve(rank_of.size());
    for (const auto& [name, rank] : rank_of) volumes.push_back(name);
    std::sort(volumes.begin(), volumes.end());
    for (size_t i = 0; i < volumes.size(); ++i) rank_of[volumes[i]] = i;
    // The volume's rank and the tape file number in one integer when they
    // fit (always, in practice), so that a comparison is two integers.
    bool packable = std::all_of(rows_.begin(), rows_.end(), [](const Row& r) { return r.file_number <= UINT32_MAX; });
    struct Key {
      uint64_t volume_and_file;
      uint64_t file_number;  // only when the two do not fit in one integer
      int64_t id;
      size_t at;
      bool operator<(const Key& o) const {
        if (volume_and_file != o.volume_and_file) return volume_and_file < o.volume_and_file;
        if (file_number != o.file_number) return file_number < o.file_number;
        return id < o.id;
      }
    };
    std::vector<Key> keys;
    keys.reserve(rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) {
      const Row& r = rows_[i];
      uint64_t rank = rank_of[r.volser];
      if (packable) {
        keys.push_back({rank << 32 | r.file_number, 0, r.id, i});
      } else {
        keys.push_back({rank, r.file_number, r.id, i});
      }
    }
    std::sort(keys.begin(), keys.end());
    order->reserve(keys.size());
    for (const Key& k : keys) order->push_back(k.at);
    return false;
  }

  static constexpr size_t kChunkSize = 1 << 20;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_size_ = 0, chunk_used_ = 0;
  // A deque: it grows without moving the rows it holds.
  std::deque<Row> rows_;
};

FoundMember found_member(const FoundMemberView& v) {
  FoundMember m;
  m.volser = std::string(v.volser);
  m.file_number = v.file_number;
  m.kind = std::string(v.kind);
  m.path = std::string(v.path);
  m.size = v.size;
  m.mtime = v.mtime;
  return m;
}

// The catalog's application_id and user_version (the schema version); 0
// when the database has none.
void read_schema_ids(sqlite3* db, int* app, int* version) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
    *app = sqlite3_column_int(s, 0);
  }
  sqlite3_finalize(s);
  s = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
    *version = sqlite3_column_int(s, 0);
  }
  sqlite3_finalize(s);
}

// Makes a missing catalog file before SQLite does, so that it gets the
// read and write bits of its directory for owner and group and none for
// others (0600 in a private library, 0660 in one shared with a group),
// whatever the umask: the catalog lists other people's files.  SQLite
// gives the -wal and -shm files the mode of the database file.
Status create_catalog_file(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) return Status::ok();  // SQLite names the problem
  mode_t mode = st.st_mode & 0660;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return errno == EEXIST ? Status::ok() : Status::io_error(fmt::format("cannot create {}", path), errno);
  int e = fchmod(fd, mode) == 0 ? 0 : errno;
  ::close(fd);
  return e == 0 ? Status::ok() : Status::io_error(fmt::format("cannot set the mode of {}", path), e);
}

}  // namespace

std::string catalog_now() { return utc_now_iso8601(); }

Catalog::~Catalog() {
  // Whatever the trigram index still lacks goes in now when this
  // connection put members in (an import, a rebuild, a daemon unmounting),
  // so that the next search reads them from the index; a failure only
  // leaves them for the next time.  (A search never writes.)
  if (db_ != nullptr && names_added_) {
    bool caught_up = false;
    while (catch_up_name_index(kNameIndexChunk, &caught_up).is_ok() && !caught_up) {
    }
  }
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  for (auto& [sql, stmt] : find_statements_) sqlite3_finalize(stmt);
  if (db_ != nullptr) sqlite3_close(db_);
}

Status Catalog::error(const char* what) {
  std::string message = fmt::format("{}: {}: {}", path_, what, sqlite3_errmsg(db_));
  // A full disk is ENOSPC for whoever waits on the catalog (a drive's
  // close()); any other failure (a damaged file: SQLITE_CORRUPT, IOERR) EIO.
  int code = sqlite3_errcode(db_);
  if (code == SQLITE_FULL) return Status::no_space(message);
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
    message += " (vtape index rebuild makes a new catalog from the cartridges' images)";
  }
  return Status::io_error_described(std::move(message), EIO);
}

Status Catalog::prepare(const char* sql, sqlite3_stmt** stmt) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    *stmt = it->second;
    return Status::ok();
  }
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK) {
    return error("preparing a statement");
  }
  statements_[sql] = *stmt;
  return Status::ok();
}

Status Catalog::open(const std::string& path, std::unique_ptr<Catalog>* out) {
  VTAPE_RETURN_IF_ERROR(create_catalog_file(path));
  std::unique_ptr<Catalog> c(new Catalog());
  c->path_ = path;
  // No SQLite mutex: mu_ already serialises every use of the connection,
  // and SQLite's would be taken again for each column of each row read (a
  // search of 100000 members reads 700000 columns).
  if (sqlite3_open_v2(path.c_str(), &c->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return c->error("cannot open the catalog");
  }
  sqlite3_busy_timeout(c->db_, 10000);
  if (register_catalog_functions(c->db_) != SQLITE_OK) return c->error("registering the catalog's SQL functions");
  // mmap_size=0: pages are read with pread, never from a file mapping.  A
  // mapped catalog.db that something truncates (or a disk error under it)
  // turns the next page read into SIGBUS, which kills the daemon and every
  // drive with it; pread gives SQLITE_IOERR or SQLITE_CORRUPT, an error for
  // that one call.  (The mapping saved about a tenth of the CPU time of a
  // search of 100000 members.)  cache_size (64 MiB at most, taken as used;
  // SQLite's default is 2 MiB): a tape file's members go to random places
  // of the path index and the names' trigram index, and with a small cache each
  // transaction writes and reads back the same pages again and again
  // (inserting 200000 members: 2.5 s of system time instead of 0.4 s).
  if (sqlite3_exec(c->db_,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                   "PRAGMA mmap_size=0; PRAGMA cache_size=-65536;",
                   nullptr, nullptr, nullptr) != SQLITE_OK) {
    return c->error("setting up the catalog");
  }
  VTAPE_RETURN_IF_ERROR(c->migrate());
  *out = std::move(c);
  return Status::ok();
}

Status Catalog::open_read_only(const std::string& path, std::unique_ptr<Catalog>* out) {
  std::unique_ptr<Catalog> c(new Catalog());
  c->path_ = path;
  // A WAL database is read through its -wal and -shm files, which a reader
  // without write access cannot make.  While a writer has the catalog open
  // they exist (with the catalog's mode, so its group can read them); when
  // none has, the catalog file alone is the whole database, and it is
  // opened as immutable (a writer that starts meanwhile may make this
  // reader's view stale, never the catalog wrong: nothing is written).
  std::string uri = "file:";
  for (unsigned char ch : path) {
    if (std::isalnum(ch) || ch == '/' || ch == '.' || ch == '-' || ch == '_') {
      uri.push_back(static_cast<char>(ch));
    } else {
      uri += fmt::format("%{:02X}", ch);
    }
  }
  if (access((path + "-wal").c_str(), F_OK) != 0) uri += "?immutable=1";
  if (sqlite3_open_v2(uri.c_str(), &c->db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    return c->error("cannot open the catalog");
  }
  sqlite3_busy_timeout(c->db_, 10000);
  if (register_catalog_functions(c->db_) != SQLITE_OK) return c->error("registering the catalog's SQL functions");
  // As open(), without what writes (the journal mode is the file's own).
  if (sqlite3_exec(c->db_, "PRAGMA mmap_size=0; PRAGMA cache_size=-65536;", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return c->error("setting up the catalog");
  }
  int app = 0, version = 0;
  read_schema_ids(c->db_, &app, &version);
  if (app != sql::kApplicationId) {
    return Status::invalid_argument(fmt::format("{} is not a vtape catalog (application_id {:#x})", path, app));
  }
  if (version != sql::kSchemaVersion) {
    return Status::not_supported(fmt::format(
        "{} has catalog schema version {} and this vtape reads version {}; it can only be read once someone who "
        "may write it has run vtape (or mounted the library) to upgrade it",
        path, version, sql::kSchemaVersion));
  }
  *out = std::move(c);
  return Status::ok();
}

Status Catalog::migrate() {
  sqlite3_stmt* s = nullptr;
  int app = 0, version = 0;
  read_schema_ids(db_, &app, &version);
  if (version == 0 && app == 0) {
    // A new database, or one something else made: only an empty one may
    // become a catalog.
    int tables = 0;
    if (sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM sqlite_master", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      tables = sqlite3_column_int(s, 0);
    }
    sqlite3_finalize(s);
    if (tables > 0) {
      return Status::invalid_argument(
          fmt::format("{} is not a vtape catalog (an SQLite database with tables of its own)", path_));
    }
  } else if (app != sql::kApplicationId) {
    return Status::invalid_argument(fmt::format("{} is not a vtape catalog (application_id {:#x})", path_, app));
  }
  if (version > sql::kSchemaVersion) {
    return Status::not_supported(fmt::format("{} has catalog schema version {}; this vtape knows up to {}", path_,
                                             version, sql::kSchemaVersion));
  }
  for (int v = version; v < sql::kSchemaVersion; ++v) {
    Transaction tx(db_);
    if (!tx.begun()) return error("starting a migration");
    if (sqlite3_exec(db_, sql::kMigrations[v], nullptr, nullptr, nullptr) != SQLITE_OK) {
      return error("migrating the schema");
    }
    std::string pragmas = fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};", sql::kApplicationId, v + 1);
    if (sqlite3_exec(db_, pragmas.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return error("setting the version");
    if (!tx.commit()) return error("committing a migration");
  }
  return Status::ok();
}

Status Catalog::exec(const std::string& text) {
  std::lock_guard lock(mu_);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return error("executing SQL");
  return Status::ok();
}

Status Catalog::upsert_volume(const VolumeRow& v) {
  std::lock_guard lock(mu_);
  return write_volume_row(v);
}

Status Catalog::write_volume_row(const VolumeRow& v) {
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kUpsertVolume, &s));
  StatementScope scope(s);
  bind_text(s, 1, v.volser);
  bind_text(s, 2, v.image_path);
  bind_text(s, 3, v.format);
  bind_int(s, 4, static_cast<int64_t>(v.capacity));
  bind_text(s, 5, v.created.empty() ? catalog_now() : v.created);
  bind_int(s, 6, v.write_protected ? 1 : 0);
  if (sqlite3_step(s) != SQLITE_DONE) return error("recording a volume");
  return Status::ok();
}

Status Catalog::write_file_row(const char* statement, const std::string& volser, const TapeFileRow& r) {
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(statement, &s));
  StatementScope scope(s);
  bind_text(s, 1, volser);
  bind_int(s, 2, static_cast<int64_t>(r.file_number));
  bind_int(s, 3, static_cast<int64_t>(r.first_block));
  bind_int(s, 4, static_cast<int64_t>(r.records));
  bind_int(s, 5, static_cast<int64_t>(r.bytes));
  bind_int(s, 6, r.smallest);
  bind_int(s, 7, r.largest);
  bind_int(s, 8, static_cast<int64_t>(r.image_offset));
  bind_text(s, 9, r.digest);
  bind_text(s, 10, r.written_at.empty() ? catalog_now() : r.written_at);
  bind_int(s, 11, r.closed_cleanly ? 1 : 0);
  bind_text(s, 12, r.content);
  if (r.damage.empty()) {
    sqlite3_bind_null(s, 13);
  } else {
    bind_text(s, 13, r.damage);
  }
  bind_text(s, 14, r.compression);
  bind_text(s, 15, r.digest_algorithm);
  if (sqlite3_step(s) != SQLITE_DONE) return error("recording a tape file");
  return Status::ok();
}

Status Catalog::insert_members(const std::string& volser, uint64_t file_number,
                               const std::vector<TapeMember>& members) {
  sqlite3_stmt* m = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kInsertMember, &m));
  sqlite3_stmt* n = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kInsertMemberName, &n));
  for (const auto& member : members) {
    {
      StatementScope scope(m);
      bind_text(m, 1, volser);
      bind_int(m, 2, static_cast<int64_t>(file_number));
      bind_text(m, 3, member.kind);
      bind_text(m, 4, member.path);
      bind_int(m, 5, static_cast<int64_t>(member.size));
      bind_int(m, 6, member.mode);
      bind_int(m, 7, member.mtime);
      bind_int(m, 8, static_cast<int64_t>(member.data_offset));
      bind_text(m, 9, member.link_target);
      bind_int(m, 10, member.uid);
      bind_int(m, 11, member.gid);
      if (sqlite3_step(m) != SQLITE_DONE) return error("recording a member");
    }
    // Its name for searches.
    StatementScope scope(n);
    bind_int(n, 1, sqlite3_last_insert_rowid(db_));
    std::string_view name = member_name(member.path);
    sqlite3_bind_text64(n, 2, name.data(), name.size(), SQLITE_STATIC, SQLITE_UTF8);
    if (sqlite3_step(n) != SQLITE_DONE) return error("recording a member's name");
  }
  // The trigram index catches up later (catch_up_name_index).
  if (!members.empty()) names_added_ = true;
  return Status::ok();
}

Status Catalog::name_index_lag(int64_t* mark, int64_t* highest) {
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kSelectNameIndexLag, &s));
  StatementScope scope(s);
  if (sqlite3_step(s) != SQLITE_ROW) return error("reading the mark of the trigram index");
  *mark = column_int(s, 0);
  *highest = column_int(s, 1);
  return Status::ok();
}

Status Catalog::catch_up_name_index(uint64_t max_names, bool* caught_up) {
  std::lock_guard lock(mu_);
  *caught_up = false;
  Transaction tx(db_);
  if (!tx.begun()) return error("starting a transaction");
  int64_t mark = 0, highest = 0;
  VTAPE_RETURN_IF_ERROR(name_index_lag(&mark, &highest));
  if (highest <= mark) {
    *caught_up = true;
    return Status::ok();
  }
  // Ids are dense but for deleted members: up to max_names names.
  int64_t through = highest - mark <= static_cast<int64_t>(max_names) ? highest : mark + static_cast<int64_t>(max_names);
  {
    sqlite3_stmt* s = nullptr;
    VTAPE_RETURN_IF_ERROR(prepare(sql::kIndexMemberNames, &s));
    StatementScope scope(s);
    bind_int(s, 1, mark);
    bind_int(s, 2, through);
    if (sqlite3_step(s) != SQLITE_DONE) return error("indexing members' names");
  }
  {
    sqlite3_stmt* s = nullptr;
    VTAPE_RETURN_IF_ERROR(prepare(sql::kSetNamesIndexedThrough, &s));
    StatementScope scope(s);
    bind_int(s, 1, through);
    if (sqlite3_step(s) != SQLITE_DONE) return error("recording the mark of the trigram index");
  }
  if (!tx.commit()) return error("committing");
  *caught_up = through == highest;
  return Status::ok();
}

Status Catalog::check_name_index(std::vector<std::string>* problems) {
  std::lock_guard lock(mu_);
  problems->clear();
  auto count = [&](const char* statement, int64_t* n) -> Status {
    sqlite3_stmt* s = nullptr;
    VTAPE_RETURN_IF_ERROR(prepare(statement, &s));
    StatementScope scope(s);
    if (sqlite3_step(s) != SQLITE_ROW) return error("checking the names of members");
    *n = column_int(s, 0);
    return Status::ok();
  };
  int64_t n = 0;
  VTAPE_RETURN_IF_ERROR(count(sql::kCountMembersWithoutTheirName, &n));
  if (n != 0) problems->push_back(fmt::format("{} member{} without {} name in member_names", n, n == 1 ? "" : "s",
                                              n == 1 ? "its" : "their"));
  VTAPE_RETURN_IF_ERROR(count(sql::kCountNamesWithoutTheirMember, &n));
  if (n != 0) problems->push_back(fmt::format("{} name{} in member_names without {} member", n, n == 1 ? "" : "s",
                                              n == 1 ? "its" : "their"));
  VTAPE_RETURN_IF_ERROR(count(sql::kCountNameIndexMarks, &n));
  if (n != 1) {
    problems->push_back(fmt::format("member_names_indexed has {} rows, expected 1 (the trigram index's mark)", n));
    return Status::ok();  // what is indexed is unknown: nothing more to compare
  }
  int64_t mark = 0, highest = 0;
  VTAPE_RETURN_IF_ERROR(name_index_lag(&mark, &highest));
  VTAPE_RETURN_IF_ERROR(count(sql::kNameIndexMarkWithinNames, &n));
  if (n != 1) {
    problems->push_back(fmt::format("the trigram index's mark is {}, above the highest name's id {}: new members "
                                    "would count as indexed", mark, highest));
  }
  // FTS5's check is asked for with an INSERT, which a reader without write
  // access to the catalog (a member of the library's group reading it
  // read-only) may not run: that reader gets the checks above.
  if (sqlite3_db_readonly(db_, "main") == 1) return Status::ok();
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kCheckNameIndexStructure, &s));
  StatementScope scope(s);
  bind_int(s, 1, mark >= highest ? 1 : 0);
  if (sqlite3_step(s) != SQLITE_DONE) {
    problems->push_back(fmt::format("the trigram index (member_names_fts) fails its integrity check: {}",
                                    sqlite3_errmsg(db_)));
  }
  return Status::ok();
}

Status Catalog::rebuild_name_index() {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.begun()) return error("starting a transaction");
  if (sqlite3_exec(db_, sql::kRebuildNameIndex, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return error("remaking the names' index");
  }
  if (!tx.commit()) return error("committing");
  return Status::ok();
}

Status Catalog::insert_checksums(const std::string& volser, uint64_t file_number, const std::vector<uint32_t>& crcs) {
  if (crcs.empty()) return Status::ok();
  // Little-endian, 4 bytes a record (man/vtape-catalog.5).
  std::vector<uint8_t> blob(crcs.size() * 4);
  for (size_t i = 0; i < crcs.size(); ++i) {
    for (int b = 0; b < 4; ++b) blob[i * 4 + b] = static_cast<uint8_t>(crcs[i] >> (8 * b));
  }
  sqlite3_stmt* c = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kInsertChecksums, &c));
  StatementScope scope(c);
  bind_text(c, 1, volser);
  bind_int(c, 2, static_cast<int64_t>(file_number));
  sqlite3_bind_blob64(c, 3, blob.data(), blob.size(), SQLITE_TRANSIENT);
  if (sqlite3_step(c) != SQLITE_DONE) return error("recording record checksums");
  return Status::ok();
}

Status Catalog::insert_file(const std::string& volser, const CatalogedFile& f) {
  VTAPE_RETURN_IF_ERROR(write_file_row(sql::kInsertFile, volser, f.row));
  VTAPE_RETURN_IF_ERROR(insert_members(volser, f.row.file_number, f.members));
  return insert_checksums(volser, f.row.file_number, f.record_crcs);
}

Status Catalog::delete_files_from(const std::string& volser, uint64_t from_file) {
  for (const char* q : {sql::kDeleteChecksumsFrom, sql::kDeleteMembersFrom, sql::kDeleteFilesFrom}) {
    sqlite3_stmt* s = nullptr;
    VTAPE_RETURN_IF_ERROR(prepare(q, &s));
    StatementScope scope(s);
    bind_text(s, 1, volser);
    bind_int(s, 2, static_cast<int64_t>(from_file));
    if (sqlite3_step(s) != SQLITE_DONE) return error("removing overwritten tape files");
  }
  return Status::ok();
}

Status Catalog::record_image_size(const std::string& volser, uint64_t image_size, const std::string& written_at) {
  sqlite3_stmt* s = nullptr;
  if (written_at.empty()) {
    VTAPE_RETURN_IF_ERROR(prepare(sql::kSetVolumeSize, &s));
    StatementScope scope(s);
    bind_text(s, 1, volser);
    bind_int(s, 2, static_cast<int64_t>(image_size));
    if (sqlite3_step(s) != SQLITE_DONE) return error("recording the image size");
  } else {
    VTAPE_RETURN_IF_ERROR(prepare(sql::kSetVolumeWritten, &s));
    StatementScope scope(s);
    bind_text(s, 1, volser);
    bind_text(s, 2, written_at);
    bind_int(s, 3, static_cast<int64_t>(image_size));
    if (sqlite3_step(s) != SQLITE_DONE) return error("recording the volume's last write");
  }
  return Status::ok();
}

Status Catalog::stream_members(const std::string& volser, const TapeFileRow& row, bool first,
                               const std::vector<TapeMember>& members) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.begun()) return error("starting a transaction");
  if (first) {
    VTAPE_RETURN_IF_ERROR(delete_files_from(volser, row.file_number));
    VTAPE_RETURN_IF_ERROR(write_file_row(sql::kInsertFileBeingWritten, volser, row));
  }
  VTAPE_RETURN_IF_ERROR(insert_members(volser, row.file_number, members));
  if (!tx.commit()) return error("committing");
  return Status::ok();
}

Status Catalog::complete_streamed_file(const std::string& volser, const CatalogedFile& file, uint64_t image_size,
                                       const std::string& written_at) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.begun()) return error("starting a transaction");
  VTAPE_RETURN_IF_ERROR(write_file_row(sql::kCompleteFile, volser, file.row));
  if (sqlite3_changes(db_) != 1) {
    return Status::io_error(fmt::format("{}: the tape file {} of {} being written is not in the catalog", path_,
                                        file.row.file_number, volser),
                            EIO);
  }
  VTAPE_RETURN_IF_ERROR(insert_members(volser, file.row.file_number, file.members));
  VTAPE_RETURN_IF_ERROR(insert_checksums(volser, file.row.file_number, file.record_crcs));
  VTAPE_RETURN_IF_ERROR(record_image_size(volser, image_size, written_at));
  if (!tx.commit()) return error("committing");
  return Status::ok();
}

Status Catalog::record_checksums(const std::string& volser, uint64_t file, std::vector<uint32_t>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kSelectChecksums, &s));
  StatementScope scope(s);
  bind_text(s, 1, volser);
  bind_int(s, 2, static_cast<int64_t>(file));
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s, 0));
    size_t n = static_cast<size_t>(sqlite3_column_bytes(s, 0)) / 4;
    out->resize(n);
    for (size_t i = 0; i < n; ++i) {
      (*out)[i] = uint32_t(p[i * 4]) | uint32_t(p[i * 4 + 1]) << 8 | uint32_t(p[i * 4 + 2]) << 16 |
                  uint32_t(p[i * 4 + 3]) << 24;
    }
    return Status::ok();
  }
  if (rc != SQLITE_DONE) return error("reading record checksums");
  return Status::ok();
}

Status Catalog::replace_files(const std::string& volser, uint64_t from_file, const std::vector<CatalogedFile>& files,
                              uint64_t image_size, const std::string& written_at) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.begun()) return error("starting a transaction");
  VTAPE_RETURN_IF_ERROR(delete_files_from(volser, from_file));
  for (const auto& f : files) VTAPE_RETURN_IF_ERROR(insert_file(volser, f));
  VTAPE_RETURN_IF_ERROR(record_image_size(volser, image_size, written_at));
  if (!tx.commit()) return error("committing");
  return Status::ok();
}

Status Catalog::set_label(const std::string& volser, const std::string& label_volser, const std::string& owner) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kSetVolumeLabel, &s));
  StatementScope scope(s);
  bind_text(s, 1, volser);
  bind_text(s, 2, label_volser);
  bind_text(s, 3, owner);
  if (sqlite3_step(s) != SQLITE_DONE) return error("recording the volume label");
  return Status::ok();
}

Status Catalog::set_write_pending(const std::string& volser, bool* was_pending) {
  std::lock_guard lock(mu_);
  *was_pending = false;
  sqlite3_stmt* s = nullptr;
  {
    VTAPE_RETURN_IF_ERROR(prepare(sql::kSelectVolumeWritePending, &s));
    StatementScope scope(s);
    bind_text(s, 1, volser);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      *was_pending = column_int(s, 0) != 0;
    } else if (rc != SQLITE_DONE) {
      return error("reading whether a volume is being written");
    }
  }
  VTAPE_RETURN_IF_ERROR(prepare(sql::kSetVolumeWritePending, &s));
  StatementScope scope(s);
  bind_text(s, 1, volser);
  if (sqlite3_step(s) != SQLITE_DONE) return error("recording that a volume is being written");
  return Status::ok();
}

Status Catalog::add_event(const std::string& volser, int drive, const std::string& kind, const std::string& detail) {
  std::lock_guard lock(mu_);
  return insert_event(volser, drive, kind, detail);
}

Status Catalog::record_image_move(const VolumeRow& v, const std::vector<MovedTapeFile>& files, int drive,
                                  const std::string& kind, const std::string& detail) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.begun()) return error("starting a transaction");
  VTAPE_RETURN_IF_ERROR(write_volume_row(v));
  for (const auto& f : files) {
    if (f.old_offset == f.new_offset) continue;
    sqlite3_stmt* s = nullptr;
    VTAPE_RETURN_IF_ERROR(prepare(sql::kMoveTapeFileOffset, &s));
    StatementScope scope(s);
    bind_text(s, 1, v.volser);
    bind_int(s, 2, static_cast<int64_t>(f.file_number));
    bind_int(s, 3, static_cast<int64_t>(f.old_offset));
    bind_int(s, 4, static_cast<int64_t>(f.new_offset));
    if (sqlite3_step(s) != SQLITE_DONE) return error("recording where a tape file is in its new image");
  }
  VTAPE_RETURN_IF_ERROR(insert_event(v.volser, drive, kind, detail));
  if (!tx.commit()) return error("committing");
  return Status::ok();
}

Status Catalog::insert_event(const std::string& volser, int drive, const std::string& kind, const std::string& detail) {
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kInsertEvent, &s));
  StatementScope scope(s);
  bind_text(s, 1, catalog_now());
  if (volser.empty()) {
    sqlite3_bind_null(s, 2);
  } else {
    bind_text(s, 2, volser);
  }
  if (drive < 0) {
    sqlite3_bind_null(s, 3);
  } else {
    bind_int(s, 3, drive);
  }
  bind_text(s, 4, kind);
  bind_text(s, 5, detail);
  if (sqlite3_step(s) != SQLITE_DONE) return error("recording an event");
  return Status::ok();
}

Status Catalog::delete_volume(const std::string& volser) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!tx.begun()) return error("starting a transaction");
  for (const char* q :
       {sql::kDeleteVolumeChecksums, sql::kDeleteVolumeMembers, sql::kDeleteVolumeFiles, sql::kDeleteVolume}) {
    sqlite3_stmt* s = nullptr;
    VTAPE_RETURN_IF_ERROR(prepare(q, &s));
    StatementScope scope(s);
    bind_text(s, 1, volser);
    if (sqlite3_step(s) != SQLITE_DONE) return error("removing a volume");
  }
  if (!tx.commit()) return error("committing");
  return Status::ok();
}

Status Catalog::events(int64_t after_id, const std::string& since, const std::string& volser, uint64_t limit,
                       std::vector<EventRow>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kSelectEvents, &s));
  StatementScope scope(s);
  bind_int(s, 1, after_id);
  bind_text(s, 2, since);
  bind_text(s, 3, volser);
  bind_int(s, 4, limit == 0 ? -1 : static_cast<int64_t>(limit));
  int rc = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    EventRow e;
    e.id = sqlite3_column_int64(s, 0);
    e.at = column_text(s, 1);
    e.volser = column_text(s, 2);
    e.drive = sqlite3_column_int(s, 3);
    e.kind = column_text(s, 4);
    e.detail = column_text(s, 5);
    out->push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return error("listing events");
  return Status::ok();
}

Status Catalog::volumes(std::vector<VolumeRow>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kSelectVolumes, &s));
  StatementScope scope(s);
  int rc = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) out->push_back(volume_from(s));
  if (rc != SQLITE_DONE) return error("listing volumes");
  return Status::ok();
}

Status Catalog::volume(const std::string& volser, VolumeRow* out, bool* found) {
  std::lock_guard lock(mu_);
  *found = false;
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kSelectVolume, &s));
  StatementScope scope(s);
  bind_text(s, 1, volser);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *out = volume_from(s);
    *found = true;
  } else if (rc != SQLITE_DONE) {
    return error("reading a volume");
  }
  return Status::ok();
}

Status Catalog::file_count(const std::string& volser, uint64_t* out) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kCountFiles, &s));
  StatementScope scope(s);
  bind_text(s, 1, volser);
  if (sqlite3_step(s) != SQLITE_ROW) return error("counting tape files");
  *out = static_cast<uint64_t>(column_int(s, 0));
  return Status::ok();
}

Status Catalog::files(const std::string& volser, std::vector<TapeFileRow>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kSelectFiles, &s));
  StatementScope scope(s);
  bind_text(s, 1, volser);
  int rc = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    TapeFileRow r;
    r.file_number = static_cast<uint64_t>(column_int(s, 0));
    r.first_block = static_cast<uint64_t>(column_int(s, 1));
    r.records = static_cast<uint64_t>(column_int(s, 2));
    r.bytes = static_cast<uint64_t>(column_int(s, 3));
    r.smallest = static_cast<uint32_t>(column_int(s, 4));
    r.largest = static_cast<uint32_t>(column_int(s, 5));
    r.image_offset = static_cast<uint64_t>(column_int(s, 6));
    r.digest = column_text(s, 7);
    r.written_at = column_text(s, 8);
    r.closed_cleanly = column_int(s, 9) != 0;
    r.content = column_text(s, 10);
    r.damage = column_text(s, 11);
    r.member_count = static_cast<uint64_t>(column_int(s, 12));
    r.compression = column_text(s, 13);
    r.digest_algorithm = column_text(s, 14);
    r.writing = column_int(s, 15) != 0;
    out->push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return error("listing tape files");
  return Status::ok();
}

Status Catalog::members(const std::string& volser, uint64_t file, std::vector<TapeMember>* out) {
  std::lock_guard lock(mu_);
  out->clear();
  sqlite3_stmt* s = nullptr;
  VTAPE_RETURN_IF_ERROR(prepare(sql::kSelectMembers, &s));
  StatementScope scope(s);
  bind_text(s, 1, volser);
  bind_int(s, 2, static_cast<int64_t>(file));
  int rc = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    TapeMember m;
    m.kind = column_text(s, 0);
    m.path = column_text(s, 1);
    m.size = static_cast<uint64_t>(column_int(s, 2));
    m.mode = static_cast<uint32_t>(column_int(s, 3));
    m.mtime = column_int(s, 4);
    m.data_offset = static_cast<uint64_t>(column_int(s, 5));
    m.link_target = column_text(s, 6);
    m.uid = column_int(s, 7);
    m.gid = column_int(s, 8);
    out->push_back(std::move(m));
  }
  if (rc != SQLITE_DONE) return error("listing members");
  return Status::ok();
}

Status Catalog::find(const std::string& glob, const std::optional<std::string>& volser,
                     const std::optional<int64_t>& since, uint64_t limit, std::vector<FoundMember>* out) {
  FindRequest request;
  request.pattern = glob;
  request.volser = volser;
  request.since = since;
  request.limit = limit;
  out->clear();
  std::lock_guard lock(mu_);
  return run_find(find_statement(plan_path_glob(glob), request),
                  [&](const FoundMemberView& v) { out->push_back(found_member(v)); });
}

Status Catalog::find_pattern(const FindRequest& request, std::vector<FoundMember>* out) {
  out->clear();
  return find_pattern(request, [&](const FoundMemberView& v) { out->push_back(found_member(v)); });
}

Status Catalog::find_pattern(const FindRequest& request, const FoundMemberVisitor& visit) {
  std::lock_guard lock(mu_);
  return run_find(find_statement(plan_find(request.pattern), request), visit);
}

Status Catalog::run_find(const FindStatement& statement, const FoundMemberVisitor& visit) {
  sqlite3_stmt*& s = find_statements_[statement.sql];
  if (s == nullptr &&
      sqlite3_prepare_v3(db_, statement.sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
    find_statements_.erase(statement.sql);
    return error("preparing a search");
  }
  StatementScope scope(s);
  int i = 0;
  for (const auto& p : statement.parameters) {
    ++i;
    switch (p.type) {
      case SqlParameter::Type::kText: bind_text(s, i, p.bytes); break;
      case SqlParameter::Type::kBlob: bind_blob(s, i, p.bytes); break;
      case SqlParameter::Type::kInteger: bind_int(s, i, p.integer); break;
    }
  }
  FoundRows rows;
  int rc = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) rows.add(s);
  if (rc != SQLITE_DONE) return error("searching members");
  rows.visit_in_find_order(visit);
  return Status::ok();
}

}  // namespace vtape
