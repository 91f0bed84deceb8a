// The SQLite catalog: schema creation and the checks on open (version,
// application id, databases that are not catalogs), what replace_files
// keeps and drops, and find with globs, a volume, a time and a limit.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "index/catalog.h"
#include "index/catalog_schema.h"
#include "tests/index/index_test_util.h"

namespace vtape::testing {
namespace {

// A plain SQLite connection, to look at and tamper with a catalog file.
class RawDb {
 public:
  explicit RawDb(const std::string& path) { EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK); }
  ~RawDb() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << sql << ": " << (err ? err : "");
    sqlite3_free(err);
  }
  int64_t integer(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    int64_t v = -1;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
    if (s != nullptr && sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    std::string v;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
    if (s != nullptr && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return v;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::unique_ptr<Catalog> open_catalog(const std::string& path) {
  std::unique_ptr<Catalog> c;
  Status s = Catalog::open(path, &c);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return c;
}

VolumeRow volume(const std::string& volser) {
  VolumeRow v;
  v.volser = volser;
  v.image_path = "/lib/" + volser + ".tap";
  v.format = "simh";
  v.capacity = 1 << 30;
  return v;
}

TapeMember member(const std::string& path, uint64_t size = 10, int64_t mtime = 1700000000,
                  const std::string& kind = "file") {
  TapeMember m;
  m.kind = kind;
  m.path = path;
  m.size = size;
  m.mode = 0644;
  m.mtime = mtime;
  m.data_offset = 512;
  return m;
}

CatalogedFile tape_file(uint64_t number, std::vector<TapeMember> members, const std::string& content = "tar") {
  CatalogedFile f;
  f.row.file_number = number;
  f.row.first_block = number * 10;
  f.row.records = 9;
  f.row.bytes = 9 * 10240;
  f.row.smallest = 10240;
  f.row.largest = 10240;
  f.row.image_offset = number * 100000;
  f.row.digest = std::string(32, static_cast<char>('a' + number % 6));
  f.row.written_at = "2024-01-02T03:04:05Z";
  f.row.closed_cleanly = true;
  f.row.content = content;
  f.members = std::move(members);
  return f;
}

std::vector<std::string> paths(const std::vector<FoundMember>& found) {
  std::vector<std::string> out;
  for (const auto& f : found) out.push_back(f.volser + ":" + std::to_string(f.file_number) + ":" + f.path);
  return out;
}

TEST(CatalogOpen, CreatesTheSchemaWithVersionAndApplicationId) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  { auto c = open_catalog(path); }
  RawDb db(path);
  EXPECT_EQ(db.integer("PRAGMA user_version"), sql::kSchemaVersion);
  EXPECT_EQ(db.integer("PRAGMA application_id"), 0x56544150);
  EXPECT_EQ(db.text("PRAGMA journal_mode"), "wal");
  for (const char* table : {"volumes", "tape_files", "members", "events", "record_checksums"}) {
    EXPECT_EQ(db.integer(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='") + table + "'"),
              1)
        << table;
  }
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM sqlite_master WHERE type='index' AND name='members_by_file_path'"), 1);
  // Gone since version 12 (members_by_file_path answers path ranges).
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM sqlite_master WHERE type='index' AND name='members_by_path'"), 0);
  // Gone since version 10 (member_names and its trigram index answer name patterns).
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM sqlite_master WHERE type='index' AND name='members_by_name_rev'"), 0);
}

TEST(CatalogOpen, ReopeningKeepsTheData) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    auto c = open_catalog(path);
    ASSERT_TRUE(c->upsert_volume(volume("V00001")).is_ok());
    ASSERT_TRUE(
        c->replace_files("V00001", 0, {tape_file(0, {member("a/b.c"), member("a/d.h")})}, 5000, "2024-01-02T03:04:05Z")
            .is_ok());
    ASSERT_TRUE(c->set_label("V00001", "LBL001", "OWNER").is_ok());
    ASSERT_TRUE(c->add_event("V00001", 0, "write", "file 0").is_ok());
  }
  auto c = open_catalog(path);
  std::vector<VolumeRow> vols;
  ASSERT_TRUE(c->volumes(&vols).is_ok());
  ASSERT_EQ(vols.size(), 1u);
  EXPECT_EQ(vols[0].volser, "V00001");
  EXPECT_EQ(vols[0].image_path, "/lib/V00001.tap");
  EXPECT_EQ(vols[0].label_volser, "LBL001");
  EXPECT_EQ(vols[0].label_owner, "OWNER");
  EXPECT_EQ(vols[0].image_size, 5000u);
  EXPECT_EQ(vols[0].last_written, "2024-01-02T03:04:05Z");
  EXPECT_EQ(vols[0].tape_files, 1u);
  EXPECT_EQ(vols[0].bytes, 9u * 10240);
  std::vector<TapeFileRow> files;
  ASSERT_TRUE(c->files("V00001", &files).is_ok());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].member_count, 2u);
  EXPECT_EQ(files[0].digest, std::string(32, 'a'));
  EXPECT_EQ(files[0].content, "tar");
  EXPECT_TRUE(files[0].closed_cleanly);
  std::vector<TapeMember> ms;
  ASSERT_TRUE(c->members("V00001", 0, &ms).is_ok());
  expect_same_members(ms, {member("a/b.c"), member("a/d.h")});
  RawDb db(path);
  EXPECT_EQ(db.integer("PRAGMA user_version"), sql::kSchemaVersion);
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM events WHERE kind = 'write'"), 1);
}

