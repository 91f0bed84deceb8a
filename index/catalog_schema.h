// The catalog's SQL schema and every statement, in one place (documented
// column by column in man/vtape-catalog.5).  Version 8: the tables of 1, record
// checksums (2), the spool (3), finding members by name (4), members' owners
// (5), writes the catalog has not caught up with (6), the compression of a
// tape file's content (7), the algorithm of each tape file's digest (8),
// members streamed in while their tape file is written, and finding members
// by any part of their name (9), without the reversed names of 4 (10), the
// trigram index caught up after the inserts instead of with them (11).
#pragma once

namespace vtape::sql {

inline constexpr int kApplicationId = 0x56544150;  // "VTAP"
inline constexpr int kSchemaVersion = 12;

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
    // 1 -> 2: record checksums, so a restore names the record that changed.
    R"sql(
CREATE TABLE record_checksums (
  volser       TEXT NOT NULL,
  file_number  INTEGER NOT NULL,
  crc32c       BLOB NOT NULL,
  PRIMARY KEY (volser, file_number),
  FOREIGN KEY (volser, file_number) REFERENCES tape_files(volser, file_number) ON DELETE CASCADE
);
)sql",
    // 2 -> 3: the spool (spool_catalog.h): users and spool files.
    R"sql(
CREATE TABLE spool_users (
  user  TEXT PRIMARY KEY,
  added TEXT NOT NULL
);
CREATE TABLE spool_files (
  id            INTEGER PRIMARY KEY,
  owner         TEXT NOT NULL,
  spoolid       INTEGER NOT NULL,
  unique_id     TEXT NOT NULL,
  opened_us     INTEGER NOT NULL,
  closed_us     INTEGER NOT NULL,
  device        TEXT NOT NULL,
  queue         TEXT NOT NULL,
  origin        TEXT NOT NULL,
  origin_system TEXT NOT NULL,
  filename      TEXT NOT NULL,
  filetype      TEXT NOT NULL,
  class         TEXT NOT NULL,
  form          TEXT NOT NULL,
  dest          TEXT NOT NULL,
  dist          TEXT NOT NULL,
  copies        INTEGER NOT NULL,
  hold          TEXT NOT NULL,
  keep          INTEGER NOT NULL,
  records       INTEGER NOT NULL,
  lrecl         INTEGER NOT NULL,
  data_bytes    INTEGER NOT NULL,
  content_bytes INTEGER NOT NULL,
  flags         INTEGER NOT NULL,
  volser        TEXT NOT NULL,
  file_number   INTEGER NOT NULL,
  image_offset  INTEGER NOT NULL,
  archived_at   TEXT NOT NULL,
  purged_at     TEXT,
  UNIQUE (owner, spoolid)
);
CREATE INDEX spool_files_by_identity ON spool_files(unique_id, opened_us);
)sql",
    // 3 -> 4: finding members by name.  name_rev is the member's name
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
    // 4 -> 5: the owner and group a member was archived with (numeric ids
    // from its header), so that saved/ shows it as theirs.  -1: unknown
    // (members cataloged before), shown as the library's.
    R"sql(
ALTER TABLE members ADD COLUMN uid INTEGER NOT NULL DEFAULT -1;
ALTER TABLE members ADD COLUMN gid INTEGER NOT NULL DEFAULT -1;
)sql",
    // 5 -> 6: write_pending is 1 from the moment a drive starts changing a
    // volume's image until the catalog has recorded the change; a mount
    // re-indexes every volume that has it (a crash or a failed commit in
    // between), as the image's size alone does not tell a rewrite of the
    // same length from the tape the catalog describes.  An old catalog
    // starts with 0: its volumes are checked as before (size, and tape
    // files numbered without a gap).
    R"sql(
ALTER TABLE volumes ADD COLUMN write_pending INTEGER NOT NULL DEFAULT 0;
)sql",
    // 6 -> 7: compressed archives (tar -z, -j, -J, --zstd): the compression
    // the content was found under, '' for none.  Tape files cataloged
    // before are left as they were ('unknown' for a compressed archive)
    // until `vtape index rebuild` reads them again.
    R"sql(
