// Catalog::find_pattern, what `vtape find` asks (man/vtape.1), compared
// with the documented meaning applied to every member one by one: a
// PATTERN without '/' matches the last component of the path, one with '/'
// the whole path, or the path after a leading "./" unless the PATTERN
// begins with '/', "./" or '*'; results in volume, tape file and tape
// order.  Whatever index range a pattern is answered from, the results
// must be exactly these.  Also: catalogs of schema versions 1, 8 and 9 are
// migrated on open and found in as before, and volume().
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <random>

#include "index/catalog.h"
#include "index/catalog_functions.h"
#include "index/catalog_schema.h"
#include "tests/index/index_test_util.h"

namespace vtape::testing {
namespace {

TapeMember member(const std::string& path, int64_t mtime, const std::string& kind = "file") {
  TapeMember m;
  m.kind = kind;
  m.path = path;
  m.size = path.size();
  m.mode = 0644;
  m.mtime = mtime;
  m.data_offset = 512;
  return m;
}

CatalogedFile tape_file(uint64_t number, std::vector<TapeMember> members) {
  CatalogedFile f;
  f.row.file_number = number;
  f.row.digest = std::string(32, 'a');
  f.row.written_at = "2024-01-02T03:04:05Z";
  f.row.closed_cleanly = true;
  f.row.content = "tar";
  f.members = std::move(members);
  return f;
}

VolumeRow volume(const std::string& volser) {
  VolumeRow v;
  v.volser = volser;
  v.image_path = "/lib/" + volser + ".tap";
  v.format = "simh";
  return v;
}

// The documented meaning, written independently of the catalog's code.
bool documented_match(const std::string& pattern, const std::string& path) {
  auto glob = [&](const std::string& text) { return sqlite3_strglob(pattern.c_str(), text.c_str()) == 0; };
  if (pattern.find('/') == std::string::npos) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    auto slash = p.rfind('/');
    return glob(slash == std::string::npos ? p : p.substr(slash + 1));
  }
  bool as_given = pattern[0] == '/' || pattern[0] == '*' || pattern.rfind("./", 0) == 0;
  return glob(path) || (!as_given && path.rfind("./", 0) == 0 && glob(path.substr(2)));
}

std::string describe(const FoundMember& m) {
  return m.volser + ":" + std::to_string(m.file_number) + ":" + m.kind + ":" + std::to_string(m.size) + ":" +
         std::to_string(m.mtime) + ":" + m.path;
}

// Every member in find's order, matched one by one.
std::vector<std::string> expected(Catalog& c, const FindRequest& r) {
  std::vector<std::string> out;
  std::vector<VolumeRow> volumes;
  EXPECT_TRUE(c.volumes(&volumes).is_ok());
  for (const auto& v : volumes) {
    if (r.volser && v.volser != *r.volser) continue;
    std::vector<TapeFileRow> files;
    EXPECT_TRUE(c.files(v.volser, &files).is_ok());
    for (const auto& f : files) {
      std::vector<TapeMember> members;
      EXPECT_TRUE(c.members(v.volser, f.file_number, &members).is_ok());
      for (const auto& m : members) {
        if (r.since && m.mtime < *r.since) continue;
        if (!documented_match(r.pattern, m.path)) continue;
        if (r.limit != 0 && out.size() == r.limit) return out;
        FoundMember fm;
        fm.volser = v.volser;
        fm.file_number = f.file_number;
        fm.kind = m.kind;
        fm.size = m.size;
        fm.mtime = m.mtime;
        fm.path = m.path;
        out.push_back(describe(fm));
      }
    }
  }
  return out;
}

std::vector<std::string> found(Catalog& c, const FindRequest& r) {
  std::vector<FoundMember> members;
  Status s = c.find_pattern(r, &members);
  EXPECT_TRUE(s.is_ok()) << s.message();
  std::vector<std::string> out;
  for (const auto& m : members) out.push_back(describe(m));
  return out;
}

// Names as archives hold them: tar's "./" form, directories with a
// trailing '/', names in several directories, absolute paths, glob
// characters, bytes that are not UTF-8 and an overlong encoding of 'é'.
const std::vector<std::string> kFile0 = {
    "./", "./src/", "./src/main.c", "./src/lib/", "./src/lib/util.c", "./src/lib/util.h", "./x.tar.gz",
    "./doc/readme.txt", "./exact/path/name.txt"};
const std::vector<std::string> kFile1 = {
    "src/main.c",   "src/lib/util.c", "a b/c[1].c",       "deep/er/main.c", "Main.C",      "dir.c/",
    "dir.c/in.txt", "/etc/passwd",    "/",                "",               "caf\xc3\xa9", "caf\xe0\x83\xa9",
    "bad\xff.c",    "x/.hidden",      "trailing//",       "main.c.orig",    "src/lib/main.c", "domain.c"};
const std::vector<std::string> kOther = {
    "main.c", "lib/main.c", "archive.tar.gz", "archive.tar", "report-2024-01.pdf", "name.txt", "exact/path/name.txt"};

const std::vector<std::string> kPatterns = {
    "*.c",         "*.C",           "main.c",       "*.tar.gz",    "*.gz",         "src/lib/*",  "src/*",
    "./src/*",     "/etc/*",        "*/main.c",     "*main*",      "main*",        "?ain.c",     "*.[ch]",
    "c[[]1].c",    "a b/c[[]1].c",  "dir.c",        "dir.c/*",     "exact/path/name.txt",       "name.txt",
    "*",           "caf\xc3\xa9",   "*\xc3\xa9",    "bad*",        "*\xff.c",      "src/lib/util.?",
    "trailing",    "*/",            "src/",         "x/.*",        "",             "?rc/*.c",    "*/lib/*.c",
    "*.txt",       "readme.txt",    "doc/*",        "no-such-name", "src/lib/",    "*/passwd"};

class CatalogSearch : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Catalog::open(dir_.file("catalog.db"), &catalog_).is_ok());
    // V0002 first: the members' ids are then not in volume order.
    for (const char* v : {"V0002", "V0001"}) ASSERT_TRUE(catalog_->upsert_volume(volume(v)).is_ok());
    ASSERT_TRUE(catalog_->replace_files("V0002", 0, {tape_file(0, members(kOther, 3000))}, 1, "").is_ok());
    std::vector<CatalogedFile> files = {tape_file(0, members(kFile0, 1000)), tape_file(1, members(kFile1, 2000))};
    ASSERT_TRUE(catalog_->replace_files("V0001", 0, files, 1, "").is_ok());
  }
  static std::vector<TapeMember> members(const std::vector<std::string>& paths, int64_t first_mtime) {
    std::vector<TapeMember> out;
    for (size_t i = 0; i < paths.size(); ++i) {
      bool dir = !paths[i].empty() && paths[i].back() == '/';
      out.push_back(member(paths[i], first_mtime + static_cast<int64_t>(i), dir ? "directory" : "file"));
    }
    return out;
  }
  TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CatalogSearch, EveryPatternFindsExactlyTheDocumentedMembersInOrder) {
  for (const auto& p : kPatterns) {
    FindRequest r;
    r.pattern = p;
    EXPECT_EQ(found(*catalog_, r), expected(*catalog_, r)) << "pattern '" << p << "'";
  }
}