// An old catalog (here version 3) is migrated to the current one: its
// volumes start without a pending write; a drive's mark and the commit that
// records the change set and clear it.
TEST(CatalogOpen, AnOldCatalogGetsWritePendingAndTheMarkIsClearedByTheCommit) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    RawDb db(path);
    for (int v = 0; v < 3; ++v) db.exec(sql::kMigrations[v]);
    db.exec("PRAGMA application_id = 1448362320; PRAGMA user_version = 3");
    db.exec("INSERT INTO volumes (volser, image_path, format, capacity, created, image_size) "
            "VALUES ('OLD001', '/lib/OLD001.tap', 'simh', 1000, '2020-01-01T00:00:00Z', 77)");
  }
  auto c = open_catalog(path);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(RawDb(path).integer("PRAGMA user_version"), sql::kSchemaVersion);
  VolumeRow v;
  bool found = false;
  ASSERT_TRUE(c->volume("OLD001", &v, &found).is_ok());
  ASSERT_TRUE(found);
  EXPECT_FALSE(v.write_pending);
  EXPECT_EQ(v.image_size, 77u);
  EXPECT_EQ(v.file_number_end, 0u);

  bool was_pending = true;
  ASSERT_TRUE(c->set_write_pending("OLD001", &was_pending).is_ok());
  EXPECT_FALSE(was_pending);
  ASSERT_TRUE(c->volume("OLD001", &v, &found).is_ok());
  EXPECT_TRUE(v.write_pending);
  ASSERT_TRUE(c->set_write_pending("OLD001", &was_pending).is_ok());
  EXPECT_TRUE(was_pending);
  ASSERT_TRUE(c->replace_files("OLD001", 0, {tape_file(0, {member("x")})}, 5000, "2024-01-02T03:04:05Z").is_ok());
  ASSERT_TRUE(c->volume("OLD001", &v, &found).is_ok());
  EXPECT_FALSE(v.write_pending);
  EXPECT_EQ(v.file_number_end, 1u);
  EXPECT_EQ(v.tape_files, 1u);
}

TEST(CatalogOpen, ANewerSchemaIsRefused) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  { auto c = open_catalog(path); }
  const int newer = sql::kSchemaVersion + 1;
  { RawDb(path).exec("PRAGMA user_version = " + std::to_string(newer)); }
  std::unique_ptr<Catalog> c;
  Status s = Catalog::open(path, &c);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kNotSupported);
  EXPECT_NE(s.message().find("version " + std::to_string(newer)), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  EXPECT_EQ(c, nullptr);
  // And it was left as it was.
  EXPECT_EQ(RawDb(path).integer("PRAGMA user_version"), newer);
}