ALTER TABLE tape_files ADD COLUMN compression TEXT NOT NULL DEFAULT '';
)sql",
    // 7 -> 8: a tape file's digest is of the algorithm its row names
    // (index/digest.h): 'xxh3-128' (the default from now on) or 'sha256'.
    // Every row before was SHA-256, and keeps verifying as SHA-256.
    R"sql(
ALTER TABLE tape_files RENAME COLUMN sha256 TO digest;
ALTER TABLE tape_files ADD COLUMN digest_algorithm TEXT NOT NULL DEFAULT 'sha256';
)sql",
    // 8 -> 9: members cataloged while their tape file is still being written (a
    // drive commits them in batches as they stream past, so that close()
    // has only the last batch left): their tape_files row is put in with
    // the first batch, with writing = 1, and completed (writing = 0) when
    // the file ends.  While writing is 1 the row's counts and digest are
    // not final; the volume is write_pending meanwhile, so a crash before
    // the end is repaired by the re-index at the next mount.
    //
    // member_names: every member's name (the last component of its path,
    // as vtape_member_name computes it), by the member's id: a compact
    // names-only table that a search scans when its pattern has no literal
    // run to look up (`*ma*n*`), and the content of member_names_fts, an
    // FTS5 trigram index (case-sensitive, as GLOB is) that answers every
    // pattern with a literal run of 3 or more characters.  Deletes are
    // followed by triggers (plain SQL, so that sqlite3 deleting members
    // keeps both right); vtape inserts the names itself, and indexes them
    // with one statement per batch (kIndexMemberNames): FTS5 flushes its
    // pending terms at every statement, so an insert trigger (a statement
    // per member) made inserting 20 times slower.
    R"sql(
ALTER TABLE tape_files ADD COLUMN writing INTEGER NOT NULL DEFAULT 0;
CREATE TABLE member_names (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL
);
INSERT INTO member_names (id, name) SELECT id, vtape_member_name(path) FROM members;
CREATE VIRTUAL TABLE member_names_fts USING fts5(
  name, tokenize = 'trigram case_sensitive 1', detail = none, columnsize = 0,
  content = 'member_names', content_rowid = 'id');
INSERT INTO member_names_fts (member_names_fts) VALUES ('rebuild');
CREATE TRIGGER member_names_of_deleted_members AFTER DELETE ON members BEGIN
  DELETE FROM member_names WHERE id = old.id;
END;
CREATE TRIGGER member_names_fts_delete AFTER DELETE ON member_names BEGIN
  INSERT INTO member_names_fts (member_names_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;
)sql",
    // 9 -> 10: members_by_name_rev and members.name_rev go.  Since 9 every
    // name pattern finds its candidates in member_names_fts (a literal run
    // of 3 or more characters: "*.tar.gz", "name.txt") or by a scan of
    // member_names (any other: "*.c", "*ma*n*"), so that the 7-column index
    // only cost its upkeep: inserting a member into it, at a random place,
    // was the largest part of inserting a member (bench/catalog_bench.cc
    // generate with CATALOG_BENCH_SETUP: 5.6 of 14.6 us of CPU a member).
    R"sql(
DROP INDEX members_by_name_rev;
ALTER TABLE members DROP COLUMN name_rev;
)sql",
    // 10 -> 11: the trigram index off the write path.  Feeding it was a
    // sixth of the cost of inserting a member (bench/catalog_bench.cc
    // generate), paid while a drive's close() or an import waited.  Now
    // vtape inserts names into member_names only, and the index is caught
    // up later (Catalog::catch_up_name_index: after a drive's tape file is
    // committed, on its catalog writer; when a catalog connection closes).
    // member_names_indexed.through_id is the high-water mark: every name
    // with an id up to it is in member_names_fts, none above it is, and a
    // search reads the index up to the mark and scans member_names above it,
    // so its results are exact however far the index lags.  A new member's
    // id is the highest id + 1, so the mark must never exceed the highest
    // id left: deleting the name at the mark moves the mark down to the
    // next name below it.  A catalog of 10 had every name indexed.
    R"sql(