TEST_F(CatalogSearch, VolumeTimeAndLimitFilterTheSameWay) {
  for (const auto& p : kPatterns) {
    FindRequest r;
    r.pattern = p;
    r.volser = "V0001";
    EXPECT_EQ(found(*catalog_, r), expected(*catalog_, r)) << "pattern '" << p << "' on V0001";
    r.volser.reset();
    r.since = 2005;
    EXPECT_EQ(found(*catalog_, r), expected(*catalog_, r)) << "pattern '" << p << "' since 2005";
    r.volser = "V0002";
    EXPECT_EQ(found(*catalog_, r), expected(*catalog_, r)) << "pattern '" << p << "' on V0002 since 2005";
    r.volser.reset();
    r.since.reset();
    r.limit = 2;
    EXPECT_EQ(found(*catalog_, r), expected(*catalog_, r)) << "pattern '" << p << "' limit 2";
  }
}

TEST_F(CatalogSearch, SpotChecksOfWhatTheKindsOfPatternFind) {
  FindRequest r;
  r.pattern = "main.c";  // a bare name, in any directory, "./" or not
  EXPECT_EQ(found(*catalog_, r),
            (std::vector<std::string>{"V0001:0:file:12:1002:./src/main.c", "V0001:1:file:10:2000:src/main.c",
                                      "V0001:1:file:14:2003:deep/er/main.c", "V0001:1:file:14:2016:src/lib/main.c",
                                      "V0002:0:file:6:3000:main.c", "V0002:0:file:10:3001:lib/main.c"}));
  r.pattern = "src/lib/*";  // a directory, recorded with and without "./"
  EXPECT_EQ(found(*catalog_, r),
            (std::vector<std::string>{"V0001:0:directory:10:1003:./src/lib/", "V0001:0:file:16:1004:./src/lib/util.c",
                                      "V0001:0:file:16:1005:./src/lib/util.h", "V0001:1:file:14:2001:src/lib/util.c",
                                      "V0001:1:file:14:2016:src/lib/main.c"}));
  r.pattern = "*.tar.gz";
  EXPECT_EQ(found(*catalog_, r), (std::vector<std::string>{"V0001:0:file:10:1006:./x.tar.gz",
                                                           "V0002:0:file:14:3002:archive.tar.gz"}));
  r.pattern = "dir.c";  // the directory dir.c/
  EXPECT_EQ(found(*catalog_, r), (std::vector<std::string>{"V0001:1:directory:6:2005:dir.c/"}));
  r.pattern = "exact/path/name.txt";
  EXPECT_EQ(found(*catalog_, r), (std::vector<std::string>{"V0001:0:file:21:1008:./exact/path/name.txt",
                                                           "V0002:0:file:19:3006:exact/path/name.txt"}));
  r.pattern = "*\xc3\xa9";  // not ASCII: no range, every name is matched
  EXPECT_FALSE(found(*catalog_, r).empty());
}