TEST(CatalogOpen, ADatabaseOfAnotherApplicationIsRefused) {
  TempDir dir;
  std::string path = dir.file("other.db");
  {
    RawDb db(path);
    db.exec("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep me'); PRAGMA application_id = 305419896");
  }
  std::unique_ptr<Catalog> c;
  Status s = Catalog::open(path, &c);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("not a vtape catalog"), std::string::npos) << s.message();
  EXPECT_EQ(RawDb(path).integer("SELECT COUNT(*) FROM sqlite_master WHERE name = 'volumes'"), 0);
}

// A database that is not a catalog is refused, not taken over, also when
// it has no application_id (any file the sqlite3 shell made).
TEST(CatalogOpen, ANonCatalogDatabaseWithoutApplicationIdIsRefused) {
  TempDir dir;
  std::string path = dir.file("other.db");
  { RawDb(path).exec("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep me')"); }
  std::unique_ptr<Catalog> c;
  Status s = Catalog::open(path, &c);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("not a vtape catalog"), std::string::npos) << s.message();
  RawDb db(path);
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM sqlite_master WHERE name = 'volumes'"), 0);
  EXPECT_EQ(db.integer("PRAGMA application_id"), 0);
}

TEST(CatalogOpen, ANonCatalogDatabaseWithAConflictingTableIsNotOpened) {
  TempDir dir;
  std::string path = dir.file("other.db");
  { RawDb(path).exec("CREATE TABLE volumes (id INTEGER)"); }
  std::unique_ptr<Catalog> c;
  Status s = Catalog::open(path, &c);
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(RawDb(path).integer("PRAGMA user_version"), 0);  // the migration was rolled back
}

TEST(CatalogOpen, AFileThatIsNotSqliteIsRefused) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  write_file_bytes(path, bytes_of(std::string(4096, 'x')));
  std::unique_ptr<Catalog> c;
  Status s = Catalog::open(path, &c);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
}