CREATE TABLE member_names_indexed (through_id INTEGER NOT NULL);
INSERT INTO member_names_indexed (through_id) SELECT COALESCE(MAX(id), 0) FROM member_names;
DROP TRIGGER member_names_fts_delete;
CREATE TRIGGER member_names_fts_delete AFTER DELETE ON member_names
WHEN old.id <= (SELECT through_id FROM member_names_indexed) BEGIN
  INSERT INTO member_names_fts (member_names_fts, rowid, name) VALUES ('delete', old.id, old.name);
  UPDATE member_names_indexed SET through_id = (SELECT COALESCE(MAX(id), 0) FROM member_names WHERE id < old.id)
  WHERE through_id = old.id;
END;
)sql",
    // 11 -> 12: members_by_path (path) becomes members_by_file_path
    // (volser, file_number, path).  Members arrive a tape file at a time,
    // and under a key that begins with their tape file they land in one
    // region of the index instead of at random places across all of it,
    // where each commit rewrote nearly every page (1,000,000 members: 12.6
    // s to insert before, 4.1 s with this one on an idle machine;
    // bench/catalog.sh).  A search
    // by path reads one range per tape file (find_statement: tape_files
    // joined to members), a thousand seeks for a thousand tape files.
    R"sql(
DROP INDEX members_by_path;
CREATE INDEX members_by_file_path ON members(volser, file_number, path);
)sql",
};

inline constexpr const char* kUpsertVolume = R"sql(
INSERT INTO volumes (volser, image_path, format, capacity, created, write_protected)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (volser) DO UPDATE SET image_path = ?2, format = ?3, capacity = ?4, write_protected = ?6
)sql";
// Both end a pending write: the catalog now says what the image holds.
inline constexpr const char* kSetVolumeWritten = R"sql(
UPDATE volumes SET last_written = ?2, image_size = ?3, write_pending = 0 WHERE volser = ?1
)sql";
inline constexpr const char* kSetVolumeSize =
    "UPDATE volumes SET image_size = ?2, write_pending = 0 WHERE volser = ?1";
inline constexpr const char* kSetVolumeWritePending = "UPDATE volumes SET write_pending = 1 WHERE volser = ?1";
inline constexpr const char* kSelectVolumeWritePending = "SELECT write_pending FROM volumes WHERE volser = ?1";
inline constexpr const char* kSetVolumeLabel = "UPDATE volumes SET label_volser = ?2, label_owner = ?3 WHERE volser = ?1";
inline constexpr const char* kDeleteFilesFrom = "DELETE FROM tape_files WHERE volser = ?1 AND file_number >= ?2";
inline constexpr const char* kDeleteMembersFrom = "DELETE FROM members WHERE volser = ?1 AND file_number >= ?2";
inline constexpr const char* kDeleteChecksumsFrom =
    "DELETE FROM record_checksums WHERE volser = ?1 AND file_number >= ?2";
inline constexpr const char* kInsertChecksums =
    "INSERT INTO record_checksums (volser, file_number, crc32c) VALUES (?1, ?2, ?3)";
inline constexpr const char* kSelectChecksums =
    "SELECT crc32c FROM record_checksums WHERE volser = ?1 AND file_number = ?2";
inline constexpr const char* kDeleteVolumeChecksums = "DELETE FROM record_checksums WHERE volser = ?1";
inline constexpr const char* kInsertFile = R"sql(
INSERT INTO tape_files (volser, file_number, first_block, records, bytes, smallest_record, largest_record,
                        image_offset, digest, written_at, closed_cleanly, content, damage, compression,
                        digest_algorithm)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
)sql";
// A tape file whose members stream in while it is written: its row first
// (writing = 1, with what is known so far), completed with the same
// parameters as kInsertFile when the file ends.
inline constexpr const char* kInsertFileBeingWritten = R"sql(
INSERT INTO tape_files (volser, file_number, first_block, records, bytes, smallest_record, largest_record,
                        image_offset, digest, written_at, closed_cleanly, content, damage, compression,
                        digest_algorithm, writing)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 1)
)sql";
inline constexpr const char* kCompleteFile = R"sql(
UPDATE tape_files SET first_block = ?3, records = ?4, bytes = ?5, smallest_record = ?6, largest_record = ?7,
       image_offset = ?8, digest = ?9, written_at = ?10, closed_cleanly = ?11, content = ?12, damage = ?13,
       compression = ?14, digest_algorithm = ?15, writing = 0