// A catalog written by a vtape of schema version 1: members without
// name_rev.  Opening it migrates it through every version (name_rev filled
// by 4, gone again with 10); find then works on the old rows.
TEST(CatalogMigration, AVersion1CatalogMigratesAndFindWorksOnItsRows) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    std::string v1 = std::string(sql::kMigrations[0]) +
                     "PRAGMA application_id = 1448362320; PRAGMA user_version = 1;"
                     "INSERT INTO volumes (volser, image_path, format, capacity, created) "
                     "  VALUES ('OLD001', '/x', 'simh', 0, '2024-01-01T00:00:00Z');"
                     "INSERT INTO tape_files VALUES ('OLD001', 0, 0, 1, 1, 1, 1, 0, '', '', 1, 'tar', NULL);"
                     "INSERT INTO members (volser, file_number, kind, path, size, mode, mtime, data_offset) VALUES"
                     "  ('OLD001', 0, 'directory', './src/', 0, 493, 5, 0),"
                     "  ('OLD001', 0, 'file', './src/lib/util.c', 7, 420, 6, 512),"
                     "  ('OLD001', 0, 'file', 'doc/main.c', 8, 420, 7, 1024);";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  std::unique_ptr<Catalog> c;
  ASSERT_TRUE(Catalog::open(path, &c).is_ok());
  FindRequest r;
  r.pattern = "*.c";
  EXPECT_EQ(found(*c, r), (std::vector<std::string>{"OLD001:0:file:7:6:./src/lib/util.c",
                                                    "OLD001:0:file:8:7:doc/main.c"}));
  r.pattern = "src";
  EXPECT_EQ(found(*c, r), (std::vector<std::string>{"OLD001:0:directory:0:5:./src/"}));
  r.pattern = "src/lib/*";
  EXPECT_EQ(found(*c, r), (std::vector<std::string>{"OLD001:0:file:7:6:./src/lib/util.c"}));
  c.reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto text = [&](const std::string& q) {
    sqlite3_stmt* s = nullptr;
    std::string v;
    EXPECT_EQ(sqlite3_prepare_v2(db, q.c_str(), -1, &s, nullptr), SQLITE_OK) << q;
    if (s != nullptr && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return v;
  };
  EXPECT_EQ(text("PRAGMA user_version"), std::to_string(sql::kSchemaVersion));
  EXPECT_EQ(text("SELECT group_concat(name, '|') FROM (SELECT name FROM member_names ORDER BY id)"),
            "src|util.c|main.c");
  EXPECT_EQ(text("SELECT COUNT(*) FROM pragma_table_info('members') WHERE name = 'name_rev'"), "0");
  EXPECT_EQ(text("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'members_by_name_rev'"), "0");
  sqlite3_close(db);
}

TEST(CatalogVolume, OneVolumeByItsSerial) {
  TempDir dir;
  std::unique_ptr<Catalog> c;
  ASSERT_TRUE(Catalog::open(dir.file("catalog.db"), &c).is_ok());
  ASSERT_TRUE(c->upsert_volume(volume("V0001")).is_ok());
  ASSERT_TRUE(c->replace_files("V0001", 0, {tape_file(0, {}), tape_file(1, {})}, 777, "2024-05-05T00:00:00Z").is_ok());
  VolumeRow v;
  bool known = false;
  ASSERT_TRUE(c->volume("V0001", &v, &known).is_ok());
  EXPECT_TRUE(known);
  EXPECT_EQ(v.volser, "V0001");
  EXPECT_EQ(v.image_size, 777u);
  EXPECT_EQ(v.tape_files, 2u);
  EXPECT_EQ(v.last_written, "2024-05-05T00:00:00Z");
  ASSERT_TRUE(c->volume("NOSUCH", &v, &known).is_ok());
  EXPECT_FALSE(known);
}


// ---- patterns with no literal end (member_names, member_names_fts) --------

// Names made of few letters, so that random patterns match many of them:
// runs of 'm', 'a', 'i', 'n', '.', 'c', glob characters inside names ('*',
// '?', '[', ']'), a two-byte and a three-byte character, a byte that is not
// UTF-8, and directories.
std::string random_name(std::mt19937& rng) {
  static const std::vector<std::string> kPieces = {"m", "a", "i", "n", "ma", "ain", "main", ".", ".c", "c", "x",
                                                   "*", "?", "[", "]", "\xc3\xa9", "\xe2\x82\xac", "\xff",
                                                   "M", "abc", "AbC"};
  std::string name;
  size_t n = 1 + rng() % 6;
  for (size_t i = 0; i < n; ++i) name += kPieces[rng() % kPieces.size()];
  return name;
}

std::string random_path(std::mt19937& rng) {
  static const std::vector<std::string> kDirs = {"", "./", "src/", "./src/lib/", "ma/in/", "/abs/"};
  std::string path = kDirs[rng() % kDirs.size()] + random_name(rng);
  if (rng() % 10 == 0) path += "/";  // a directory
  return path;
}

std::string random_pattern(std::mt19937& rng) {
  static const std::vector<std::string> kPieces = {"*", "*", "?", "m", "a", "i", "n", "ma", "ain", "main", ".c",
                                                   "[ma]", "[^a]", "[]]", "[*]", "[?]", "[[]", "\xc3\xa9",
                                                   "\xe2\x82\xac", "\xff", "abc", "c", "x", "[a-m]", "M"};
  std::string p;
  size_t n = 1 + rng() % 5;
  for (size_t i = 0; i < n; ++i) p += kPieces[rng() % kPieces.size()];
  return p;
}