class CatalogWithVolumes : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = open_catalog(dir_.file("catalog.db"));
    ASSERT_TRUE(catalog_);
    for (const char* v : {"V0001", "V0002"}) ASSERT_TRUE(catalog_->upsert_volume(volume(v)).is_ok());
  }
  std::vector<uint64_t> file_numbers(const std::string& volser) {
    std::vector<TapeFileRow> rows;
    EXPECT_TRUE(catalog_->files(volser, &rows).is_ok());
    std::vector<uint64_t> out;
    for (const auto& r : rows) out.push_back(r.file_number);
    return out;
  }
  std::vector<std::string> find(const std::string& glob, std::optional<std::string> volser = std::nullopt,
                                std::optional<int64_t> since = std::nullopt, uint64_t limit = 1000) {
    std::vector<FoundMember> found;
    Status s = catalog_->find(glob, volser, since, limit, &found);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return paths(found);
  }

  TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CatalogWithVolumes, ReplaceFilesFromAFileDropsItAndEveryLaterFile) {
  std::vector<CatalogedFile> files;
  for (uint64_t i = 0; i < 4; ++i)
    files.push_back(tape_file(i, {member("f" + std::to_string(i) + "/a"), member("f" + std::to_string(i) + "/b")}));
  ASSERT_TRUE(catalog_->replace_files("V0001", 0, files, 4000, "2024-01-01T00:00:00Z").is_ok());
  ASSERT_TRUE(catalog_->replace_files("V0002", 0, files, 4000, "2024-01-01T00:00:00Z").is_ok());
  EXPECT_EQ(file_numbers("V0001"), (std::vector<uint64_t>{0, 1, 2, 3}));

  // The tape is rewritten from file 2 on: one new file 2.
  CatalogedFile again = tape_file(2, {member("new/x", 77)}, "cpio");
  ASSERT_TRUE(catalog_->replace_files("V0001", 2, {again}, 2500, "2024-02-02T00:00:00Z").is_ok());
  EXPECT_EQ(file_numbers("V0001"), (std::vector<uint64_t>{0, 1, 2}));
  std::vector<TapeMember> ms;
  ASSERT_TRUE(catalog_->members("V0001", 2, &ms).is_ok());
  expect_same_members(ms, {member("new/x", 77)});
  ASSERT_TRUE(catalog_->members("V0001", 3, &ms).is_ok());
  EXPECT_TRUE(ms.empty());
  ASSERT_TRUE(catalog_->members("V0001", 1, &ms).is_ok());
  expect_same_members(ms, {member("f1/a"), member("f1/b")});
  std::vector<TapeFileRow> rows;
  ASSERT_TRUE(catalog_->files("V0001", &rows).is_ok());
  EXPECT_EQ(rows[2].content, "cpio");
  EXPECT_EQ(rows[2].member_count, 1u);
  // No member of the dropped files is left anywhere.
  EXPECT_TRUE(find("f3/*", std::string("V0001")).empty());
  EXPECT_TRUE(find("f2/*", std::string("V0001")).empty());
  // The other volume is untouched.
  EXPECT_EQ(file_numbers("V0002"), (std::vector<uint64_t>{0, 1, 2, 3}));
  EXPECT_EQ(find("f3/*").size(), 2u);
  // The volume's size and last write.
  std::vector<VolumeRow> vols;
  ASSERT_TRUE(catalog_->volumes(&vols).is_ok());
  EXPECT_EQ(vols[0].image_size, 2500u);
  EXPECT_EQ(vols[0].last_written, "2024-02-02T00:00:00Z");
  EXPECT_EQ(vols[0].tape_files, 3u);

  // Without a write time (reindexing) the last write stays.
  ASSERT_TRUE(catalog_->replace_files("V0001", 3, {}, 2600, "").is_ok());
  ASSERT_TRUE(catalog_->volumes(&vols).is_ok());
  EXPECT_EQ(vols[0].image_size, 2600u);
  EXPECT_EQ(vols[0].last_written, "2024-02-02T00:00:00Z");

  // From file 0: the tape is empty.
  ASSERT_TRUE(catalog_->replace_files("V0001", 0, {}, 0, "2024-03-03T00:00:00Z").is_ok());
  EXPECT_TRUE(file_numbers("V0001").empty());
  EXPECT_TRUE(find("*", std::string("V0001")).empty());
}

TEST_F(CatalogWithVolumes, FileCountCountsOneVolumesTapeFiles) {
  uint64_t n = 99;
  ASSERT_TRUE(catalog_->file_count("V0001", &n).is_ok());
  EXPECT_EQ(n, 0u);
  std::vector<CatalogedFile> files;
  for (uint64_t i = 0; i < 3; ++i) files.push_back(tape_file(i, {member("f" + std::to_string(i))}));
  ASSERT_TRUE(catalog_->replace_files("V0001", 0, files, 3000, "").is_ok());
  ASSERT_TRUE(catalog_->replace_files("V0002", 0, {files[0]}, 1000, "").is_ok());
  ASSERT_TRUE(catalog_->file_count("V0001", &n).is_ok());
  EXPECT_EQ(n, 3u);
  ASSERT_TRUE(catalog_->file_count("V0002", &n).is_ok());
  EXPECT_EQ(n, 1u);
  ASSERT_TRUE(catalog_->file_count("NOSUCH", &n).is_ok());
  EXPECT_EQ(n, 0u);
}

TEST_F(CatalogWithVolumes, ReplaceFilesIsOneTransaction) {
  ASSERT_TRUE(catalog_->replace_files("V0001", 0, {tape_file(0, {member("keep")})}, 1, "").is_ok());
  // File 1 twice violates the primary key: nothing of the call may stay.
  Status s = catalog_->replace_files("V0001", 0, {tape_file(1, {member("x")}), tape_file(1, {member("y")})}, 2, "");
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(file_numbers("V0001"), (std::vector<uint64_t>{0}));
  EXPECT_EQ(find("*", std::string("V0001")), (std::vector<std::string>{"V0001:0:keep"}));
  // And the catalog still works.
  EXPECT_TRUE(catalog_->replace_files("V0001", 1, {tape_file(1, {member("y")})}, 3, "").is_ok());
}