WHERE volser = ?1 AND file_number = ?2
)sql";
inline constexpr const char* kInsertMemberName = "INSERT INTO member_names (id, name) VALUES (?1, ?2)";
// Catching the trigram index up (schema 11): the mark and the highest id;
// the names above the mark up to ?2 into the index in one statement (FTS5
// flushes its pending terms at every statement); the new mark.
inline constexpr const char* kSelectNameIndexLag =
    "SELECT through_id, (SELECT COALESCE(MAX(id), 0) FROM member_names) FROM member_names_indexed";
inline constexpr const char* kIndexMemberNames =
    "INSERT INTO member_names_fts (rowid, name) SELECT id, name FROM member_names WHERE id > ?1 AND id <= ?2";
inline constexpr const char* kSetNamesIndexedThrough = "UPDATE member_names_indexed SET through_id = ?1";
// vtape index check (Catalog::check_name_index).
inline constexpr const char* kCountMembersWithoutTheirName =
    "SELECT COUNT(*) FROM members m WHERE NOT EXISTS "
    "(SELECT 1 FROM member_names n WHERE n.id = m.id AND n.name = vtape_member_name(m.path))";
inline constexpr const char* kCountNamesWithoutTheirMember =
    "SELECT COUNT(*) FROM member_names n WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.id = n.id)";
inline constexpr const char* kCountNameIndexMarks = "SELECT COUNT(*) FROM member_names_indexed";
// The mark never exceeds the highest name's id (schema 11: a new member's
// id is the highest + 1, and must not count as indexed).
inline constexpr const char* kNameIndexMarkWithinNames =
    "SELECT through_id <= (SELECT COALESCE(MAX(id), 0) FROM member_names) FROM member_names_indexed";
// The trigram index's own structure; with rank 1 also its terms against
// member_names (only right when every name is indexed).
// vtape index rebuild (Catalog::rebuild_name_index).  The mark goes to 0
// first: then no delete reaches the trigram index through its trigger,
// which fails on an index that does not hold what member_names says
// ("database disk image is malformed").
inline constexpr const char* kRebuildNameIndex = R"sql(
UPDATE member_names_indexed SET through_id = 0;
INSERT INTO member_names_fts (member_names_fts) VALUES ('delete-all');
DELETE FROM member_names;
INSERT INTO member_names (id, name) SELECT id, vtape_member_name(path) FROM members;
INSERT INTO member_names_fts (member_names_fts) VALUES ('rebuild');
DELETE FROM member_names_indexed;
INSERT INTO member_names_indexed (through_id) SELECT COALESCE(MAX(id), 0) FROM member_names;
)sql";
inline constexpr const char* kCheckNameIndexStructure =
    "INSERT INTO member_names_fts (member_names_fts, rank) VALUES ('integrity-check', ?1)";
inline constexpr const char* kInsertMember = R"sql(
INSERT INTO members (volser, file_number, kind, path, size, mode, mtime, data_offset, link_target, uid, gid)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
)sql";
inline constexpr const char* kInsertEvent =
    "INSERT INTO events (at, volser, drive, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)";
// Only a row that still points where the tape file began in the old image:
// a drive that rewrote it since recorded the new image's offset itself.
inline constexpr const char* kMoveTapeFileOffset =
    "UPDATE tape_files SET image_offset = ?4 WHERE volser = ?1 AND file_number = ?2 AND image_offset = ?3";
inline constexpr const char* kSelectVolumes = R"sql(
SELECT v.volser, v.image_path, v.format, v.capacity, v.created, COALESCE(v.last_written, ''), v.write_protected,
       COALESCE(v.label_volser, ''), COALESCE(v.label_owner, ''), v.image_size,
       (SELECT COUNT(*) FROM tape_files f WHERE f.volser = v.volser),
       (SELECT COALESCE(SUM(bytes), 0) FROM tape_files f WHERE f.volser = v.volser),
       v.write_pending,
       (SELECT COALESCE(MAX(file_number) + 1, 0) FROM tape_files f WHERE f.volser = v.volser)
