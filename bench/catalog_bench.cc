// Helper for bench/catalog.sh (not a test):
//
//   catalog_bench mktree DIR SMALL_FILES SMALL_SIZE BIG_FILES BIG_SIZE
//       the tree tar writes to the drive: SMALL_FILES files of SMALL_SIZE
//       bytes in directories of 1000, and BIG_FILES files of BIG_SIZE bytes;
//       pseudo-random content (nothing a file system could make sparse)
//   catalog_bench generate DB MEMBERS VOLUMES
//       a catalog of MEMBERS members spread over VOLUMES volumes (V0001...)
//       of 20 tape files each, through the Catalog API; paths look like
//       source trees, home directories and logs, with an extension mix;
//       "exact/path/name.txt" is on V0025 once; CATALOG_BENCH_SETUP, if
//       set, is SQL run on the new catalog first (to time what a part of
//       the schema costs, e.g. "DROP INDEX members_by_path")
//   catalog_bench find DB GLOB [VOLSER|-] [LIMIT] [RUNS]
//       Catalog::find (the path matched with GLOB exactly); prints "MATCHES
//       BEST_MS OPEN_MS" (best of RUNS, default 5; LIMIT 0 = no limit)
//   catalog_bench search DB PATTERN [VOLSER|-] [LIMIT] [RUNS] [SINCE]
//       Catalog::find_pattern, what `vtape find PATTERN` runs; prints the
//       same (SINCE in seconds since 1970, or -)
//   catalog_bench plan DB PATTERN [VOLSER|-] [LIMIT]
//       SQLite's query plan of the statement find_pattern runs for them
//   catalog_bench sql DB RUNS SQL [PARAM...]
//       runs one statement with text parameters ?1.. ("NULL" binds NULL),
//       prints "ROWS BEST_MS"; for trying other query shapes and indexes
//       (the functions reverse(TEXT) and name_rev(PATH) are defined;
//       CATALOG_BENCH_PRAGMAS, if set, is run first, e.g.
//       "PRAGMA mmap_size = 268435456")
//   catalog_bench upkeep FILE RECORD DB
//       where the drive's upkeep time goes for FILE written as one tape
//       file in records of RECORD bytes: each digest alone (XXH3-128, the
//       default, and SHA-256), the whole analysis with the default digest,
//       and the catalog transaction (into a new catalog DB)
//   catalog_bench recorder FILE RECORD DB
//       FILE handed as one tape file, in records of RECORD bytes, to a
//       CatalogRecorder (as a drive hands it its records) over a new catalog
//       DB; prints "RECORD_MS COMMIT_MS MEMBERS": how long the record()
//       calls took in all (what the drive's write()s wait for: the analysis
//       of the records, and the members' inserts when they hold it up) and
//       the commit at the filemark (what close() waits for)
//   catalog_bench digest [MIB]
//       throughput of each tape-file digest (index/digest.h) over MIB MiB
//       (default 1024) in memory, fed in 256 KiB records; prints GB/s
//   catalog_bench exec DB SQL
//       runs SQL (several statements) with the same functions; prints ms
//   catalog_bench closedelay DRIVE RECORD
//       writes its standard input to DRIVE (a tape drive of a mount) in
//       records of RECORD bytes (the last one as long as what is left), then
//       closes it; prints "RECORDS CLOSE_MS": how long close() took after
//       the last write() returned (the drive writes the filemark and the
//       catalog commits the tape file)
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "index/catalog_functions.h"
#include "index/catalog_recorder.h"
#include "index/find_pattern.h"
#include "index/find_statement.h"
#include "index/digest.h"
#include "index/sqlite_support.h"
#include "index/tape_file_analyzer.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "catalog_bench: %s\n", what.c_str());
  std::exit(1);
}

void check(const vtape::Status& s, const char* what) {
  if (!s.is_ok()) die(std::string(what) + ": " + s.message());
}

