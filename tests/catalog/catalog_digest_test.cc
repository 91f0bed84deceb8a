// Each tape file's digest (man/vtape-catalog.5, "digest" and
// "digest_algorithm"): XXH3-128 by default, SHA-256 when the library is set
// to it (vtapefs --digest sha256), each value the one the real programs
// (xxhsum -H2, sha256sum) give for the tape file's bytes; and a catalog of
// schema version 7, whose rows are all SHA-256, migrates to version 8 and
// goes on verifying as SHA-256 (ls, index check, restore), a changed byte
// in its image still caught.
#include <sqlite3.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "index/catalog_functions.h"
#include "index/catalog_schema.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string q(const std::string& s) { return shell_quote(s); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// 'text' as an SQL string literal.
std::string sql_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The first word `program FILE` prints: the digest of FILE by that program.
std::string digest_by(const std::string& program, const std::string& path) {
  CommandResult r = run_command(program + " " + q(path));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return r.out.substr(0, r.out.find(' '));
}

// A tar archive of a few files, written by the real tar (records of 10 KiB).
void tar_a_tree(const TempDir& dir, const std::string& to) {
  fs::create_directories(dir.file("tree/sub"));
  write_text(dir.file("tree/a.txt"), "alpha\n");
  write_file_bytes(dir.file("tree/sub/big.bin"), pattern_bytes(300000, 15));
  CommandResult r = run_command("tar -b 20 -cf " + q(to) + " -C " + q(dir.file("tree")) + " .");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
}

// Tape file 0 of VOLSER as its bytes, through vtape restore.
std::string restore_file_zero(const std::string& library, const std::string& volser, const std::string& to) {
  CommandResult r = run_vtape("restore " + volser + "/0 --to-stdout --library " + q(library) + " > " + q(to));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return to;
}

TEST(CatalogDigest, TarThroughADriveIsDigestedWithXxh3AsXxhsumDoes) {
  if (!have_program("xxhsum")) GTEST_SKIP() << "no xxhsum (the xxhash package)";
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir dir;
  tar_a_tree(dir, vt.drive(0, /*rewind=*/true));
  if (HasFatalFailure()) return;
  CommandResult r = vt.vtape("ls SCR001 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::string bytes = restore_file_zero(vt.library(), "SCR001", dir.file("file0"));
  EXPECT_EQ(json_query(r.out, "[(f['content'], f['digest_algorithm'], f['digest'], 'sha256' in f) for f in d['files']]"),
            "[('tar', 'xxh3-128', '" + digest_by("xxhsum -H2", bytes) + "', False)]");
  // The listing shows the algorithm with the value's first digits.
  r = vt.vtape("ls SCR001");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "xxh3-128:" + digest_by("xxhsum -H2", bytes).substr(0, 12))) << r.out;
  // What vtapefs catalogs as it writes is what indexing the image gives.
  r = vt.vtape("index check");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST(CatalogDigest, ALibrarySetToSha256KeepsSha256AsSha256sumDoes) {
  MountedVtapefs vt("--digest sha256");
  ASSERT_TRUE(vt.ok()) << vt.error() << vt.log();
  TempDir dir;
  tar_a_tree(dir, vt.drive(0, /*rewind=*/true));
  if (HasFatalFailure()) return;
  CommandResult r = vt.vtape("ls SCR001 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::string sha = digest_by("sha256sum", restore_file_zero(vt.library(), "SCR001", dir.file("file0")));
  // The sha256 key too, for the readers of SHA-256 rows before version 8.
  EXPECT_EQ(json_query(r.out, "[(f['digest_algorithm'], f['digest'], f['sha256']) for f in d['files']]"),
            "[('sha256', '" + sha + "', '" + sha + "')]");
  // The setting is the library's: kept, and used by a rebuild without a mount.
  EXPECT_EQ(read_text(vt.library() + "/settings"), "digest sha256\n");
  vt.unmount();
  r = run_vtape("index rebuild --library " + q(vt.library()));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_vtape("ls SCR001 --json --library " + q(vt.library()));
  EXPECT_EQ(json_query(r.out, "[(f['digest_algorithm'], f['digest']) for f in d['files']]"),
            "[('sha256', '" + sha + "')]");
  // A command's --digest is for what that command catalogs: a restore
  // through a drive of the library (--to-cartridge) ...
  r = run_vtape("restore SCR001/0 --to-cartridge COPY1 --digest xxh3-128 --library " + q(vt.library()));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_vtape("ls COPY1 --json --library " + q(vt.library()));
  if (have_program("xxhsum")) {
    EXPECT_EQ(json_query(r.out, "[(f['digest_algorithm'], f['digest']) for f in d['files']]"),
              "[('xxh3-128', '" + digest_by("xxhsum -H2", dir.file("file0")) + "')]");
  }
  r = run_vtape("restore SCR001/0 --to-image " + q(dir.file("x.tap")) + " --digest sha256 --library " +
                q(vt.library()));
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "--digest goes with --to-cartridge")) << r.err;
  // ... and an import.
  std::string image = dir.file("more.tap");
  ASSERT_EQ(run_vtape("write " + q(image) + " " + q(dir.file("file0"))).exit_code, 0);
  r = run_vtape("import " + q(image) + " --volser MORE1 --digest xxh3-128 --library " + q(vt.library()));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_vtape("ls MORE1 --json --library " + q(vt.library()));
  EXPECT_EQ(json_query(r.out, "[f['digest_algorithm'] for f in d['files']]"), "['xxh3-128']");
  r = run_vtape("import " + q(image) + " --volser MORE2 --digest md5 --library " + q(vt.library()));
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "--digest takes xxh3-128|sha256, not 'md5'")) << r.err;
}