FROM volumes v ORDER BY v.volser
)sql";
// How many tape files a volume has, without reading their rows (a spool
// write asks on every file it adds).
inline constexpr const char* kCountFiles = R"sql(
SELECT COUNT(*) FROM tape_files WHERE volser = ?1
)sql";
inline constexpr const char* kSelectFiles = R"sql(
SELECT file_number, first_block, records, bytes, smallest_record, largest_record, image_offset, digest,
       written_at, closed_cleanly, content, COALESCE(damage, ''),
       (SELECT COUNT(*) FROM members m WHERE m.volser = f.volser AND m.file_number = f.file_number), compression,
       digest_algorithm, writing
FROM tape_files f WHERE volser = ?1 ORDER BY file_number
)sql";
inline constexpr const char* kSelectMembers = R"sql(
SELECT kind, path, size, mode, mtime, data_offset, link_target, uid, gid
FROM members WHERE volser = ?1 AND file_number = ?2 ORDER BY id
)sql";
// A search (Catalog::find, find_pattern), put together by find_statement()
// (index/find_statement.cc) from these pieces: the candidates of an index
// range, each matched with GLOB, then plain conditions (never "?x IS NULL
// OR ...", which keeps SQLite from using an index for them).
inline constexpr const char* kFindSelect =
    "SELECT m.volser, m.file_number, m.kind, m.path, m.size, m.mtime, m.id FROM members m WHERE ";
// Candidates by path (schema 12): members_by_file_path holds the paths of
// each tape file in their own range, so a path range is read in each tape
// file's part of it; CROSS JOIN keeps tape_files the outer loop.
inline constexpr const char* kFindSelectByPath =
    "SELECT m.volser, m.file_number, m.kind, m.path, m.size, m.mtime, m.id FROM tape_files f CROSS JOIN members m "
    "WHERE m.volser = f.volser AND m.file_number = f.file_number AND ";
inline constexpr const char* kFindOnVolumeByPath = "f.volser = ?";
inline constexpr const char* kFindNameGlob = "vtape_name_glob(?, m.path)";
// Candidates by name (schema 9): the trigram index for a pattern with a
// literal ASCII run of 3 or more characters (asked for "*RUN*"; each
// candidate is then matched with the pattern), together with the names
// above its mark (schema 11), not indexed yet, matched with the same GLOB;
// the compact names-only table scanned for any other pattern.
inline constexpr const char* kFindNameTrigram =
    "m.id IN (SELECT rowid FROM member_names_fts WHERE member_names_fts.name GLOB ?"
    " UNION ALL SELECT id FROM member_names WHERE id > (SELECT through_id FROM member_names_indexed)"
    " AND member_names.name GLOB ?)";
inline constexpr const char* kFindNameScan = "m.id IN (SELECT id FROM member_names WHERE member_names.name GLOB ?)";
// The same scan of member_names as the outer loop, each match's member
// read by its id: no temporary table of the matching ids (100000 of them
// for "*.c") built and read back first.  Only without --volser, which
// SQLite may rather answer from that volume's part of members_by_file.
inline constexpr const char* kFindSelectByNameScan =
    "SELECT m.volser, m.file_number, m.kind, m.path, m.size, m.mtime, m.id FROM member_names n CROSS JOIN members m "
    "WHERE m.id = n.id AND ";
inline constexpr const char* kFindNameScanJoined = "n.name GLOB ?";
// The trigram index's candidates (and the names above its mark) the same
// way, each read by its id as it comes; the two parameters of
// kFindNameTrigram come first.
inline constexpr const char* kFindSelectByNameTrigram =
    "SELECT m.volser, m.file_number, m.kind, m.path, m.size, m.mtime, m.id FROM "
    "(SELECT rowid AS id FROM member_names_fts WHERE member_names_fts.name GLOB ?"
    " UNION ALL SELECT id FROM member_names WHERE id > (SELECT through_id FROM member_names_indexed)"
    " AND member_names.name GLOB ?) c CROSS JOIN members m WHERE m.id = c.id AND ";
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
       (SELECT COALESCE(SUM(bytes), 0) FROM tape_files f WHERE f.volser = v.volser),
       v.write_pending,
       (SELECT COALESCE(MAX(file_number) + 1, 0) FROM tape_files f WHERE f.volser = v.volser)