// xorshift64*: fast deterministic pseudo-random numbers.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
};

void fill(std::vector<char>& buf, Rng& rng) {
  for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
    uint64_t v = rng.next();
    std::memcpy(buf.data() + i, &v, 8);
  }
}

int mktree(char** argv) {
  std::string dir = argv[0];
  uint64_t small_files = std::strtoull(argv[1], nullptr, 10), small_size = std::strtoull(argv[2], nullptr, 10);
  uint64_t big_files = std::strtoull(argv[3], nullptr, 10), big_size = std::strtoull(argv[4], nullptr, 10);
  Rng rng(1);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) die("cannot make " + dir + ": " + ec.message());
  std::vector<char> buf(small_size);
  for (uint64_t i = 0; i < small_files; ++i) {
    char sub[64], name[96];
    std::snprintf(sub, sizeof sub, "%s/small%03llu", dir.c_str(), static_cast<unsigned long long>(i / 1000));
    if (i % 1000 == 0) mkdir(sub, 0755);
    std::snprintf(name, sizeof name, "%s/file%06llu.dat", sub, static_cast<unsigned long long>(i));
    fill(buf, rng);
    std::ofstream out(name, std::ios::binary);
    if (!out.write(buf.data(), static_cast<std::streamsize>(buf.size()))) die(std::string("cannot write ") + name);
  }
  std::string big = dir + "/big";
  mkdir(big.c_str(), 0755);
  buf.assign(1 << 20, 0);
  for (uint64_t i = 0; i < big_files; ++i) {
    std::ofstream out(big + "/big" + std::to_string(i) + ".bin", std::ios::binary);
    for (uint64_t left = big_size; left > 0;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
      fill(buf, rng);
      if (!out.write(buf.data(), static_cast<std::streamsize>(n))) die("cannot write in " + big);
      left -= n;
    }
  }
  return 0;
}

// ---- a realistic catalog ----------------------------------------------------

const std::vector<std::string> kTops = {"src", "include", "lib",       "doc",      "tests", "build", "home",  "var/log",
                                        "etc", "opt",     "usr/share", "projects", "data",  "www",   "backup"};
const std::vector<std::string> kSubs = {"lib",   "util", "net",   "core",    "io",      "db",     "ui",    "crypto",
                                        "fs",    "mem",  "sched", "drivers", "arch",    "kernel", "tools", "scripts",
                                        "alice", "bob",  "carol", "dave",    "reports", "2023",   "2024",  "archive"};
const std::vector<std::string> kStems = {"main",  "util",   "config", "parser", "buffer", "socket", "server", "client",
                                         "index", "readme", "notes",  "report", "image",  "table",  "queue",  "hash",
                                         "list",  "tree",   "cache",  "log",    "test",   "driver"};
// Extension mix, by weight: source code is common, as on real backups.
const std::vector<std::pair<std::string, int>> kExts = {
    {".c", 10},  {".h", 8},   {".cc", 5},   {".py", 5},   {".txt", 8}, {".o", 6},   {".so", 2},
    {".log", 8}, {".md", 3},  {".json", 5}, {".html", 4}, {".png", 6}, {".jpg", 6}, {".tar.gz", 2},
    {".pdf", 4}, {".xml", 3}, {".sh", 3},   {".java", 4}, {".rs", 2},  {"", 6}};

std::string pick_ext(Rng& rng) {
  static int total = [] {
    int t = 0;
    for (const auto& e : kExts) t += e.second;
    return t;
  }();
  int r = static_cast<int>(rng.below(static_cast<size_t>(total)));
  for (const auto& e : kExts) {
    if ((r -= e.second) < 0) return e.first;
  }
  return "";
}