class CatalogSearchEverywhere : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Catalog::open(dir_.file("catalog.db"), &catalog_).is_ok());
    std::mt19937 rng(15);
    for (const char* v : {"V0002", "V0001"}) {
      ASSERT_TRUE(catalog_->upsert_volume(volume(v)).is_ok());
      std::vector<CatalogedFile> files;
      for (uint64_t f = 0; f < 3; ++f) {
        std::vector<TapeMember> members;
        for (int i = 0; i < 700; ++i) members.push_back(member(random_path(rng), 1000 + i));
        files.push_back(tape_file(f, std::move(members)));
      }
      ASSERT_TRUE(catalog_->replace_files(v, 0, files, 1, "").is_ok());
    }
    // A rewrite: file 1 of V0001 and after replaced, so that the name
    // tables must have followed the deletes.
    std::vector<TapeMember> members;
    for (int i = 0; i < 500; ++i) members.push_back(member(random_path(rng), 5000 + i));
    ASSERT_TRUE(catalog_->replace_files("V0001", 1, {tape_file(1, std::move(members))}, 1, "").is_ok());
  }
  TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CatalogSearchEverywhere, RandomPatternsFindExactlyWhatMatchingEveryMemberFinds) {
  std::mt19937 rng(1515);
  size_t with_matches = 0;
  for (int i = 0; i < 300; ++i) {
    FindRequest r;
    r.pattern = random_pattern(rng);
    std::vector<std::string> want = expected(*catalog_, r);
    if (!want.empty()) ++with_matches;
    ASSERT_EQ(found(*catalog_, r), want) << "pattern '" << r.pattern << "'";
  }
  EXPECT_GT(with_matches, 100u);  // the patterns were not all beside the point
}

TEST_F(CatalogSearchEverywhere, HandPickedPatternsWithNoLiteralEnd) {
  for (const char* p : {"main*", "*ma*n*", "*abc*", "*AbC*", "m?in*", "*[ma]in*", "*a[]]*", "*[*]*", "*[?]*",
                        "*\xc3\xa9*", "*\xe2\x82\xac*", "*\xff*", "*\xff?*", "?", "*", "*[^.]*", "[]]*",
                        "[[]*", "ma*.c*", "*ain.*", "*/in/*"}) {
    FindRequest r;
    r.pattern = p;
    EXPECT_EQ(found(*catalog_, r), expected(*catalog_, r)) << "pattern '" << p << "'";
    r.volser = "V0001";
    r.since = 1200;
    EXPECT_EQ(found(*catalog_, r), expected(*catalog_, r)) << "pattern '" << p << "' on V0001 since 1200";
    r.limit = 3;
    EXPECT_EQ(found(*catalog_, r), expected(*catalog_, r)) << "pattern '" << p << "' limit 3";
  }
}

// How SQLite answers a name pattern: never by reading every row of members
// (a million members take a second that way), whatever the pattern.
TEST(CatalogSearchPlan, NamePatternsWithNoLiteralEndUseAnIndexNotAScanOfMembers) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    std::unique_ptr<Catalog> c;
    ASSERT_TRUE(Catalog::open(path, &c).is_ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(register_catalog_functions(db), SQLITE_OK);
  for (const char* p : {"main*", "*ma*n*", "*.c", "exact.name", "*abc*", "?", "m*"}) {
    FindRequest r;
    r.pattern = p;
    FindStatement st = find_statement(plan_find(p), r);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + st.sql).c_str(), -1, &s, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::string plan;
    while (sqlite3_step(s) == SQLITE_ROW) plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 3))) + "\n";
    sqlite3_finalize(s);
    EXPECT_EQ(plan.find("SCAN m\n"), std::string::npos) << p << ":\n" << plan;
    EXPECT_EQ(plan.find("SCAN m "), std::string::npos) << p << ":\n" << plan;
  }
  sqlite3_close(db);
}

// A name pattern's candidates (a scan of member_names for "*.c" and
// "*ma*n*", the trigram index for "main*") are the outer loop: each
// candidate's member is read by its id as it comes, with no temporary list
// of the ids built first (100000 of them for "*.c" on a million members).
// With --volser SQLite may still start from the volume instead.
TEST(CatalogSearchPlan, NameCandidatesAreReadAsTheyComeWithoutATemporaryList) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    std::unique_ptr<Catalog> c;
    ASSERT_TRUE(Catalog::open(path, &c).is_ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(register_catalog_functions(db), SQLITE_OK);
  for (const char* p : {"*.c", "*ma*n*", "?", "*.[ch]", "main*", "*abc*", "exact.name", "*/lib/util.c"}) {
    bool scan = plan_find(p).index == FindPattern::Index::kNameScan;
    ASSERT_TRUE(scan || plan_find(p).index == FindPattern::Index::kNameTrigram) << p;
    for (uint64_t limit : {0, 10}) {
      FindRequest r;
      r.pattern = p;
      r.since = 5;
      r.limit = limit;
      FindStatement st = find_statement(plan_find(p), r);
      sqlite3_stmt* s = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + st.sql).c_str(), -1, &s, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
      std::string plan;
      while (sqlite3_step(s) == SQLITE_ROW) {
        plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 3))) + "\n";
      }
      sqlite3_finalize(s);
      if (scan) {
        EXPECT_EQ(plan.rfind("SCAN n\n", 0), 0u) << p << ":\n" << plan;
      }
      EXPECT_NE(plan.find("SEARCH m USING INTEGER PRIMARY KEY"), std::string::npos) << p << ":\n" << plan;
      EXPECT_EQ(plan.find("LIST SUBQUERY"), std::string::npos) << p << ":\n" << plan;
    }
  }
  sqlite3_close(db);
}

