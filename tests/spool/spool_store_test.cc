// SpoolStore without a mount: archiving to the spool cartridge, spoolids,
// reading back, a full cartridge, and a torn spool write.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "library/spool_store.h"
#include "index/catalog_schema.h"
#include "index/spool_header.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

struct Fixture {
  TempDir dir;
  std::unique_ptr<TapeLibrary> library;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<SpoolStore> store;
  Fixture() {
    EXPECT_TRUE(TapeLibrary::open(dir.file("lib"), true, &library).is_ok());
    EXPECT_TRUE(Catalog::open(library->catalog_path(), &catalog).is_ok());
    store = std::make_unique<SpoolStore>(*library, *catalog, "SPOOL1");
  }
};

SpoolFile printer_file(const std::string& owner, const std::string& name, const std::string& content) {
  SpoolFile f;
  f.meta.device = SpoolDevice::kPrinter;
  f.meta.queue = SpoolQueue::kPrinter;
  f.meta.owner = owner;
  f.meta.origin = owner;
  f.meta.origin_system = "TEST";
  std::string n, t;
  EXPECT_TRUE(split_spool_file_name(name, &n, &t).is_ok());
  f.meta.filename = n;
  f.meta.filetype = t;
  f.meta.unique_id = new_unique_id();
  f.meta.opened_us = now_microseconds();
  EXPECT_TRUE(spool_records_from_content(content, &f.meta, &f.records).is_ok());
  return f;
}

TEST(SpoolCatalogSchema, AVersionOneCatalogGetsTheSpoolTablesAndKeepsItsData) {
  TempDir dir;
  std::string path = dir.file("catalog.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    std::string v1 = std::string(sql::kMigrations[0]) +
                     "INSERT INTO volumes (volser, image_path, format, capacity, created) "
                     "VALUES ('OLD001', '/x.tap', 'simh', 1, '2026-01-01T00:00:00Z');"
                     "PRAGMA application_id = 1448362320; PRAGMA user_version = 1;";
    ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  std::unique_ptr<Catalog> catalog;
  ASSERT_TRUE(Catalog::open(path, &catalog).is_ok());
  std::vector<VolumeRow> volumes;
  ASSERT_TRUE(catalog->volumes(&volumes).is_ok());
  ASSERT_EQ(volumes.size(), 1u);
  EXPECT_EQ(volumes[0].volser, "OLD001");
  SpoolCatalog spool(*catalog);
  ASSERT_TRUE(spool.add_user("ALICE").is_ok());
  std::vector<std::string> users;
  ASSERT_TRUE(spool.users(&users).is_ok());
  EXPECT_EQ(users, std::vector<std::string>{"ALICE"});
}

TEST(SpoolStore, SpoolidsCountPerOwnerAndATakenOneIsRenumbered) {
  Fixture fx;
  SpoolFileRow a, b, c, d;
  ASSERT_TRUE(fx.store->archive(printer_file("ALICE", "A.TXT", "a\n"), &a).is_ok());
  ASSERT_TRUE(fx.store->archive(printer_file("ALICE", "B.TXT", "b\n"), &b).is_ok());
  ASSERT_TRUE(fx.store->archive(printer_file("BOB", "C.TXT", "c\n"), &c).is_ok());
  EXPECT_EQ(a.meta.spoolid, 1u);
  EXPECT_EQ(b.meta.spoolid, 2u);
  EXPECT_EQ(c.meta.spoolid, 1u);
  SpoolFile wanted = printer_file("ALICE", "D.TXT", "d\n");
  wanted.meta.spoolid = 1;  // taken: the next free one
  ASSERT_TRUE(fx.store->archive(wanted, &d).is_ok());
  EXPECT_EQ(d.meta.spoolid, 3u);
  wanted.meta.spoolid = 77;  // free: kept
  ASSERT_TRUE(fx.store->archive(wanted, &d).is_ok());
  EXPECT_EQ(d.meta.spoolid, 77u);
  // Each is its own tape file, in order, on the spool cartridge.
  EXPECT_EQ(a.volser, "SPOOL1");
  EXPECT_EQ(a.file_number, 0u);
  EXPECT_EQ(c.file_number, 2u);
}

TEST(SpoolStore, ReadGivesBackTheContentAndTheHeaderOnTapeHasTheMetadata) {
  Fixture fx;
  SpoolFileRow row;
  std::string content = "line one\n\fpage two\n";
  ASSERT_TRUE(fx.store->archive(printer_file("ALICE", "REPORT.LISTING", content), &row).is_ok());
  std::string back;
  ASSERT_TRUE(fx.store->content(row, &back).is_ok());
  EXPECT_EQ(back, content);
  // The tape file's first record is the header.
  Cartridge c;
  ASSERT_TRUE(fx.library->find("SPOOL1", &c).is_ok());
  std::unique_ptr<TapeImage> image;
  ASSERT_TRUE(TapeImage::open(c.image_path, OpenOptions{}, &image).is_ok());
  TapeObject obj;
  std::vector<uint8_t> data;
  ASSERT_TRUE(image->read(&obj, &data).is_ok());
  SpoolMetadata m;
  ASSERT_TRUE(decode_spool_header(data, &m).is_ok());
  EXPECT_EQ(m.owner, "ALICE");
  EXPECT_EQ(m.spoolid, row.meta.spoolid);
  EXPECT_EQ(m.name_type(), "REPORT.LISTING");
  EXPECT_EQ(m.records, 2u);
  // Attributes changed afterwards are kept in the catalog.
  row.meta.spool_class = 'X';
  ASSERT_TRUE(fx.store->update(row).is_ok());
  SpoolFileRow again;
  ASSERT_TRUE(fx.store->catalog().get(row.id, &again).is_ok());
  EXPECT_EQ(again.meta.spool_class, 'X');
}

TEST(SpoolStore, AFullCartridgeGivesNoSpaceAndNothingIsCataloged) {
  Fixture fx;
  Cartridge c;
  ASSERT_TRUE(fx.library->create_cartridge("SPOOL1", Format::kSimh, 64 * 1024, &c).is_ok());
  SpoolFileRow row;
  ASSERT_TRUE(fx.store->archive(printer_file("ALICE", "SMALL.TXT", "fits\n"), &row).is_ok());
  struct stat before {};
  ASSERT_EQ(stat(c.image_path.c_str(), &before), 0);
  std::string big;
  for (int i = 0; i < 1000; ++i) big += std::string(100, 'x') + "\n";
  Status s = fx.store->archive(printer_file("ALICE", "BIG.TXT", big), &row);
  EXPECT_EQ(s.code(), StatusCode::kNoSpace) << s.message();
  struct stat after {};
  ASSERT_EQ(stat(c.image_path.c_str(), &after), 0);
  EXPECT_EQ(after.st_size, before.st_size);
  std::vector<SpoolFileRow> rows;
  ASSERT_TRUE(fx.store->catalog().select(SpoolCriteria{}, &rows).is_ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].meta.filename, "SMALL");
}