std::string make_path(Rng& rng) {
  std::string p = kTops[rng.below(kTops.size())];
  size_t depth = 1 + rng.below(3);
  for (size_t d = 0; d < depth; ++d) p += "/" + kSubs[rng.below(kSubs.size())];
  p += "/" + kStems[rng.below(kStems.size())];
  if (rng.below(3) != 0) p += "_" + std::to_string(rng.below(500));
  return p + pick_ext(rng);
}

int generate(char** argv) {
  std::string db = argv[0];
  uint64_t members = std::strtoull(argv[1], nullptr, 10), volumes = std::strtoull(argv[2], nullptr, 10);
  const uint64_t files_per_volume = 20;
  std::remove(db.c_str());
  std::remove((db + "-wal").c_str());
  std::remove((db + "-shm").c_str());
  std::unique_ptr<vtape::Catalog> c;
  check(vtape::Catalog::open(db, &c), "opening the catalog");
  if (const char* setup = std::getenv("CATALOG_BENCH_SETUP")) check(c->exec(setup), "running CATALOG_BENCH_SETUP");
  Rng rng(42);
  auto t0 = Clock::now();
  uint64_t made = 0;
  for (uint64_t v = 1; v <= volumes; ++v) {
    char volser[16];
    std::snprintf(volser, sizeof volser, "V%04llu", static_cast<unsigned long long>(v));
    vtape::VolumeRow row;
    row.volser = volser;
    row.image_path = std::string("/srv/tapes/") + volser + ".tap";
    row.format = "simh";
    row.capacity = 400ull << 30;
    check(c->upsert_volume(row), "adding a volume");
    uint64_t on_volume = members / volumes + (v <= members % volumes ? 1 : 0);
    std::vector<vtape::CatalogedFile> files(files_per_volume);
    uint64_t offset = 0;
    for (uint64_t f = 0; f < files_per_volume; ++f) {
      vtape::CatalogedFile& cf = files[f];
      cf.row.file_number = f;
      cf.row.content = "tar";
      cf.row.digest = std::string(32, '0');
      cf.row.written_at = "2024-05-01T12:00:00Z";
      cf.row.closed_cleanly = true;
      cf.row.smallest = cf.row.largest = 10240;
      cf.row.image_offset = offset;
      uint64_t n = on_volume / files_per_volume + (f < on_volume % files_per_volume ? 1 : 0);
      uint64_t data = 0;
      for (uint64_t i = 0; i < n; ++i) {
        vtape::TapeMember m;
        m.kind = rng.below(20) == 0 ? "directory" : "file";
        m.path = make_path(rng);
        if (v == 25 && f == 7 && i == 3) m.path = "exact/path/name.txt";
        m.size = m.kind == "file" ? rng.below(1 << 20) : 0;
        m.mode = m.kind == "file" ? 0644 : 0755;
        m.mtime = 1500000000 + static_cast<int64_t>(rng.below(250000000));
        m.data_offset = data + 512;
        data += 512 + (m.size + 511) / 512 * 512;
        cf.members.push_back(std::move(m));
      }
      cf.row.bytes = data + 1024;
      cf.row.records = cf.row.bytes / 10240 + 1;
      offset += cf.row.bytes + cf.row.records * 8 + 4;
      made += n;
    }
    check(c->replace_files(volser, 0, files, offset, "2024-05-01T12:00:00Z"), "adding tape files");
  }
  std::printf("%llu members on %llu volumes in %.1f s\n", static_cast<unsigned long long>(made),
              static_cast<unsigned long long>(volumes), ms_since(t0) / 1000);
  // The trigram index, caught up after the inserts (schema 11) as a drive's
  // catalog writer does it, in chunks.
  auto t1 = Clock::now();
  bool caught_up = false;
  while (!caught_up) check(c->catch_up_name_index(vtape::Catalog::kNameIndexChunk, &caught_up), "indexing names");
  std::printf("their names into the trigram index in %.1f s\n", ms_since(t1) / 1000);
  return 0;
}

