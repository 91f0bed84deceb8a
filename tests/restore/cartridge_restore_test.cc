// vtape restore --to-cartridge: with no vtapefs serving the library, the
// command becomes the library's door and writes through a drive of its own
// (library/cartridge_door.h, DriveRecordSink), so the drive keeps the
// catalog as the mount does.  Archives are written with real tar through a
// real mount, the copy is read back with tar through a mount again.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "library/cartridge_door.h"
#include "library/drive_record_sink.h"
#include "library/restore_replay.h"
#include "tests/interop/json_reader.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;
using interop::Json;
using interop::parse_json;

std::string q(const std::string& s) { return shell_quote(s); }

// Two trees to archive, one per tape file.
struct TwoTrees {
  TempDir dir;
  TwoTrees() {
    fs::create_directories(dir.path() / "one" / "sub");
    fs::create_directories(dir.path() / "two" / "deep" / "er");
    write_file_bytes(one() + "/first.txt", std::vector<uint8_t>(777, 'x'));
    write_file_bytes(one() + "/sub/data", pattern_bytes(100000, 1));
    write_file_bytes(two() + "/second.bin", pattern_bytes(250000, 2));
    write_file_bytes(two() + "/deep/er/note", {'h', 'i', '\n'});
  }
  std::string one() const { return dir.file("one"); }
  std::string two() const { return dir.file("two"); }
};

void tar_to(const std::string& tree, const std::string& device) {
  CommandResult r = run_command("tar -cf " + q(device) + " -C " + q(tree) + " .");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(device);
}

// A library whose VOL001 holds two tar archives written through the mount,
// VOL001 left in drive 0; the mount is gone afterwards.
struct ArchivedLibrary {
  TwoTrees trees;
  MountedVtapefs vt;
  std::string drives_state;  // drives.state after the mount, as the library remembers it
  ArchivedLibrary() {
    EXPECT_TRUE(vt.ok()) << vt.error();
    for (const char* step : {"new VOL001", "unload 0", "load 0 VOL001"}) {
      CommandResult r = vt.vtape(step);
      EXPECT_EQ(r.exit_code, 0) << step << ": " << describe(r);
    }
    tar_to(trees.one(), vt.drive(0));
    tar_to(trees.two(), vt.drive(0));
    vt.unmount();
    drives_state = read_text(vt.library() + "/drives.state");
    EXPECT_EQ(drives_state, "0 VOL001\n");
  }
  std::string image(const std::string& volser) const { return vt.library() + "/cartridges/" + volser + ".tap"; }
  // The catalog's event log of a volume, "kind|detail" a line.
  std::string events(const std::string& volser, const std::string& kind) const {
    CommandResult r = run_command("sqlite3 " + q(vt.library() + "/catalog.db") +
                                  " \"select kind || '|' || detail from events where volser = '" + volser +
                                  "' and kind = '" + kind + "' order by rowid\"");
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return r.out;
  }
};

std::string member_paths(const Json& listing) {
  std::string paths;
  for (size_t i = 0; i < listing["members"].size(); ++i) paths += listing["members"][i]["path"].str() + "\n";
  return paths;
}

TEST(RestoreToCartridge, TwoTarArchivesGoOntoANewCartridgeCatalogedByTheDriveAndTarReadsThemBack) {
  ArchivedLibrary lib;
  MountedVtapefs& vt = lib.vt;

  CommandResult r = vt.vtape("restore VOL001 --to-cartridge VOL002");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("VOL001 -> VOL002: 2 tape files"), std::string::npos) << r.out;
  // The drive the command used is given back: the library remembers what it did.
  EXPECT_EQ(read_text(vt.library() + "/drives.state"), lib.drives_state);

  // The catalog was kept by the drive as it wrote (its write events), not
  // indexed from the image afterwards.
  std::string written = lib.events("VOL002", "write");
  EXPECT_EQ(written, lib.events("VOL001", "write"));  // as the mount's drive recorded VOL001
  EXPECT_NE(written.find("write|file 1: "), std::string::npos) << written;
  EXPECT_EQ(lib.events("VOL002", "reconcile").find("2 tape files"), std::string::npos);
  Json source = parse_json(vt.vtape("ls VOL001 --json").out);
  Json copy = parse_json(vt.vtape("ls VOL002 --json").out);
  ASSERT_EQ(copy["files"].size(), 2u) << vt.vtape("ls VOL002").out;
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(copy["files"][i]["content"].str(), "tar");
    EXPECT_EQ(copy["files"][i]["digest"].str(), source["files"][i]["digest"].str()) << "file " << i;
    EXPECT_TRUE(copy["files"][i]["closed_cleanly"].flag()) << "file " << i;
  }
  EXPECT_EQ(member_paths(parse_json(vt.vtape("ls VOL002/0 --json").out)), "./\n./sub/\n./sub/data\n./first.txt\n");
  EXPECT_EQ(member_paths(parse_json(vt.vtape("ls VOL002/1 --json").out)),
            "./\n./deep/\n./deep/er/\n./deep/er/note\n./second.bin\n");
  r = vt.vtape("find second.bin");
  EXPECT_NE(r.out.find("VOL002/1"), std::string::npos) << describe(r);
  r = vt.vtape("index check");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  r = run_vtape("verify " + q(lib.image("VOL002")));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("2 tape files"), std::string::npos) << r.out;

  // Tape file 2 through a mount again, with tar.
  ASSERT_TRUE(vt.remount()) << vt.error();
  for (const char* step : {"unload 0", "load 0 VOL002"}) {
    r = vt.vtape(step);
    ASSERT_EQ(r.exit_code, 0) << step << ": " << describe(r);
  }
  TempDir out;
  r = run_command("mt -f " + q(vt.drive(0)) + " rewind && mt -f " + q(vt.drive(0)) + " fsf 1 && tar -xf " +
                  q(vt.drive(0)) + " -C " + q(out.path().string()));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* name : {"second.bin", "deep/er/note"}) {
    r = run_command("cmp " + q(lib.trees.two() + "/" + name) + " " + q(out.file(name)));
    EXPECT_EQ(r.exit_code, 0) << name << ": " << describe(r);
  }
  EXPECT_FALSE(fs::exists(out.file("first.txt")));  // tape file 1 only
}