// A path pattern with a literal prefix is read as a range of each tape
// file's part of members_by_file_path (schema 12), with or without
// --volser: never a scan of members.
TEST(CatalogSearchPlan, PathPatternsWithALiteralPrefixReadEachTapeFilesRange) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    std::unique_ptr<Catalog> c;
    ASSERT_TRUE(Catalog::open(path, &c).is_ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(register_catalog_functions(db), SQLITE_OK);
  for (const char* p : {"src/lib/*", "exact/path/name.txt", "./a/b*"}) {
    for (bool on_volume : {false, true}) {
      FindRequest r;
      r.pattern = p;
      if (on_volume) r.volser = "VOL001";
      FindStatement st = find_statement(plan_find(p), r);
      sqlite3_stmt* s = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + st.sql).c_str(), -1, &s, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
      std::string plan;
      while (sqlite3_step(s) == SQLITE_ROW) plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 3))) + "\n";
      sqlite3_finalize(s);
      EXPECT_NE(plan.find("SEARCH m USING INDEX members_by_file_path (volser=? AND file_number=? AND path"),
                std::string::npos) << p << ":\n" << plan;
      EXPECT_EQ(plan.find("SCAN m"), std::string::npos) << p << ":\n" << plan;
    }
  }
  sqlite3_close(db);
}