// Milliseconds one digest of `algorithm` takes over `all` fed as records
// of `record` bytes.
double digest_ms(vtape::DigestAlgorithm algorithm, std::span<const uint8_t> all, size_t record) {
  auto t = Clock::now();
  vtape::Digest digest(algorithm);
  for (size_t at = 0; at < all.size(); at += record) digest.update(all.subspan(at, std::min(record, all.size() - at)));
  digest.hex_digest();
  return ms_since(t);
}

// Where the upkeep time goes for one tape file, in this process: each
// digest alone, the whole analysis (statistics, the default digest,
// content detection and members) of the file fed as records of RECORD
// bytes, and the catalog transaction that stores it.
int upkeep(char** argv) {
  std::string path = argv[0], db = argv[2];
  size_t record = std::strtoull(argv[1], nullptr, 10);
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty() || record == 0) die("nothing to analyze in " + path);
  std::span<const uint8_t> all(data);
  double xxh3_ms = digest_ms(vtape::DigestAlgorithm::kXxh3_128, all, record);
  double sha_ms = digest_ms(vtape::DigestAlgorithm::kSha256, all, record);
  auto t = Clock::now();
  vtape::TapeFileAnalyzer analyzer(vtape::kDefaultDigest);
  for (size_t at = 0; at < all.size(); at += record) {
    analyzer.add_record(all.subspan(at, std::min(record, all.size() - at)));
  }
  vtape::TapeFileAnalysis a = analyzer.finish();
  double analyze_ms = ms_since(t);
  std::remove(db.c_str());
  std::remove((db + "-wal").c_str());
  std::remove((db + "-shm").c_str());
  std::unique_ptr<vtape::Catalog> c;
  check(vtape::Catalog::open(db, &c), "opening the catalog");
  vtape::VolumeRow v;
  v.volser = "UPKEEP";
  v.image_path = path;
  v.format = "simh";
  check(c->upsert_volume(v), "adding the volume");
  vtape::CatalogedFile f;
  f.row.content = vtape::content_name(a.content);
  f.row.digest = a.digest;
  f.row.digest_algorithm = a.digest_algorithm;
  f.row.records = a.records;
  f.row.bytes = a.bytes;
  f.members = std::move(a.members);
  t = Clock::now();
  check(c->replace_files("UPKEEP", 0, {f}, data.size(), vtape::catalog_now()), "storing the file");
  double store_ms = ms_since(t);
  t = Clock::now();
  check(c->replace_files("UPKEEP", 0, {f}, data.size(), vtape::catalog_now()), "storing the file again");
  double restore_ms = ms_since(t);
  double mb = static_cast<double>(data.size()) / 1e6;
  std::printf("%.0f MB in records of %zu, %zu members\n", mb, record, f.members.size());
  std::printf("  XXH3-128 alone            %8.0f ms  %6.0f MB/s\n", xxh3_ms, mb / xxh3_ms * 1000);
  std::printf("  SHA-256 alone             %8.0f ms  %6.0f MB/s\n", sha_ms, mb / sha_ms * 1000);
  std::printf("  whole analysis            %8.0f ms  %6.0f MB/s\n", analyze_ms, mb / analyze_ms * 1000);
  std::printf("  catalog transaction       %8.0f ms  (replacing the same file again: %.0f ms)\n", store_ms, restore_ms);
  return 0;
}

// Each digest's throughput over MIB MiB of pseudo-random bytes in memory.
int digest_speed(int argc, char** argv) {
  size_t mib = argc > 0 ? std::strtoull(argv[0], nullptr, 10) : 1024;
  if (mib == 0) die("MIB must be at least 1");
  std::vector<uint8_t> data(mib << 20);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::memcpy(data.data() + i, &x, 8);
  }
  for (auto algorithm : {vtape::DigestAlgorithm::kXxh3_128, vtape::DigestAlgorithm::kSha256}) {
    double ms = digest_ms(algorithm, data, 256 << 10);
    std::printf("%-9s %6zu MiB %8.0f ms %7.2f GB/s\n", std::string(vtape::digest_name(algorithm)).c_str(), mib, ms,
                static_cast<double>(data.size()) / ms / 1e6);
  }
  return 0;
}