TEST(RestoreToCartridge, ACartridgeThatHoldsDataIsAppendedToOnlyWhenAskedAndOverwrittenOnlyWhenAsked) {
  ArchivedLibrary lib;
  MountedVtapefs& vt = lib.vt;
  ASSERT_EQ(vt.vtape("restore VOL001/1 --to-cartridge VOL002").exit_code, 0);

  CommandResult r = vt.vtape("restore VOL001/0 --to-cartridge VOL002");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("VOL002 already holds 1 tape files: --append"), std::string::npos) << r.err;
  r = vt.vtape("restore VOL001/0 --to-cartridge VOL002 --append");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  Json source = parse_json(vt.vtape("ls VOL001 --json").out);
  Json copy = parse_json(vt.vtape("ls VOL002 --json").out);
  ASSERT_EQ(copy["files"].size(), 2u);
  EXPECT_EQ(copy["files"][0]["digest"].str(), source["files"][1]["digest"].str());
  EXPECT_EQ(copy["files"][1]["digest"].str(), source["files"][0]["digest"].str());

  r = vt.vtape("restore VOL001/0 --to-cartridge VOL002 --overwrite=always");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  copy = parse_json(vt.vtape("ls VOL002 --json").out);
  ASSERT_EQ(copy["files"].size(), 1u);
  EXPECT_EQ(copy["files"][0]["digest"].str(), source["files"][0]["digest"].str());
  r = run_vtape("verify " + q(lib.image("VOL002")));
  EXPECT_NE(r.out.find("1 tape files"), std::string::npos) << describe(r);
  EXPECT_EQ(vt.vtape("index check").exit_code, 0);
  EXPECT_EQ(read_text(vt.library() + "/drives.state"), lib.drives_state);
}

// A SIMH image of `files` tape files of `records` records of 64 KiB each,
// written as it is made (a few hundred MiB: long enough to interrupt).
void write_big_image(const std::string& path, int files, int records) {
  std::ofstream out(path, std::ios::binary);
  std::vector<uint8_t> record;
  put_simh_record(record, pattern_bytes(64 * 1024, 9));
  for (int f = 0; f < files; ++f) {
    for (int r = 0; r < records; ++r) out.write(reinterpret_cast<const char*>(record.data()), record.size());
    const char filemark[4] = {0, 0, 0, 0};
    out.write(filemark, 4);
  }
  ASSERT_TRUE(out.good()) << path;
}

TEST(RestoreToCartridge, ATermStopsAtARecordWithWhatWasWrittenClosedCatalogedAndTheImageAgreeing) {
  ArchivedLibrary lib;
  MountedVtapefs& vt = lib.vt;
  TempDir src;
  write_big_image(src.file("big.tap"), 3, 1500);
  // Started in the background; TERM once the cartridge's image has data.
  CommandResult r = run_command(
      "VTAPE_LIBRARY=" + q(vt.library()) + " " + q(VTAPE_BINARY) + " restore " + q(src.file("big.tap")) +
      " --to-cartridge VOL002 & pid=$!; while [ ! -s " + q(lib.image("VOL002")) + " ]; do sleep 0.001; done; "
      "kill -TERM $pid; wait $pid; echo exit=$?");
  EXPECT_EQ(r.out, "exit=1\n") << describe(r);
  EXPECT_NE(r.err.find("stopped writing VOL002"), std::string::npos) << r.err;

  // What was written is a closed tape file (or more), cataloged as on the image.
  Json copy = parse_json(vt.vtape("ls VOL002 --json").out);
  ASSERT_GE(copy["files"].size(), 1u);
  uint64_t cataloged = 0;
  for (size_t i = 0; i < copy["files"].size(); ++i) cataloged += copy["files"][i]["records"].u64();
  EXPECT_GT(cataloged, 0u);
  EXPECT_LT(cataloged, 3u * 1500u);  // it stopped before the end
  r = run_vtape("verify " + q(lib.image("VOL002")));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find(" " + std::to_string(cataloged) + " records, " + std::to_string(copy["files"].size()) +
                       " filemarks"), std::string::npos) << r.out;
  r = vt.vtape("index check");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_FALSE(fs::exists(lib.image("VOL002") + ".dirty"));
  EXPECT_EQ(read_text(vt.library() + "/drives.state"), lib.drives_state);
}