TEST_F(CatalogWithVolumes, DeleteVolumeRemovesItsFilesAndMembers) {
  ASSERT_TRUE(catalog_->replace_files("V0001", 0, {tape_file(0, {member("a")})}, 1, "").is_ok());
  ASSERT_TRUE(catalog_->replace_files("V0002", 0, {tape_file(0, {member("a")})}, 1, "").is_ok());
  ASSERT_TRUE(catalog_->delete_volume("V0001").is_ok());
  std::vector<VolumeRow> vols;
  ASSERT_TRUE(catalog_->volumes(&vols).is_ok());
  ASSERT_EQ(vols.size(), 1u);
  EXPECT_EQ(vols[0].volser, "V0002");
  EXPECT_EQ(find("a"), (std::vector<std::string>{"V0002:0:a"}));
  EXPECT_TRUE(file_numbers("V0001").empty());
}

class CatalogFind : public CatalogWithVolumes {
 protected:
  void SetUp() override {
    CatalogWithVolumes::SetUp();
    ASSERT_TRUE(catalog_->upsert_volume(volume("V0003")).is_ok());
    ASSERT_TRUE(
        catalog_
            ->replace_files("V0002", 0,
                            {tape_file(0, {member("src/main.c", 100, 1000), member("src/lib/util.c", 200, 2000),
                                           member("src/lib/util.h", 30, 3000), member("src/lib/sub/deep.c", 40, 4000)}),
                             tape_file(1, {member("doc/readme.txt", 5, 5000), member("Src/UPPER.C", 6, 6000),
                                           member("src/", 0, 1500, "directory")})},
                            0, "")
            .is_ok());
    ASSERT_TRUE(catalog_
                    ->replace_files("V0001", 0,
                                    {tape_file(0, {member("src/main.c", 101, 7000), member("a b/c[1].c", 1, 8000)}),
                                     tape_file(1, {}, "unknown"), tape_file(2, {member("x.h", 2, 9000)})},
                                    0, "")
                    .is_ok());
  }
};

TEST_F(CatalogFind, SuffixGlobFindsEveryVolumeInVolumeFileOrder) {
  EXPECT_EQ(find("*.c"), (std::vector<std::string>{"V0001:0:src/main.c", "V0001:0:a b/c[1].c", "V0002:0:src/main.c",
                                                   "V0002:0:src/lib/util.c", "V0002:0:src/lib/sub/deep.c"}));
  // GLOB is case-sensitive.
  EXPECT_EQ(find("*.C"), (std::vector<std::string>{"V0002:1:Src/UPPER.C"}));
}

TEST_F(CatalogFind, PrefixGlobStarCrossesSlashes) {
  EXPECT_EQ(find("src/lib/*"), (std::vector<std::string>{"V0002:0:src/lib/util.c", "V0002:0:src/lib/util.h",
                                                         "V0002:0:src/lib/sub/deep.c"}));
  EXPECT_EQ(find("src/*"),
            (std::vector<std::string>{"V0001:0:src/main.c", "V0002:0:src/main.c", "V0002:0:src/lib/util.c",
                                      "V0002:0:src/lib/util.h", "V0002:0:src/lib/sub/deep.c", "V0002:1:src/"}));
}

TEST_F(CatalogFind, ExactPathAndGlobCharacters) {
  EXPECT_EQ(find("doc/readme.txt"), (std::vector<std::string>{"V0002:1:doc/readme.txt"}));
  EXPECT_TRUE(find("doc/readme").empty());
  EXPECT_EQ(find("src/lib/util.?"), (std::vector<std::string>{"V0002:0:src/lib/util.c", "V0002:0:src/lib/util.h"}));
  EXPECT_EQ(find("*.[h]"), (std::vector<std::string>{"V0001:2:x.h", "V0002:0:src/lib/util.h"}));
  // Brackets in a name are matched with a class.
  EXPECT_EQ(find("a b/c[[]1].c"), (std::vector<std::string>{"V0001:0:a b/c[1].c"}));
}