// Opens the catalog at `db`, runs `search` `runs` times and prints
// "MATCHES BEST_MS OPEN_MS".
template <class Search>
int time_search(const std::string& db, int runs, Search search) {
  auto t0 = Clock::now();
  std::unique_ptr<vtape::Catalog> c;
  check(vtape::Catalog::open(db, &c), "opening the catalog");
  double open_ms = ms_since(t0);
  double best = 1e18;
  size_t matches = 0;
  for (int r = 0; r < runs; ++r) {
    std::vector<vtape::FoundMember> found;
    auto t = Clock::now();
    search(*c, &found);
    best = std::min(best, ms_since(t));
    matches = found.size();
  }
  std::printf("%zu %.1f %.1f\n", matches, best, open_ms);
  return 0;
}

int find(int argc, char** argv) {
  std::string db = argv[0], glob = argv[1];
  std::optional<std::string> volser;
  if (argc > 2 && std::string(argv[2]) != "-") volser = argv[2];
  uint64_t limit = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 0;
  int runs = argc > 4 ? std::atoi(argv[4]) : 5;
  if (limit == 0) limit = UINT64_MAX;  // LIMIT -1: no limit
  return time_search(db, runs, [&](vtape::Catalog& c, std::vector<vtape::FoundMember>* found) {
    check(c.find(glob, volser, std::nullopt, limit, found), "find");
  });
}

// reverse(TEXT): the bytes in reverse order, for trying a reversed-path
// index ('*.c' as the prefix match 'c.*').
void reverse_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const unsigned char* p = sqlite3_value_text(argv[0]);
  if (p == nullptr) {
    sqlite3_result_null(ctx);
    return;
  }
  std::string s(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_value_bytes(argv[0])));
  std::string r(s.rbegin(), s.rend());
  sqlite3_result_text(ctx, r.data(), static_cast<int>(r.size()), SQLITE_TRANSIENT);
}

// name_rev(PATH): the last component of PATH (a trailing '/' dropped),
// reversed: 'src/lib/util.c' -> 'c.litu'.  A name pattern's literal
// suffix reversed ('*.c' -> 'c.*') is then a prefix match on an index.
void name_rev_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const unsigned char* p = sqlite3_value_text(argv[0]);
  if (p == nullptr) {
    sqlite3_result_null(ctx);
    return;
  }
  std::string s(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_value_bytes(argv[0])));
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  size_t slash = s.rfind('/');
  if (slash != std::string::npos) s.erase(0, slash + 1);
  std::string r(s.rbegin(), s.rend());
  sqlite3_result_text(ctx, r.data(), static_cast<int>(r.size()), SQLITE_TRANSIENT);
}

sqlite3* open_raw(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    die("cannot open " + path);
  }
  sqlite3_create_function(db, "reverse", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, reverse_function, nullptr,
                          nullptr);
  sqlite3_create_function(db, "name_rev", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, name_rev_function, nullptr,
                          nullptr);
  vtape::register_catalog_functions(db);  // what the catalog's own statements call
  if (const char* pragmas = std::getenv("CATALOG_BENCH_PRAGMAS")) {
    if (sqlite3_exec(db, pragmas, nullptr, nullptr, nullptr) != SQLITE_OK) die(sqlite3_errmsg(db));
  }
  return db;
}

void bind_params(sqlite3_stmt* s, int n, char** params) {
  for (int i = 0; i < n; ++i) {
    if (std::strcmp(params[i], "NULL") == 0) {
      sqlite3_bind_null(s, i + 1);
    } else {
      sqlite3_bind_text(s, i + 1, params[i], -1, SQLITE_TRANSIENT);
    }
  }
}