TEST(SpoolStore, ATornSpoolWriteIsCutOffAndNeverCataloged) {
  Fixture fx;
  SpoolFileRow first;
  ASSERT_TRUE(fx.store->archive(printer_file("ALICE", "FIRST.TXT", "1\n"), &first).is_ok());
  Cartridge c;
  ASSERT_TRUE(fx.library->find("SPOOL1", &c).is_ok());
  {
    // What a writer killed after two records leaves: header and one data
    // record, no filemark, behind an end guard.
    OpenOptions o;
    o.writable = true;
    std::unique_ptr<TapeImage> image;
    ASSERT_TRUE(TapeImage::open(c.image_path, o, &image).is_ok());
    ASSERT_TRUE(image->seek_end_of_data().is_ok());
    ASSERT_TRUE(image->enable_crash_guard().is_ok());
    SpoolFile torn = printer_file("ALICE", "TORN.TXT", "never\nfinished\n");
    torn.meta.spoolid = 9;
    ASSERT_TRUE(image->write_record(encode_spool_header(torn.meta)).is_ok());
    std::string r = torn.records[0];
    ASSERT_TRUE(image->write_record({reinterpret_cast<const uint8_t*>(r.data()), r.size()}).is_ok());
    ASSERT_TRUE(image->sync().is_ok());
    // No disable_crash_guard, no close: the process "died" here.
  }
  ASSERT_TRUE(fx.store->recover().is_ok());
  SpoolFileRow second;
  ASSERT_TRUE(fx.store->archive(printer_file("ALICE", "SECOND.TXT", "2\n"), &second).is_ok());
  EXPECT_EQ(second.file_number, 1u);  // where the torn file began
  std::unique_ptr<TapeImage> image;
  ASSERT_TRUE(TapeImage::open(c.image_path, OpenOptions{}, &image).is_ok());
  std::vector<std::string> names;
  ASSERT_TRUE(scan_spool_image(*image,
                               [&](ScannedSpoolFile& f) {
                                 names.push_back(f.file.meta.name_type());
                                 return Status::ok();
                               },
                               {})
                  .is_ok());
  EXPECT_EQ(names, (std::vector<std::string>{"FIRST.TXT", "SECOND.TXT"}));
  std::string back;
  ASSERT_TRUE(fx.store->content(second, &back).is_ok());
  EXPECT_EQ(back, "2\n");
}

TEST(SpoolStore, ACopySentToAReaderIsInThatUsersRdrWithTheSameContent) {
  Fixture fx;
  SpoolFileRow original, sent;
  ASSERT_TRUE(fx.store->archive(printer_file("ALICE", "A.TXT", "to bob\n"), &original).is_ok());
  SpoolFile f;
  ASSERT_TRUE(fx.store->read(original, &f).is_ok());
  ASSERT_TRUE(fx.store->send_to_reader(f, "bob", &sent).is_ok());
  EXPECT_EQ(sent.meta.owner, "BOB");
  EXPECT_EQ(sent.meta.queue, SpoolQueue::kReader);
  EXPECT_EQ(sent.meta.origin, "ALICE");
  SpoolCriteria rdr;
  ASSERT_TRUE(rdr.add("--queue", "rdr").is_ok());
  ASSERT_TRUE(rdr.add("--owner", "BOB").is_ok());
  std::vector<SpoolFileRow> rows;
  ASSERT_TRUE(fx.store->catalog().select(rdr, &rows).is_ok());
  ASSERT_EQ(rows.size(), 1u);
  std::string back;
  ASSERT_TRUE(fx.store->content(rows[0], &back).is_ok());
  EXPECT_EQ(back, "to bob\n");
  EXPECT_EQ(fx.store->send_to_reader(f, "not a user", &sent).code(), StatusCode::kInvalidArgument);
}

TEST(SpoolStore, TheSpoolCartridgeInADriveIsRefused) {
  Fixture fx;
  SpoolFileRow row;
  ASSERT_TRUE(fx.store->archive(printer_file("ALICE", "A.TXT", "a\n"), &row).is_ok());
  ASSERT_TRUE(fx.library->set_loaded(1, std::string("SPOOL1")).is_ok());
  Status s = fx.store->archive(printer_file("ALICE", "B.TXT", "b\n"), &row);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("drive 1"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace vtape::testing