TEST_F(CatalogFind, VolumeSinceAndLimit) {
  EXPECT_EQ(find("*.c", std::string("V0002")),
            (std::vector<std::string>{"V0002:0:src/main.c", "V0002:0:src/lib/util.c", "V0002:0:src/lib/sub/deep.c"}));
  EXPECT_TRUE(find("*", std::string("V0003")).empty());
  EXPECT_TRUE(find("*", std::string("NOSUCH")).empty());
  EXPECT_EQ(find("*.c", std::nullopt, int64_t{4000}),
            (std::vector<std::string>{"V0001:0:src/main.c", "V0001:0:a b/c[1].c", "V0002:0:src/lib/sub/deep.c"}));
  EXPECT_EQ(find("*.c", std::string("V0002"), int64_t{2000}),
            (std::vector<std::string>{"V0002:0:src/lib/util.c", "V0002:0:src/lib/sub/deep.c"}));
  EXPECT_EQ(find("*", std::nullopt, std::nullopt, 2),
            (std::vector<std::string>{"V0001:0:src/main.c", "V0001:0:a b/c[1].c"}));
  EXPECT_EQ(find("*").size(), 10u);
}

TEST_F(CatalogFind, FoundMembersCarryKindSizeAndTime) {
  std::vector<FoundMember> found;
  ASSERT_TRUE(catalog_->find("src/", std::nullopt, std::nullopt, 10, &found).is_ok());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].volser, "V0002");
  EXPECT_EQ(found[0].file_number, 1u);
  EXPECT_EQ(found[0].kind, "directory");
  EXPECT_EQ(found[0].size, 0u);
  EXPECT_EQ(found[0].mtime, 1500);
  ASSERT_TRUE(catalog_->find("src/main.c", std::string("V0001"), std::nullopt, 10, &found).is_ok());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].size, 101u);
}

TEST_F(CatalogFind, ThreadsShareOneCatalog) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::vector<FoundMember> found;
        if (!catalog_->find("*.c", std::nullopt, std::nullopt, 100, &found).is_ok() || found.size() != 5) ++failures;
        if (!catalog_->add_event("V0001", t, "test", std::to_string(i)).is_ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// A catalog of schema version 4 (before members' owners, pending writes and
// compressed archives) is migrated through 5, 6 and 7: its tape files keep
// what they had, with no compression, and the compression of new ones is
// kept.
TEST(CatalogMigration, AVersion4CatalogGetsTheCompressionColumn) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    auto c = open_catalog(path);
    ASSERT_TRUE(c->upsert_volume(volume("V00001")).is_ok());
    ASSERT_TRUE(c->replace_files("V00001", 0, {tape_file(0, {member("a")})}, 5000, "2024-01-02T03:04:05Z").is_ok());
  }
  {
    RawDb db(path);  // back to version 4, as an older vtape left it
    // (Version 12's members_by_path comes back, version 10's dropped name_rev
    // too, version 9's name tables (with 11's mark) and tape_files.writing go
    // first, then version 8's digest columns.)
    db.exec("DROP INDEX members_by_file_path; CREATE INDEX members_by_path ON members(path);");
    db.exec("ALTER TABLE members ADD COLUMN name_rev BLOB NOT NULL DEFAULT x''; "
            "CREATE INDEX members_by_name_rev ON members(name_rev, volser, file_number, kind, path, size, mtime);");
    db.exec("DROP TRIGGER member_names_of_deleted_members; DROP TABLE member_names_fts; DROP TABLE member_names; "
            "DROP TABLE member_names_indexed; ALTER TABLE tape_files DROP COLUMN writing;");
    db.exec("ALTER TABLE tape_files DROP COLUMN digest_algorithm; "
            "ALTER TABLE tape_files RENAME COLUMN digest TO sha256; "
            "ALTER TABLE tape_files DROP COLUMN compression; ALTER TABLE volumes DROP COLUMN write_pending; "
            "ALTER TABLE members DROP COLUMN uid; ALTER TABLE members DROP COLUMN gid; PRAGMA user_version = 4;");
    EXPECT_EQ(db.integer("SELECT COUNT(*) FROM pragma_table_info('tape_files') WHERE name = 'compression'"), 0);
  }
  auto c = open_catalog(path);
  std::vector<TapeFileRow> files;
  ASSERT_TRUE(c->files("V00001", &files).is_ok());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].content, "tar");
  EXPECT_EQ(files[0].compression, "");
  EXPECT_EQ(files[0].member_count, 1u);
  CatalogedFile compressed = tape_file(1, {member("b")});
  compressed.row.compression = "zstd";
  ASSERT_TRUE(c->replace_files("V00001", 1, {compressed}, 6000, "2024-01-02T03:04:05Z").is_ok());
  ASSERT_TRUE(c->files("V00001", &files).is_ok());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1].compression, "zstd");
  EXPECT_EQ(RawDb(path).integer("PRAGMA user_version"), sql::kSchemaVersion);
}