int search(int argc, char** argv) {
  std::string db = argv[0];
  vtape::FindRequest request;
  request.pattern = argv[1];
  if (argc > 2 && std::string(argv[2]) != "-") request.volser = argv[2];
  request.limit = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 0;
  int runs = argc > 4 ? std::atoi(argv[4]) : 5;
  if (argc > 5 && std::string(argv[5]) != "-") request.since = std::strtoll(argv[5], nullptr, 10);
  return time_search(db, runs, [&](vtape::Catalog& c, std::vector<vtape::FoundMember>* found) {
    check(c.find_pattern(request, found), "find_pattern");
  });
}

int plan(int argc, char** argv) {
  sqlite3* db = open_raw(argv[0]);
  vtape::FindRequest request;
  request.pattern = argv[1];
  if (argc > 2 && std::string(argv[2]) != "-") request.volser = argv[2];
  request.limit = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 0;
  vtape::FindStatement statement = vtape::find_statement(vtape::plan_find(request.pattern), request);
  std::string sql = "EXPLAIN QUERY PLAN " + statement.sql;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) die(sqlite3_errmsg(db));
  int i = 0;
  for (const auto& p : statement.parameters) {
    ++i;
    switch (p.type) {
      case vtape::SqlParameter::Type::kText:
        sqlite3_bind_text(s, i, p.bytes.data(), static_cast<int>(p.bytes.size()), SQLITE_TRANSIENT);
        break;
      case vtape::SqlParameter::Type::kBlob:
        vtape::sqlite::bind_blob(s, i, p.bytes);
        break;
      case vtape::SqlParameter::Type::kInteger: sqlite3_bind_int64(s, i, p.integer); break;
    }
  }
  while (sqlite3_step(s) == SQLITE_ROW) std::printf("  %s\n", reinterpret_cast<const char*>(sqlite3_column_text(s, 3)));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return 0;
}

int exec(char** argv) {
  sqlite3* db = open_raw(argv[0]);
  auto t = Clock::now();
  char* err = nullptr;
  if (sqlite3_exec(db, argv[1], nullptr, nullptr, &err) != SQLITE_OK) die(err != nullptr ? err : "exec");
  std::printf("%.1f\n", ms_since(t));
  sqlite3_close(db);
  return 0;
}

int sql(int argc, char** argv) {
  sqlite3* db = open_raw(argv[0]);
  int runs = std::atoi(argv[1]);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db, argv[2], -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
    die(sqlite3_errmsg(db));
  }
  double best = 1e18;
  long rows = 0;
  for (int r = 0; r < runs; ++r) {
    sqlite3_reset(s);
    bind_params(s, argc - 3, argv + 3);
    auto t = Clock::now();
    rows = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      // Read the columns as find does.
      for (int i = 0; i < sqlite3_column_count(s); ++i) (void)sqlite3_column_text(s, i);
      ++rows;
    }
    if (rc != SQLITE_DONE) die(sqlite3_errmsg(db));
    best = std::min(best, ms_since(t));
  }
  std::printf("%ld %.1f\n", rows, best);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return 0;
}

}  // namespace

int closedelay(char** argv) {
  size_t record = std::strtoull(argv[1], nullptr, 10);
  if (record == 0) die("a record size of 0");
  int fd = ::open(argv[0], O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(std::string("cannot open ") + argv[0] + ": " + std::strerror(errno));
  std::vector<char> buf(record);
  uint64_t records = 0;
  for (bool more = true; more;) {
    size_t have = 0;
    while (have < record) {
      ssize_t n = ::read(0, buf.data() + have, record - have);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) die(std::string("reading standard input: ") + std::strerror(errno));
      if (n == 0) {
        more = false;
        break;
      }
      have += static_cast<size_t>(n);
    }
    if (have == 0) break;
    if (::write(fd, buf.data(), have) != static_cast<ssize_t>(have)) {
      die(std::string("writing to ") + argv[0] + ": " + std::strerror(errno));
    }
    ++records;
  }
  auto t = Clock::now();
  if (::close(fd) != 0) die(std::string("closing ") + argv[0] + ": " + std::strerror(errno));
  std::printf("%llu %.1f\n", static_cast<unsigned long long>(records), ms_since(t));
  return 0;
}