FROM volumes v WHERE v.volser = ?1
)sql";
inline constexpr const char* kDeleteVolumeFiles = "DELETE FROM tape_files WHERE volser = ?1";
inline constexpr const char* kDeleteVolumeMembers = "DELETE FROM members WHERE volser = ?1";
inline constexpr const char* kDeleteVolume = "DELETE FROM volumes WHERE volser = ?1";
inline constexpr const char* kSelectEvents = R"sql(
SELECT id, at, COALESCE(volser, ''), COALESCE(drive, -1), kind, detail FROM events
WHERE id > ?1 AND (?2 = '' OR at >= ?2) AND (?3 = '' OR volser = ?3)
ORDER BY id LIMIT ?4
)sql";

// ---- the spool (spool_catalog.cc) -------------------------------------------

inline constexpr const char* kSelectSpoolFiles = R"sql(
SELECT id, owner, spoolid, unique_id, opened_us, closed_us, device, queue, origin, origin_system, filename, filetype,
       class, form, dest, dist, copies, hold, keep, records, lrecl, data_bytes, content_bytes, flags, volser,
       file_number, image_offset, archived_at, COALESCE(purged_at, '')
FROM spool_files ORDER BY owner, spoolid
)sql";
// The same for one owner, from the (owner, spoolid) index: what the mount's
// lookups ask, many times a listing.
inline constexpr const char* kSelectOwnersSpoolFiles = R"sql(
SELECT id, owner, spoolid, unique_id, opened_us, closed_us, device, queue, origin, origin_system, filename, filetype,
       class, form, dest, dist, copies, hold, keep, records, lrecl, data_bytes, content_bytes, flags, volser,
       file_number, image_offset, archived_at, COALESCE(purged_at, '')
FROM spool_files WHERE owner = ?1 ORDER BY owner, spoolid
)sql";
inline constexpr const char* kSelectSpoolFile = R"sql(
SELECT id, owner, spoolid, unique_id, opened_us, closed_us, device, queue, origin, origin_system, filename, filetype,
       class, form, dest, dist, copies, hold, keep, records, lrecl, data_bytes, content_bytes, flags, volser,
       file_number, image_offset, archived_at, COALESCE(purged_at, '')
FROM spool_files WHERE id = ?1
)sql";
inline constexpr const char* kInsertSpoolFile = R"sql(
INSERT INTO spool_files (owner, spoolid, unique_id, opened_us, closed_us, device, queue, origin, origin_system,
                         filename, filetype, class, form, dest, dist, copies, hold, keep, records, lrecl,
                         data_bytes, content_bytes, flags, volser, file_number, image_offset, archived_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,
        ?24, ?25, ?26, ?27)
)sql";
// Everything but the identity (id, owner, spoolid, unique id, open time),
// the device, origin and archive time.  The parameters have the numbers of
// kInsertSpoolFile (so one binding serves both; SQLite lets the numbers
// this statement does not use be bound too), and ?28 is the row id.
inline constexpr const char* kUpdateSpoolFile = R"sql(
UPDATE spool_files SET closed_us = ?5, queue = ?7, filename = ?10, filetype = ?11, class = ?12, form = ?13,
       dest = ?14, dist = ?15, copies = ?16, hold = ?17, keep = ?18, records = ?19, lrecl = ?20, data_bytes = ?21,
       content_bytes = ?22, flags = ?23, volser = ?24, file_number = ?25, image_offset = ?26
WHERE id = ?28
)sql";
inline constexpr const char* kPurgeSpoolFile = "UPDATE spool_files SET purged_at = ?2 WHERE id = ?1 AND purged_at IS NULL";
inline constexpr const char* kSpoolidTaken = "SELECT 1 FROM spool_files WHERE owner = ?1 AND spoolid = ?2";
inline constexpr const char* kHighestSpoolid = "SELECT COALESCE(MAX(spoolid), 0) FROM spool_files WHERE owner = ?1";
inline constexpr const char* kSpoolIdentityExists =
    "SELECT 1 FROM spool_files WHERE unique_id = ?1 AND opened_us = ?2 LIMIT 1";
inline constexpr const char* kSelectSpoolUsers = R"sql(
SELECT user FROM spool_users UNION SELECT owner FROM spool_files ORDER BY 1
)sql";
inline constexpr const char* kInsertSpoolUser = "INSERT OR IGNORE INTO spool_users (user, added) VALUES (?1, ?2)";

}  // namespace vtape::sql