// A catalog of the schema before the name index: opening it fills
// member_names and builds the trigram index for the members it holds.
TEST(CatalogMigration, AnOlderCatalogGetsItsNamesIndexedForFind) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(register_catalog_functions(db), SQLITE_OK);
    std::string old;
    for (int v = 0; v < 8; ++v) old += sql::kMigrations[v];
    old += "PRAGMA application_id = 1448362320; PRAGMA user_version = 8;"
           "INSERT INTO volumes (volser, image_path, format, capacity, created) "
           "  VALUES ('OLD001', '/x', 'simh', 0, '2024-01-01T00:00:00Z');"
           "INSERT INTO tape_files (volser, file_number, first_block, records, bytes, smallest_record, largest_record,"
           "  image_offset, digest, written_at, closed_cleanly, content) "
           "  VALUES ('OLD001', 0, 0, 1, 1, 1, 1, 0, '', '', 1, 'tar');"
           "INSERT INTO members (volser, file_number, kind, path, size, mode, mtime, data_offset, name_rev) VALUES"
           "  ('OLD001', 0, 'directory', './domain/', 0, 493, 5, 0, vtape_name_rev('./domain/')),"
           "  ('OLD001', 0, 'file', './domain/mailman.c', 7, 420, 6, 512, vtape_name_rev('./domain/mailman.c')),"
           "  ('OLD001', 0, 'file', 'doc/abcdef', 8, 420, 7, 1024, vtape_name_rev('doc/abcdef'));";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, old.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  std::unique_ptr<Catalog> c;
  ASSERT_TRUE(Catalog::open(path, &c).is_ok());
  FindRequest r;
  r.pattern = "*ma*n*";  // the names-only scan
  EXPECT_EQ(found(*c, r), (std::vector<std::string>{"OLD001:0:directory:0:5:./domain/",
                                                    "OLD001:0:file:7:6:./domain/mailman.c"}));
  r.pattern = "*bcd*";  // the trigram index
  EXPECT_EQ(found(*c, r), (std::vector<std::string>{"OLD001:0:file:8:7:doc/abcdef"}));
  r.pattern = "mai*";
  EXPECT_EQ(found(*c, r), (std::vector<std::string>{"OLD001:0:file:7:6:./domain/mailman.c"}));
  c.reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto count = [&](const std::string& q) {
    sqlite3_stmt* s = nullptr;
    int64_t n = -1;
    EXPECT_EQ(sqlite3_prepare_v2(db, q.c_str(), -1, &s, nullptr), SQLITE_OK) << q << ": " << sqlite3_errmsg(db);
    if (s != nullptr && sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
  };
  EXPECT_EQ(count("SELECT COUNT(*) FROM member_names"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM member_names_fts WHERE name GLOB '*ilma*'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM member_names_fts WHERE name GLOB '*bcd*'"), 1);
  // sqlite3 (without vtape's functions) deleting members keeps the names right.
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, "DELETE FROM members WHERE path GLOB '*.c'", nullptr, nullptr, &err), SQLITE_OK) << err;
  EXPECT_EQ(count("SELECT COUNT(*) FROM member_names"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM member_names_fts WHERE name GLOB '*ilma*'"), 0);
  sqlite3_close(db);
}

// A catalog of schema 9, as vtape wrote it (members with name_rev and its
// index, their names in member_names and the trigram index): opening it
// drops both, keeps every member and name, and every kind of pattern finds
// what it did; members put in afterwards are found too.
TEST(CatalogMigration, ASchema9CatalogLosesTheReversedNamesAndFindsTheSame) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(register_catalog_functions(db), SQLITE_OK);
    std::string old;
    for (int v = 0; v < 9; ++v) old += sql::kMigrations[v];
    old += "PRAGMA application_id = 1448362320; PRAGMA user_version = 9;"
           "INSERT INTO volumes (volser, image_path, format, capacity, created) "
           "  VALUES ('OLD001', '/x', 'simh', 0, '2024-01-01T00:00:00Z');"
           "INSERT INTO tape_files (volser, file_number, first_block, records, bytes, smallest_record, largest_record,"
           "  image_offset, digest, written_at, closed_cleanly, content) "
           "  VALUES ('OLD001', 0, 0, 1, 1, 1, 1, 0, '', '', 1, 'tar');"
           "INSERT INTO members (volser, file_number, kind, path, size, mode, mtime, data_offset, name_rev) VALUES"
           "  ('OLD001', 0, 'directory', './src/', 0, 493, 5, 0, vtape_name_rev('./src/')),"
           "  ('OLD001', 0, 'file', './src/lib/mailman.c', 7, 420, 6, 512, vtape_name_rev('./src/lib/mailman.c')),"
           "  ('OLD001', 0, 'file', 'doc/archive.tar.gz', 8, 420, 7, 1024, vtape_name_rev('doc/archive.tar.gz'));"
           "INSERT INTO member_names (id, name) SELECT id, vtape_member_name(path) FROM members;"
           "INSERT INTO member_names_fts (rowid, name) SELECT id, name FROM member_names;";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, old.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  std::unique_ptr<Catalog> c;
  ASSERT_TRUE(Catalog::open(path, &c).is_ok());
  auto find = [&](const char* pattern) {
    FindRequest r;
    r.pattern = pattern;
    return found(*c, r);
  };
  const std::string mailman = "OLD001:0:file:7:6:./src/lib/mailman.c", archive = "OLD001:0:file:8:7:doc/archive.tar.gz";
  EXPECT_EQ(find("*.c"), (std::vector<std::string>{mailman}));  // a scan of the names
  EXPECT_EQ(find("*.tar.gz"), (std::vector<std::string>{archive}));  // the trigram index
  EXPECT_EQ(find("mailman.c"), (std::vector<std::string>{mailman}));
  EXPECT_EQ(find("src"), (std::vector<std::string>{"OLD001:0:directory:0:5:./src/"}));
  EXPECT_EQ(find("src/lib/*"), (std::vector<std::string>{mailman}));  // the path index
  EXPECT_EQ(find("*/lib/*.c"), (std::vector<std::string>{mailman}));
  EXPECT_EQ(find("*/mailman.c"), (std::vector<std::string>{mailman}));
  EXPECT_EQ(find("*ma*n*"), (std::vector<std::string>{mailman}));
  EXPECT_TRUE(find("*.h").empty());
  // New members of a new schema-10 insert.
  ASSERT_TRUE(c->replace_files("OLD001", 1, {tape_file(1, {member("new/other.c", 9)})}, 2048, "2024-05-05T00:00:00Z")
                  .is_ok());
  EXPECT_EQ(find("*.c").size(), 2u);
  EXPECT_EQ(find("other.c").size(), 1u);
  c.reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto count = [&](const std::string& q) {
    sqlite3_stmt* s = nullptr;
    int64_t n = -1;
    EXPECT_EQ(sqlite3_prepare_v2(db, q.c_str(), -1, &s, nullptr), SQLITE_OK) << q << ": " << sqlite3_errmsg(db);
    if (s != nullptr && sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
  };
  EXPECT_EQ(count("PRAGMA user_version"), sql::kSchemaVersion);
  EXPECT_EQ(count("SELECT COUNT(*) FROM pragma_table_info('members') WHERE name = 'name_rev'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'members_by_name_rev'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'members_by_path'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'members_by_file_path'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'members_by_file'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM members"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM member_names"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM member_names_fts WHERE name GLOB '*ilma*'"), 1);
  // The delete triggers still keep the names right.
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, "DELETE FROM members WHERE path GLOB '*.c'", nullptr, nullptr, &err), SQLITE_OK) << err;
  EXPECT_EQ(count("SELECT COUNT(*) FROM member_names"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM member_names_fts WHERE name GLOB '*ilma*'"), 0);
  sqlite3_close(db);
}

// The trigram index behind the names (schema 11: members go in without it,
// catch_up_name_index adds them later): every pattern finds exactly what
// matching every member finds, with no name indexed, some, and all.
TEST_F(CatalogSearchEverywhere, PatternsFindTheSameHoweverFarTheTrigramIndexLags) {
  auto check_patterns = [&](const char* stage) {
    std::mt19937 rng(1516);
    for (int i = 0; i < 150; ++i) {
      FindRequest r;
      r.pattern = random_pattern(rng);
      ASSERT_EQ(found(*catalog_, r), expected(*catalog_, r)) << stage << ": pattern '" << r.pattern << "'";
    }
    for (const char* p : {"main*", "*main*", "*abc*", "ma*.c*", "*ain.*"}) {
      FindRequest r;
      r.pattern = p;
      ASSERT_EQ(found(*catalog_, r), expected(*catalog_, r)) << stage << ": pattern '" << p << "'";
    }
  };
  check_patterns("nothing indexed");
  bool caught_up = true;
  ASSERT_TRUE(catalog_->catch_up_name_index(1500, &caught_up).is_ok());
  EXPECT_FALSE(caught_up);
  check_patterns("some indexed");
  while (!caught_up) ASSERT_TRUE(catalog_->catch_up_name_index(1500, &caught_up).is_ok());
  check_patterns("all indexed");
}

// A name put in member_names as vtape puts it now (not into the trigram
// index): a pattern the index answers still finds it (it lies above the
// index's mark), before and after the index catches up.  Deleting members
// at and below the mark keeps the index consistent with the names (FTS5's
// own integrity check), and a new member's id is never at or below the
// mark (the mark follows the deletes down).
TEST(CatalogNameIndex, NamesNotYetIndexedAreFoundAndTheMarkFollowsDeletes) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  std::unique_ptr<Catalog> c;
  ASSERT_TRUE(Catalog::open(path, &c).is_ok());
  ASSERT_TRUE(c->upsert_volume(volume("V0001")).is_ok());
  ASSERT_TRUE(c->replace_files("V0001", 0, {tape_file(0, {member("src/mailman.c", 1), member("src/other.c", 2)})}, 1,
                               "")
                  .is_ok());
  bool caught_up = false;
  ASSERT_TRUE(c->catch_up_name_index(100, &caught_up).is_ok());
  ASSERT_TRUE(caught_up);
  // Another member, put in by plain SQL as vtape's inserts do now.
  ASSERT_TRUE(c->exec("INSERT INTO members (volser, file_number, kind, path, size, mode, mtime, data_offset) "
                      "VALUES ('V0001', 0, 'file', 'doc/gmailman.txt', 3, 420, 3, 0);"
                      "INSERT INTO member_names (id, name) VALUES (last_insert_rowid(), 'gmailman.txt');")
                  .is_ok());
  FindRequest r;
  r.pattern = "*ilma*";  // the trigram index
  const std::vector<std::string> both = {"V0001:0:file:13:1:src/mailman.c", "V0001:0:file:3:3:doc/gmailman.txt"};
  EXPECT_EQ(found(*c, r), both);
  ASSERT_TRUE(c->catch_up_name_index(100, &caught_up).is_ok());
  EXPECT_EQ(found(*c, r), both);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto sql_ok = [&](const std::string& q) {
    char* err = nullptr;
    int rc = sqlite3_exec(db, q.c_str(), nullptr, nullptr, &err);
    std::string message = err != nullptr ? err : "";
    sqlite3_free(err);
    EXPECT_EQ(rc, SQLITE_OK) << q << ": " << message;
    return rc == SQLITE_OK;
  };
  auto count = [&](const std::string& q) {
    sqlite3_stmt* s = nullptr;
    int64_t n = -1;
    EXPECT_EQ(sqlite3_prepare_v2(db, q.c_str(), -1, &s, nullptr), SQLITE_OK) << q << ": " << sqlite3_errmsg(db);
    if (s != nullptr && sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
  };
  const char* integrity = "INSERT INTO member_names_fts (member_names_fts) VALUES ('integrity-check')";
  EXPECT_EQ(count("SELECT through_id FROM member_names_indexed"), 3);
  EXPECT_TRUE(sql_ok(integrity));
  // The highest member, at the mark, goes: the mark comes down with it.
  EXPECT_TRUE(sql_ok("DELETE FROM members WHERE path = 'doc/gmailman.txt'"));
  EXPECT_EQ(count("SELECT through_id FROM member_names_indexed"), 2);
  EXPECT_TRUE(sql_ok(integrity));
  sqlite3_close(db);
  // A new member takes id 3 again: above the mark, so found and indexed.
  ASSERT_TRUE(c->replace_files("V0001", 1, {tape_file(1, {member("new/hailmary", 4)})}, 1, "").is_ok());
  EXPECT_EQ(found(*c, r), (std::vector<std::string>{"V0001:0:file:13:1:src/mailman.c", "V0001:1:file:12:4:new/hailmary"}));
  // Names above the mark go without touching the index.
  ASSERT_TRUE(c->replace_files("V0001", 1, {}, 1, "").is_ok());
  ASSERT_TRUE(c->replace_files("V0001", 1, {tape_file(1, {member("new/snailmail", 5)})}, 1, "").is_ok());
  ASSERT_TRUE(c->catch_up_name_index(100, &caught_up).is_ok());
  EXPECT_EQ(found(*c, r), (std::vector<std::string>{"V0001:0:file:13:1:src/mailman.c", "V0001:1:file:13:5:new/snailmail"}));
  c.reset();
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(count("SELECT through_id FROM member_names_indexed"), 3);
  EXPECT_TRUE(sql_ok(integrity));
  sqlite3_close(db);
}

// vtape index check's look at the names behind find: nothing to say about
// a right catalog, with its trigram index behind or caught up; each kind
// of damage, made with plain SQL, is named.
TEST(CatalogNameIndex, CheckNamesEachWayTheNamesCanBeWrong) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  std::unique_ptr<Catalog> c;
  ASSERT_TRUE(Catalog::open(path, &c).is_ok());
  ASSERT_TRUE(c->upsert_volume(volume("V0001")).is_ok());
  ASSERT_TRUE(c->replace_files("V0001", 0, {tape_file(0, {member("src/a.c", 1), member("src/b.c", 2),
                                                          member("doc/c.txt", 3)})}, 1, "")
                  .is_ok());
  std::vector<std::string> problems{"not cleared"};
  auto check = [&]() {
    EXPECT_TRUE(c->check_name_index(&problems).is_ok());
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    return all;
  };
  EXPECT_EQ(check(), "") << "nothing indexed yet";
  bool caught_up = false;
  ASSERT_TRUE(c->catch_up_name_index(2, &caught_up).is_ok());
  EXPECT_EQ(check(), "") << "some indexed";
  while (!caught_up) ASSERT_TRUE(c->catch_up_name_index(100, &caught_up).is_ok());
  EXPECT_EQ(check(), "") << "all indexed";

  // A member without its name (deleted as sqlite3 would: the trigger keeps
  // the trigram index right), a name without its member, a name that is not
  // its member's (changed under the trigram index, whose check against
  // member_names says so too).
  ASSERT_TRUE(c->exec("DELETE FROM member_names WHERE name = 'b.c'").is_ok());
  EXPECT_EQ(check(), "1 member without its name in member_names\n");
  ASSERT_TRUE(c->exec("INSERT INTO member_names (id, name) VALUES (1000, 'ghost')").is_ok());
  std::string all = check();
  EXPECT_NE(all.find("1 name in member_names without its member"), std::string::npos) << all;
  ASSERT_TRUE(c->exec("DELETE FROM member_names WHERE id = 1000; "
                      "UPDATE member_names SET name = 'x.c' WHERE name = 'a.c'").is_ok());
  all = check();
  EXPECT_NE(all.find("2 members without their name in member_names\n"), std::string::npos) << all;
  EXPECT_NE(all.find("fails its integrity check"), std::string::npos) << all;
  ASSERT_TRUE(c->exec("INSERT INTO member_names (id, name) SELECT id, 'b.c' FROM members WHERE path = 'src/b.c'; "
                      "UPDATE member_names SET name = 'a.c' WHERE name = 'x.c'")
                  .is_ok());
  ASSERT_TRUE(c->exec("INSERT INTO member_names_fts (member_names_fts) VALUES ('rebuild')").is_ok());
  EXPECT_EQ(check(), "");
  // A mark above every name: the next member would count as indexed.
  ASSERT_TRUE(c->exec("UPDATE member_names_indexed SET through_id = 99").is_ok());
  all = check();
  EXPECT_NE(all.find("the trigram index's mark is 99, above the highest name's id"), std::string::npos) << all;
  ASSERT_TRUE(c->exec("DELETE FROM member_names_indexed").is_ok());
  EXPECT_EQ(check(), "member_names_indexed has 0 rows, expected 1 (the trigram index's mark)\n");
}

// A catalog of schema 10 had every name in the trigram index: its mark
// starts at the highest id, members put in afterwards are found, and
// closing the catalog indexes them.
TEST(CatalogMigration, ASchema10CatalogHasEveryNameIndexedUpToItsMark) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(register_catalog_functions(db), SQLITE_OK);
    std::string old;
    for (int v = 0; v < 10; ++v) old += sql::kMigrations[v];
    old += "PRAGMA application_id = 1448362320; PRAGMA user_version = 10;"
           "INSERT INTO volumes (volser, image_path, format, capacity, created) "
           "  VALUES ('OLD001', '/x', 'simh', 0, '2024-01-01T00:00:00Z');"
           "INSERT INTO tape_files (volser, file_number, first_block, records, bytes, smallest_record, largest_record,"
           "  image_offset, digest, written_at, closed_cleanly, content) "
           "  VALUES ('OLD001', 0, 0, 1, 1, 1, 1, 0, '', '', 1, 'tar');"
           "INSERT INTO members (volser, file_number, kind, path, size, mode, mtime, data_offset) VALUES"
           "  ('OLD001', 0, 'file', './src/lib/mailman.c', 7, 420, 6, 512),"
           "  ('OLD001', 0, 'file', 'doc/archive.tar.gz', 8, 420, 7, 1024);"
           "INSERT INTO member_names (id, name) SELECT id, vtape_member_name(path) FROM members;"
           "INSERT INTO member_names_fts (rowid, name) SELECT id, name FROM member_names;";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, old.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  std::unique_ptr<Catalog> c;
  ASSERT_TRUE(Catalog::open(path, &c).is_ok());
  auto find = [&](const char* pattern) {
    FindRequest r;
    r.pattern = pattern;
    return found(*c, r);
  };
  EXPECT_EQ(find("*.tar.gz"), (std::vector<std::string>{"OLD001:0:file:8:7:doc/archive.tar.gz"}));
  ASSERT_TRUE(c->replace_files("OLD001", 1, {tape_file(1, {member("new/second.tar.gz", 9)})}, 2048, "").is_ok());
  EXPECT_EQ(find("*.tar.gz"), (std::vector<std::string>{"OLD001:0:file:8:7:doc/archive.tar.gz",
                                                        "OLD001:1:file:17:9:new/second.tar.gz"}));
  c.reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto count = [&](const std::string& q) {
    sqlite3_stmt* s = nullptr;
    int64_t n = -1;
    EXPECT_EQ(sqlite3_prepare_v2(db, q.c_str(), -1, &s, nullptr), SQLITE_OK) << q << ": " << sqlite3_errmsg(db);
    if (s != nullptr && sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
  };
  EXPECT_EQ(count("PRAGMA user_version"), sql::kSchemaVersion);
  EXPECT_EQ(count("SELECT through_id FROM member_names_indexed"), 3);  // caught up when the catalog closed
  EXPECT_EQ(count("SELECT COUNT(*) FROM member_names_fts WHERE name GLOB '*tar.gz*'"), 2);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, "INSERT INTO member_names_fts (member_names_fts) VALUES ('integrity-check')", nullptr,
                         nullptr, &err),
            SQLITE_OK)
      << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

}  // namespace
}  // namespace vtape::testing