int recorder(char** argv) {
  std::string path = argv[0], db = argv[2];
  size_t record = std::strtoull(argv[1], nullptr, 10);
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty() || record == 0) die("nothing to record in " + path);
  std::span<const uint8_t> all(data);
  std::remove(db.c_str());
  std::remove((db + "-wal").c_str());
  std::remove((db + "-shm").c_str());
  std::unique_ptr<vtape::Catalog> c;
  check(vtape::Catalog::open(db, &c), "opening the catalog");
  vtape::VolumeRow v;
  v.volser = "UPKEEP";
  v.image_path = path;
  v.format = "simh";
  check(c->upsert_volume(v), "adding the volume");
  double record_ms = 0, commit_ms = 0;
  {
    vtape::CatalogRecorder rec(*c, "UPKEEP", path, vtape::Format::kSimh, 0);
    rec.begin(vtape::TapePosition{});
    check(rec.changing(), "marking the volume");
    auto t = Clock::now();
    for (size_t at = 0; at < all.size(); at += record) rec.record(all.subspan(at, std::min(record, all.size() - at)));
    record_ms = ms_since(t);
    t = Clock::now();
    vtape::TapePosition after;
    after.file = 1;
    check(rec.filemark_written(after, data.size()), "committing the tape file");
    commit_ms = ms_since(t);
    check(rec.stop(data.size()), "stopping");
  }
  std::vector<vtape::TapeFileRow> rows;
  check(c->files("UPKEEP", &rows), "listing the tape file");
  std::printf("%.0f %.0f %llu\n", record_ms, commit_ms,
              static_cast<unsigned long long>(rows.empty() ? 0 : rows[0].member_count));
  return 0;
}

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "mktree" && argc == 7) return mktree(argv + 2);
  if (cmd == "generate" && argc == 5) return generate(argv + 2);
  if (cmd == "find" && argc >= 4) return find(argc - 2, argv + 2);
  if (cmd == "search" && argc >= 4) return search(argc - 2, argv + 2);
  if (cmd == "plan" && argc >= 4) return plan(argc - 2, argv + 2);
  if (cmd == "sql" && argc >= 5) return sql(argc - 2, argv + 2);
  if (cmd == "exec" && argc == 4) return exec(argv + 2);
  if (cmd == "upkeep" && argc == 5) return upkeep(argv + 2);
  if (cmd == "recorder" && argc == 5) return recorder(argv + 2);
  if (cmd == "digest" && argc <= 3) return digest_speed(argc - 2, argv + 2);
  if (cmd == "closedelay" && argc == 4) return closedelay(argv + 2);
  std::fprintf(stderr,
               "usage: catalog_bench mktree DIR SMALL_FILES SMALL_SIZE BIG_FILES BIG_SIZE\n"
               "       catalog_bench generate DB MEMBERS VOLUMES\n"
               "       catalog_bench find DB GLOB [VOLSER|-] [LIMIT] [RUNS]\n"
               "       catalog_bench search DB PATTERN [VOLSER|-] [LIMIT] [RUNS] [SINCE|-]\n"
               "       catalog_bench plan DB PATTERN [VOLSER|-] [LIMIT]\n"
               "       catalog_bench sql DB RUNS SQL [PARAM...]\n"
               "       catalog_bench exec DB SQL\n"
               "       catalog_bench upkeep FILE RECORD DB\n"
               "       catalog_bench closedelay DRIVE RECORD\n");
  return 2;
}
