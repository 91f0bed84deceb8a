// The catalog's SQL schema and every statement, in one place (documented
// column by column in man/vtape-catalog.5).  Version 2.
#pragma once

namespace vtape::sql {

inline constexpr int kApplicationId = 0x56544150;  // "VTAP"
inline constexpr int kSchemaVersion = 2;

// Migrations: kMigrations[i] takes the schema from version i to i + 1.
inline constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE volumes (
  volser          TEXT PRIMARY KEY,
  image_path      TEXT NOT NULL,
  format          TEXT NOT NULL,
  capacity        INTEGER NOT NULL,
  created         TEXT NOT NULL,
  last_written    TEXT,
  write_protected INTEGER NOT NULL DEFAULT 0,
  label_volser    TEXT,
  label_owner     TEXT,
  image_size      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tape_files (
  volser          TEXT NOT NULL REFERENCES volumes(volser) ON DELETE CASCADE,
  file_number     INTEGER NOT NULL,
  first_block     INTEGER NOT NULL,
  records         INTEGER NOT NULL,
  bytes           INTEGER NOT NULL,
  smallest_record INTEGER NOT NULL,
  largest_record  INTEGER NOT NULL,
  image_offset    INTEGER NOT NULL,
  sha256          TEXT NOT NULL,
  written_at      TEXT NOT NULL,
  closed_cleanly  INTEGER NOT NULL,
  content         TEXT NOT NULL,
  damage          TEXT,
  PRIMARY KEY (volser, file_number)
);
CREATE TABLE members (
  id           INTEGER PRIMARY KEY,
  volser       TEXT NOT NULL,
  file_number  INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  path         TEXT NOT NULL,
  size         INTEGER NOT NULL,
  mode         INTEGER NOT NULL,
  mtime        INTEGER NOT NULL,
  data_offset  INTEGER NOT NULL,
  link_target  TEXT NOT NULL DEFAULT '',
  FOREIGN KEY (volser, file_number) REFERENCES tape_files(volser, file_number) ON DELETE CASCADE
);
CREATE INDEX members_by_file ON members(volser, file_number);
CREATE INDEX members_by_path ON members(path);
CREATE TABLE events (
  id     INTEGER PRIMARY KEY,
  at     TEXT NOT NULL,
  volser TEXT,
  drive  INTEGER,
  kind   TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
)sql",
    // Version 2: finding members by name.  name_rev is the member's name
    // (the last component of its path) with its bytes reversed, so that a
    // pattern's literal end ("*.c", "*.tar.gz", an exact name) is a range of
    // members_by_name_rev.  The index holds every column vtape find shows
    // and filters on, so a search reads the index alone, never the table.
    // vtape_name_rev() is registered on every connection by Catalog::open
    // (index/catalog_functions.h).
    R"sql(
ALTER TABLE members ADD COLUMN name_rev BLOB NOT NULL DEFAULT x'';
UPDATE members SET name_rev = vtape_name_rev(path);
CREATE INDEX members_by_name_rev ON members(name_rev, volser, file_number, kind, path, size, mtime);
)sql",
};

inline constexpr const char* kUpsertVolume = R"sql(
INSERT INTO volumes (volser, image_path, format, capacity, created, write_protected)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (volser) DO UPDATE SET image_path = ?2, format = ?3, capacity = ?4, write_protected = ?6
)sql";
inline constexpr const char* kSetVolumeWritten = R"sql(
UPDATE volumes SET last_written = ?2, image_size = ?3 WHERE volser = ?1
)sql";
inline constexpr const char* kSetVolumeSize = "UPDATE volumes SET image_size = ?2 WHERE volser = ?1";
inline constexpr const char* kSetVolumeLabel = "UPDATE volumes SET label_volser = ?2, label_owner = ?3 WHERE volser = ?1";
inline constexpr const char* kDeleteFilesFrom = "DELETE FROM tape_files WHERE volser = ?1 AND file_number >= ?2";
inline constexpr const char* kDeleteMembersFrom = "DELETE FROM members WHERE volser = ?1 AND file_number >= ?2";
inline constexpr const char* kInsertFile = R"sql(
INSERT INTO tape_files (volser, file_number, first_block, records, bytes, smallest_record, largest_record,
                        image_offset, sha256, written_at, closed_cleanly, content, damage)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
)sql";
inline constexpr const char* kInsertMember = R"sql(
INSERT INTO members (volser, file_number, kind, path, size, mode, mtime, data_offset, link_target, name_rev)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
)sql";
inline constexpr const char* kInsertEvent =
    "INSERT INTO events (at, volser, drive, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)";