// The core alone, in this process, no FUSE and no vtape binary: a replay
// through DriveRecordSink on a CartridgeDoor's drive writes the same image
// byte for byte, and the drive's CatalogObserver catalogs it.
TEST(RestoreToCartridge, TheCoreAloneReplaysThroughADriveIntoTheSameImageAndCatalogsIt) {
  TempDir dir;
  std::unique_ptr<TapeLibrary> made;
  ASSERT_TRUE(TapeLibrary::open(dir.file("lib"), true, &made).is_ok());  // SCR001 in drive 0
  made.reset();
  std::string state = read_text(dir.file("lib/drives.state"));
  std::vector<uint8_t> source;
  for (uint32_t seed : {1u, 2u, 3u}) put_simh_record(source, pattern_bytes(10240 + seed, seed));
  put_le32(source, 0);
  put_simh_record(source, pattern_bytes(777, 4));
  put_le32(source, 0);
  write_file_bytes(dir.file("source.tap"), source);

  RestorePlan plan;
  plan.source = plan.image_path = dir.file("source.tap");
  std::unique_ptr<CartridgeDoor> door;
  Status s = CartridgeDoor::open(dir.file("lib"), "VOL009", std::nullopt, "unit test", &door);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_TRUE(door->created());
  EXPECT_EQ(door->lease().number(), 1);  // drive 0 keeps SCR001
  DriveRecordSink sink(door->lease(), "VOL009");
  ReplaySummary summary;
  s = replay(plan, sink, ReplayOptions{}, &summary);
  ASSERT_TRUE(s.is_ok()) << s.message();
  s = door->finish();
  ASSERT_TRUE(s.is_ok()) << s.message();
  door.reset();

  EXPECT_EQ(read_file_bytes(dir.file("lib/cartridges/VOL009.tap")), source);
  EXPECT_EQ(read_text(dir.file("lib/drives.state")), state);
  std::unique_ptr<Catalog> catalog;
  ASSERT_TRUE(Catalog::open(dir.file("lib/catalog.db"), &catalog).is_ok());
  std::vector<TapeFileRow> rows;
  ASSERT_TRUE(catalog->files("VOL009", &rows).is_ok());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].records, 3u);
  EXPECT_EQ(rows[0].bytes, 3u * 10240u + 6u);
  EXPECT_EQ(rows[1].records, 1u);
  EXPECT_EQ(rows[1].bytes, 777u);
  EXPECT_EQ(rows[1].first_block, 4u);
}

TEST(RestoreToCartridge, IsRefusedWhileAVtapefsServesTheLibraryAndChangesNothing) {
  TwoTrees trees;
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  tar_to(trees.one(), vt.drive(0));
  std::string state = read_text(vt.library() + "/drives.state");
  std::string catalog_before = vt.vtape("ls --json").out;

  CommandResult r = vt.vtape("restore SCR001 --to-cartridge VOL002");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("is served by a running vtapefs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--to-device MNT/drives/nstN"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/VOL002.tap"));
  EXPECT_FALSE(fs::exists(vt.library() + "/cartridges/VOL002.cartridge"));
  EXPECT_EQ(read_text(vt.library() + "/drives.state"), state);
  EXPECT_EQ(vt.vtape("ls --json").out, catalog_before);
  // The mount still serves: its drive reads the archive.
  r = run_command("mt -f " + q(vt.drive(0)) + " rewind && tar -tf " + q(vt.drive(0)));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("./sub/data"), std::string::npos) << r.out;
}

TEST(RestoreToCartridge, AWriteProtectedCartridgeIsRefusedByTheDrive) {
  ArchivedLibrary lib;
  MountedVtapefs& vt = lib.vt;
  ASSERT_EQ(vt.vtape("new VOL002").exit_code, 0);
  ASSERT_EQ(vt.vtape("protect VOL002").exit_code, 0);

  CommandResult r = vt.vtape("restore VOL001 --to-cartridge VOL002");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("VOL002 is write-protected"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;  // the drive's EROFS
  EXPECT_EQ(fs::file_size(lib.image("VOL002")), 0u);
  EXPECT_EQ(parse_json(vt.vtape("ls VOL002 --json").out)["files"].size(), 0u);
  EXPECT_EQ(lib.events("VOL002", "write"), "");
  EXPECT_EQ(read_text(vt.library() + "/drives.state"), lib.drives_state);
}

}  // namespace
}  // namespace vtape::testing