TEST(CatalogDigest, ABadSettingIsRefusedNamingTheFileAndLine) {
  TempDir dir;
  std::string lib = dir.file("lib");
  ASSERT_EQ(run_vtape("new VOL001 --library " + q(lib)).exit_code, 0);
  write_text(lib + "/settings", "# chosen by hand\ndigest crc32\n");
  CommandResult r = run_vtape("ls --library " + q(lib));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, lib + "/settings line 2: digest 'crc32' is not one of xxh3-128|sha256")) << r.err;
}

// Runs `sql` on the SQLite database at `path` with the catalog's functions
// (the v7 schema's migration 3 -> 4 calls vtape_name_rev).
void run_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  register_catalog_functions(db);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message << "\n" << sql;
}

TEST(CatalogDigest, AVersion7CatalogMigratesAndItsSha256RowsStillVerify) {
  TempDir dir;
  std::string lib = dir.file("lib"), scratch = dir.file("scratch");
  std::string archive = dir.file("a.tar");
  tar_a_tree(dir, archive);
  if (HasFatalFailure()) return;
  ASSERT_EQ(run_vtape("new OLD001 --library " + q(lib)).exit_code, 0);
  std::string image = lib + "/cartridges/OLD001.tap";
  CommandResult w = run_vtape("write --append " + q(image) + " " + q(archive) + " --record-size 10240");
  ASSERT_EQ(w.exit_code, 0) << describe(w);

  // The catalog as vtape wrote it before version 8: its own schema
  // statements (kMigrations[0..6], unchanged since), and the rows of the
  // same image (the columns the old code filled, its SHA-256 under
  // `sha256`), taken from a catalog this vtape made with --digest sha256.
  ASSERT_EQ(run_vtape("import " + q(image) + " --digest sha256 --library " + q(scratch)).exit_code, 0);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(lib + "/catalog.db" + suffix);
  std::string v7;
  for (int v = 0; v < 7; ++v) v7 += sql::kMigrations[v];
  v7 += "PRAGMA application_id = " + std::to_string(sql::kApplicationId) + "; PRAGMA user_version = 7;";
  run_sql(lib + "/catalog.db", v7);
  run_sql(lib + "/catalog.db",
          "ATTACH " + sql_quote(scratch + "/catalog.db") + " AS s;"
          "INSERT INTO volumes (volser, image_path, format, capacity, created, last_written, write_protected,"
          "                     label_volser, label_owner, image_size)"
          "  SELECT volser, replace(image_path, " + sql_quote(scratch) + ", " + sql_quote(lib) + "), format,"
          "         capacity, created, last_written, write_protected, label_volser, label_owner, image_size"
          "  FROM s.volumes;"
          "INSERT INTO tape_files (volser, file_number, first_block, records, bytes, smallest_record,"
          "                        largest_record, image_offset, sha256, written_at, closed_cleanly, content,"
          "                        damage, compression)"
          "  SELECT volser, file_number, first_block, records, bytes, smallest_record, largest_record,"
          "         image_offset, digest, written_at, closed_cleanly, content, damage, compression"
          "  FROM s.tape_files;"
          "INSERT INTO members (volser, file_number, kind, path, size, mode, mtime, data_offset, link_target,"
          "                     name_rev, uid, gid)"
          "  SELECT volser, file_number, kind, path, size, mode, mtime, data_offset, link_target,"
          "         vtape_name_rev(path), uid, gid"
          "  FROM s.members;"
          "INSERT INTO record_checksums SELECT * FROM s.record_checksums;");
  if (HasFatalFailure()) return;
  std::string sha = digest_by("sha256sum", archive);

  // Opened by this vtape: migrated, the rows say SHA-256.
  CommandResult r = run_vtape("ls OLD001 --json --library " + q(lib));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(f['digest_algorithm'], f['digest'], f['sha256']) for f in d['files']]"),
            "[('sha256', '" + sha + "', '" + sha + "')]");
  r = run_command("sqlite3 " + q(lib + "/catalog.db") + " 'PRAGMA user_version'");
  EXPECT_EQ(r.out, std::to_string(sql::kSchemaVersion) + "\n");
  // Checked as SHA-256 though the library's setting is XXH3-128.
  r = run_vtape("index check --library " + q(lib));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(run_vtape("verify " + q(image)).exit_code, 0);
  r = run_vtape("restore OLD001/0 --to-stdout --library " + q(lib) + " > " + q(dir.file("out")));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(dir.file("out")), read_file_bytes(archive));

  // A changed byte in the tape file's data is still caught, by SHA-256.
  {
    auto bytes = read_file_bytes(image);
    ASSERT_GT(bytes.size(), 200000u);
    bytes[150000] ^= 0x01;  // in big.bin's data, inside a record (not its length words)
    write_file_bytes(image, bytes);
  }
  EXPECT_EQ(run_vtape("verify " + q(image)).exit_code, 0);  // the framing is intact
  r = run_vtape("restore OLD001/0 --to-image " + q(dir.file("copy.tap")) + " --library " + q(lib));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "SHA-256")) << r.err;
  r = run_vtape("index check --json --library " + q(lib));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(x['file'], x['field']) for x in d['differences']]"), "[(0, 'digest')]");
  EXPECT_TRUE(contains(json_query(r.out, "d['differences'][0]['message']"), "catalog has sha256 " + sha.substr(0, 12)))
      << r.out;
}

}  // namespace
}  // namespace vtape::testing