inline constexpr const char* kSelectVolumes = R"sql(
SELECT v.volser, v.image_path, v.format, v.capacity, v.created, COALESCE(v.last_written, ''), v.write_protected,
       COALESCE(v.label_volser, ''), COALESCE(v.label_owner, ''), v.image_size,
       (SELECT COUNT(*) FROM tape_files f WHERE f.volser = v.volser),
       (SELECT COALESCE(SUM(bytes), 0) FROM tape_files f WHERE f.volser = v.volser)
FROM volumes v ORDER BY v.volser
)sql";
inline constexpr const char* kSelectFiles = R"sql(
SELECT file_number, first_block, records, bytes, smallest_record, largest_record, image_offset, sha256,
       written_at, closed_cleanly, content, COALESCE(damage, ''),
       (SELECT COUNT(*) FROM members m WHERE m.volser = f.volser AND m.file_number = f.file_number)
FROM tape_files f WHERE volser = ?1 ORDER BY file_number
)sql";
inline constexpr const char* kSelectMembers = R"sql(
SELECT kind, path, size, mode, mtime, data_offset, link_target
FROM members WHERE volser = ?1 AND file_number = ?2 ORDER BY id
)sql";
// A search (Catalog::find, find_pattern), put together by find_statement()
// (index/find_statement.cc) from these pieces: the candidates of an index
// range, each matched with GLOB, then plain conditions (never "?x IS NULL
// OR ...", which keeps SQLite from using an index for them).
inline constexpr const char* kFindSelect =
    "SELECT m.volser, m.file_number, m.kind, m.path, m.size, m.mtime, m.id FROM members m WHERE ";
inline constexpr const char* kFindNameRevLow = "m.name_rev >= ?";
inline constexpr const char* kFindNameRevHigh = "m.name_rev < ?";
inline constexpr const char* kFindNameGlob = "vtape_name_glob(?, m.path)";
inline constexpr const char* kFindPathLow = "m.path >= ?";
inline constexpr const char* kFindPathHigh = "m.path < ?";
inline constexpr const char* kFindPathGlob = "m.path GLOB ?";
inline constexpr const char* kFindOnVolume = "m.volser = ?";
inline constexpr const char* kFindSince = "m.mtime >= ?";
inline constexpr const char* kFindEverything = "1";
inline constexpr const char* kFindOrderAndLimit = " ORDER BY m.volser, m.file_number, m.id LIMIT ?";
inline constexpr const char* kSelectVolume = R"sql(
SELECT v.volser, v.image_path, v.format, v.capacity, v.created, COALESCE(v.last_written, ''), v.write_protected,
       COALESCE(v.label_volser, ''), COALESCE(v.label_owner, ''), v.image_size,
       (SELECT COUNT(*) FROM tape_files f WHERE f.volser = v.volser),
       (SELECT COALESCE(SUM(bytes), 0) FROM tape_files f WHERE f.volser = v.volser)
FROM volumes v WHERE v.volser = ?1
)sql";
inline constexpr const char* kDeleteVolumeFiles = "DELETE FROM tape_files WHERE volser = ?1";
inline constexpr const char* kDeleteVolumeMembers = "DELETE FROM members WHERE volser = ?1";
inline constexpr const char* kDeleteVolume = "DELETE FROM volumes WHERE volser = ?1";
inline constexpr const char* kSelectEvents =
    "SELECT at, COALESCE(volser, ''), COALESCE(drive, -1), kind, detail FROM events ORDER BY id DESC LIMIT ?1";

}  // namespace vtape::sql