TEST(CatalogMigration, AVersion7CatalogsDigestsStaySha256AndNewOnesNameTheirAlgorithm) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  const std::string old_sha(64, 'c');
  {
    auto c = open_catalog(path);
    ASSERT_TRUE(c->upsert_volume(volume("V00001")).is_ok());
    CatalogedFile f = tape_file(0, {member("a")});
    f.row.digest = old_sha;
    ASSERT_TRUE(c->replace_files("V00001", 0, {f}, 5000, "2024-01-02T03:04:05Z").is_ok());
  }
  {
    RawDb db(path);  // back to version 7: the digest was `sha256`, SHA-256 always
    // (Version 12's members_by_path comes back, version 10's dropped name_rev
    // too, version 9's name tables (with 11's mark) and tape_files.writing go
    // first.)
    db.exec("DROP INDEX members_by_file_path; CREATE INDEX members_by_path ON members(path);");
    db.exec("ALTER TABLE members ADD COLUMN name_rev BLOB NOT NULL DEFAULT x''; "
            "CREATE INDEX members_by_name_rev ON members(name_rev, volser, file_number, kind, path, size, mtime);");
    db.exec("DROP TRIGGER member_names_of_deleted_members; DROP TABLE member_names_fts; DROP TABLE member_names; "
            "DROP TABLE member_names_indexed; ALTER TABLE tape_files DROP COLUMN writing;");
    db.exec("ALTER TABLE tape_files DROP COLUMN digest_algorithm; "
            "ALTER TABLE tape_files RENAME COLUMN digest TO sha256; PRAGMA user_version = 7;");
    EXPECT_EQ(db.text("SELECT sha256 FROM tape_files"), old_sha);
  }
  auto c = open_catalog(path);
  CatalogedFile added = tape_file(1, {member("b")});
  added.row.digest = std::string(32, 'd');
  added.row.digest_algorithm = "xxh3-128";
  ASSERT_TRUE(c->replace_files("V00001", 1, {added}, 6000, "2024-01-02T03:04:05Z").is_ok());
  std::vector<TapeFileRow> files;
  ASSERT_TRUE(c->files("V00001", &files).is_ok());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].digest, old_sha);
  EXPECT_EQ(files[0].digest_algorithm, "sha256");
  EXPECT_EQ(files[1].digest, std::string(32, 'd'));
  EXPECT_EQ(files[1].digest_algorithm, "xxh3-128");
  RawDb db(path);
  EXPECT_EQ(db.integer("PRAGMA user_version"), sql::kSchemaVersion);
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM pragma_table_info('tape_files') WHERE name = 'sha256'"), 0);
}

}  // namespace
}  // namespace vtape::testing
