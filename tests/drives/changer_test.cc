// vtape changer against a mounted vtapefs with 2 drives and 3 cartridges
// (SCR001, which the new library loads in drive 0, VT0001 and VT0002):
// every command of Bacula's mtx-changer interface, its outputs and its
// errors.  Slots are given in volser order the first time the changer
// looks: SCR001 1, VT0001 2, VT0002 3, and one spare slot, 4; the
// import/export slot is 5.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

class ChangerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(vt_.ok()) << vt_.error();
    for (const char* v : {"VT0001", "VT0002"}) {
      CommandResult r = vt_.vtape(std::string("new ") + v);
      ASSERT_EQ(r.exit_code, 0) << describe(r);
    }
  }
  // `vtape changer ARGS`, which must succeed; its stdout.
  std::string changer(const std::string& args) {
    CommandResult r = vt_.vtape("changer " + args);
    EXPECT_EQ(r.exit_code, 0) << "changer " << args << ": " << describe(r);
    return r.out;
  }
  // `vtape changer ARGS`, which must fail; its stderr.
  std::string changer_error(const std::string& args) {
    CommandResult r = vt_.vtape("changer " + args);
    EXPECT_EQ(r.exit_code, 1) << "changer " << args << ": " << describe(r);
    EXPECT_EQ(r.out, "");
    return r.err;
  }
  std::string dev() const { return shell_quote(vt_.drive(0)); }

  MountedVtapefs vt_{"--drives 2"};
};

TEST_F(ChangerTest, ListsSlotsDrivesAndTheirCartridges) {
  EXPECT_EQ(changer("slots"), "5\n");
  // A loaded cartridge leaves its slot empty, as mtx reports it.
  EXPECT_EQ(changer("list 0 " + dev() + " 0"), "2:VT0001\n3:VT0002\n");
  EXPECT_EQ(changer("listall 0 " + dev() + " 0"),
            "D:0:F:1:SCR001\nD:1:E\nS:1:E\nS:2:F:VT0001\nS:3:F:VT0002\nS:4:E\nI:5:E\n");
  EXPECT_EQ(changer("loaded 0 " + dev() + " 0"), "1\n");
  EXPECT_EQ(changer("loaded 0 " + dev() + " 1"), "0\n");
  EXPECT_EQ(json_query(changer("--json list"), "[(s['slot'], s['barcode']) for s in d]"),
            "[(2, 'VT0001'), (3, 'VT0002')]");
  EXPECT_EQ(json_query(changer("--json listall"), "([(x['drive'], x.get('slot')) for x in d['drives']], "
                                                  "[x['slot'] for x in d['slots'] if x['full']])"),
            "([(0, 1), (1, None)], [2, 3])");
  EXPECT_EQ(json_query(changer("--json slots"), "d['slots']"), "5");
  EXPECT_EQ(json_query(changer("--json loaded 0 x 0"), "d['slot']"), "1");
}

TEST_F(ChangerTest, LoadsAndUnloadsThroughTheRunningDaemon) {
  EXPECT_EQ(changer("unload 1 " + dev() + " 0"), "");
  EXPECT_EQ(changer("loaded 0 " + dev() + " 0"), "0\n");
  EXPECT_EQ(changer("load 3 " + shell_quote(vt_.drive(1)) + " 1"), "");
  EXPECT_EQ(changer("loaded 0 " + dev() + " 1"), "3\n");
  EXPECT_EQ(changer("listall"), "D:0:E\nD:1:F:3:VT0002\nS:1:F:SCR001\nS:2:F:VT0001\nS:3:E\nS:4:E\nI:5:E\n");
  // The daemon has the cartridge in its drive: vtape status says so.
  CommandResult r = vt_.vtape("status 1 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "d['drives'][0]['volser']"), "VT0002");
  // The loaded cartridge can be written through the drive.
  r = run_command("echo hello | dd of=" + shell_quote(vt_.drive(1)) + " bs=512 conv=sync 2>&1");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

TEST_F(ChangerTest, TransferMovesACartridgesHomeAndSlotsStayAsCartridgesAreAdded) {
  EXPECT_EQ(changer("transfer 2 4"), "");
  EXPECT_EQ(changer("list"), "3:VT0002\n4:VT0001\n");
  // A new cartridge, whatever its volser, takes the lowest free slot; the
  // others keep theirs.
  CommandResult r = vt_.vtape("new AAA001");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(changer("list"), "2:AAA001\n3:VT0002\n4:VT0001\n");
  EXPECT_EQ(changer("slots"), "6\n");
  EXPECT_EQ(read_text(vt_.library() + "/changer.slots"), "1 SCR001\n2 AAA001\n3 VT0002\n4 VT0001\n");
}

TEST_F(ChangerTest, RefusesEmptyAndFullSlotsAndUnknownDrives) {
  EXPECT_NE(changer_error("load 1 " + dev() + " 1").find("slot 1 is empty"), std::string::npos);
  EXPECT_NE(changer_error("load 4 " + dev() + " 1").find("slot 4 is empty"), std::string::npos);
  EXPECT_NE(changer_error("load 2 " + dev() + " 0").find("drive 0 is full: SCR001 from slot 1"), std::string::npos);
  EXPECT_NE(changer_error("load 9 " + dev() + " 1").find("no slot 9 (slots 1 to 4, import/export slot 5)"),
            std::string::npos);
  EXPECT_NE(changer_error("load 2 " + dev() + " 2").find("no drive 2 (drives 0 to 1)"), std::string::npos);
  EXPECT_NE(changer_error("loaded 0 " + dev() + " 7").find("no drive 7"), std::string::npos);
  EXPECT_NE(changer_error("unload 2 " + dev() + " 0").find("slot 2 is full; SCR001 in drive 0 goes back to its slot 1"),
            std::string::npos);
  EXPECT_NE(changer_error("unload 2 " + dev() + " 1").find("drive 1 is empty"), std::string::npos);
  EXPECT_NE(changer_error("transfer 1 4").find("slot 1 is empty"), std::string::npos);
  EXPECT_NE(changer_error("transfer 2 3").find("slot 3 is full"), std::string::npos);
  // Nothing moved.
  EXPECT_EQ(changer("listall"), "D:0:F:1:SCR001\nD:1:E\nS:1:E\nS:2:F:VT0001\nS:3:F:VT0002\nS:4:E\nI:5:E\n");
  // Usage errors exit 2.
  CommandResult r = vt_.vtape("changer eject 1");
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_NE(r.err.find("unknown changer command 'eject'"), std::string::npos) << r.err;
  r = vt_.vtape("changer load");
  EXPECT_EQ(r.exit_code, 2) << describe(r);
}

// vtape-mtx, the changer with mtx's command line and output (what Amanda's
// chg-robot parses): -f names the mount or the library.
TEST_F(ChangerTest, MtxPrintsStatusAndMovesCartridgesAsMtxDoes) {
  std::string mtx = shell_quote(VTAPE_MTX_BINARY) + " -f " + shell_quote(vt_.mount_point()) + " ";
  CommandResult r = run_command(mtx + "status");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "  Storage Changer " + vt_.mount_point() + ":2 Drives, 5 Slots ( 1 Import/Export )\n"
                   "Data Transfer Element 0:Full (Storage Element 1 Loaded):VolumeTag = SCR001\n"
                   "Data Transfer Element 1:Empty\n"
                   "      Storage Element 1:Empty\n"
                   "      Storage Element 2:Full :VolumeTag=VT0001\n"
                   "      Storage Element 3:Full :VolumeTag=VT0002\n"
                   "      Storage Element 4:Empty\n"
                   "      Storage Element 5 IMPORT/EXPORT:Empty\n");
  // Several commands in one call, in order, each seeing the one before;
  // unload with no slot takes the cartridge home.
  r = run_command(mtx + "unload load 3 1 nobarcode status");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "Unloading drive 0 into Storage Element 1...done\n"
                   "Loading media from Storage Element 3 into drive 1...done\n"
                   "  Storage Changer " + vt_.mount_point() + ":2 Drives, 5 Slots ( 1 Import/Export )\n"
                   "Data Transfer Element 0:Empty\n"
                   "Data Transfer Element 1:Full (Storage Element 3 Loaded)\n"
                   "      Storage Element 1:Full \n"
                   "      Storage Element 2:Full \n"
                   "      Storage Element 3:Empty\n"
                   "      Storage Element 4:Empty\n"
                   "      Storage Element 5 IMPORT/EXPORT:Empty\n");
  // The daemon has the cartridge in its drive.
  r = vt_.vtape("status 1 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "d['drives'][0]['volser']"), "VT0002");
  // The library's directory names the same changer; transfer moves a home.
  std::string by_library = shell_quote(VTAPE_MTX_BINARY) + " -f " + shell_quote(vt_.library()) + " ";
  r = run_command(by_library + "transfer 2 4 unload 3 1");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(changer("list"), "1:SCR001\n3:VT0002\n4:VT0001\n");
  r = run_command(by_library + "inquiry");
  EXPECT_EQ(r.out, "Product Type: Medium Changer\nVendor ID: 'VTAPEFS '\nProduct ID: 'VIRTUAL LIBRARY '\n"
                   "Revision: '0.1 '\nAttached Changer API: No\n");
}

TEST_F(ChangerTest, MtxFailsAsMtxDoesWithTheReasonOnStderr) {
  std::string mtx = shell_quote(VTAPE_MTX_BINARY) + " -f " + shell_quote(vt_.mount_point()) + " ";
  auto fails = [&](const std::string& args, int code) {
    CommandResult r = run_command(mtx + args);
    EXPECT_EQ(r.exit_code, code) << args << ": " << describe(r);
    return r.err;
  };
  EXPECT_NE(fails("load 2 0", 1).find("drive 0 is full: SCR001 from slot 1"), std::string::npos);
  EXPECT_NE(fails("load 4 1", 1).find("slot 4 is empty"), std::string::npos);
  EXPECT_NE(fails("load 2 5", 1).find("no drive 5 (drives 0 to 1)"), std::string::npos);
  EXPECT_NE(fails("unload 1 1", 1).find("drive 1 is empty"), std::string::npos);
  EXPECT_NE(fails("unload 4 0", 1).find("slot 4 is not its slot; SCR001 in drive 0 goes back to its slot 1"),
            std::string::npos);
  EXPECT_NE(fails("transfer 2 3", 1).find("slot 3 is full"), std::string::npos);
  // A failing command stops the ones after it; those before it stay done.
  CommandResult r = run_command(mtx + "load 2 1 load 3 1 unload");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.out, "Loading media from Storage Element 2 into drive 1...done\n");
  EXPECT_NE(r.err.find("drive 1 is full: VT0001 from slot 2"), std::string::npos) << r.err;
  EXPECT_EQ(changer("listall"), "D:0:F:1:SCR001\nD:1:F:2:VT0001\nS:1:E\nS:2:E\nS:3:F:VT0002\nS:4:E\nI:5:E\n");
  // Usage errors exit 2, before anything moves.
  EXPECT_NE(fails("eject", 2).find("unknown mtx command 'eject'"), std::string::npos);
  EXPECT_NE(fails("transfer 3", 2).find("transfer needs a SLOT and a destination SLOT"), std::string::npos);
  EXPECT_NE(fails("unload 1 load", 2).find("load needs a SLOT"), std::string::npos);
  // Not a library, not a mount.
  TempDir empty;
  r = run_command(shell_quote(VTAPE_MTX_BINARY) + " -f " + shell_quote(empty.file("none")) + " status");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find(empty.file("none")), std::string::npos) << r.err;
}

// The import/export slot (5): a cartridge transferred into it leaves the
// storage slots that `list` shows (the backup software's), mtx shows it as
// mtx shows a mail slot, and a transfer takes it back in.
TEST_F(ChangerTest, TransfersIntoAndOutOfTheImportExportSlot) {
  EXPECT_EQ(changer("transfer 2 5"), "");
  EXPECT_EQ(changer("list"), "3:VT0002\n");
  EXPECT_EQ(changer("listall"), "D:0:F:1:SCR001\nD:1:E\nS:1:E\nS:2:E\nS:3:F:VT0002\nS:4:E\nI:5:F:VT0001\n");
  EXPECT_EQ(changer("slots"), "5\n");
  EXPECT_EQ(json_query(changer("--json listall"), "[(x['slot'], x.get('barcode')) for x in d['slots'] "
                                                  "if x.get('import_export')]"),
            "[(5, 'VT0001')]");
  EXPECT_EQ(read_text(vt_.library() + "/changer.slots"), "1 SCR001\n3 VT0002\nie VT0001\n");
  std::string mtx = shell_quote(VTAPE_MTX_BINARY) + " -f " + shell_quote(vt_.mount_point()) + " status";
  CommandResult r = run_command(mtx);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "  Storage Changer " + vt_.mount_point() + ":2 Drives, 5 Slots ( 1 Import/Export )\n"
                   "Data Transfer Element 0:Full (Storage Element 1 Loaded):VolumeTag = SCR001\n"
                   "Data Transfer Element 1:Empty\n"
                   "      Storage Element 1:Empty\n"
                   "      Storage Element 2:Empty\n"
                   "      Storage Element 3:Full :VolumeTag=VT0002\n"
                   "      Storage Element 4:Empty\n"
                   "      Storage Element 5 IMPORT/EXPORT:Full :VolumeTag=VT0001\n");
  // Bacula's mtx-changer turns mtx's import/export line into its I: line
  // with this perl (from its listall).
  r = run_command(mtx + " | perl -ne '/Storage Element (\\d+) IMPORT.EXPORT:Full( :VolumeTag=(.+))?/ && "
                        "print \"I:$1:F:$3\\n\";'");
  EXPECT_EQ(r.out, "I:5:F:VT0001\n") << describe(r);
  // Full and empty, as a storage slot is.
  EXPECT_NE(changer_error("transfer 3 5").find("slot 5 is full"), std::string::npos);
  EXPECT_EQ(changer("transfer 5 4"), "");
  EXPECT_EQ(changer("list"), "3:VT0002\n4:VT0001\n");
  EXPECT_NE(changer_error("transfer 5 2").find("slot 5 is empty"), std::string::npos);
  EXPECT_EQ(changer("listall"), "D:0:F:1:SCR001\nD:1:E\nS:1:E\nS:2:E\nS:3:F:VT0002\nS:4:F:VT0001\nI:5:E\n");
  EXPECT_EQ(read_text(vt_.library() + "/changer.slots"), "1 SCR001\n3 VT0002\n4 VT0001\n");
}

// Loading from the import/export slot and unloading into it work as with a
// storage slot (mtx allows both); a drive puts its cartridge out there.
TEST_F(ChangerTest, LoadsFromAndUnloadsIntoTheImportExportSlot) {
  std::string mtx = shell_quote(VTAPE_MTX_BINARY) + " -f " + shell_quote(vt_.mount_point()) + " ";
  CommandResult r = run_command(mtx + "transfer 2 5 load 5 1 nobarcode status");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "Loading media from Storage Element 5 into drive 1...done\n"
                   "  Storage Changer " + vt_.mount_point() + ":2 Drives, 5 Slots ( 1 Import/Export )\n"
                   "Data Transfer Element 0:Full (Storage Element 1 Loaded)\n"
                   "Data Transfer Element 1:Full (Storage Element 5 Loaded)\n"
                   "      Storage Element 1:Empty\n"
                   "      Storage Element 2:Empty\n"
                   "      Storage Element 3:Full \n"
                   "      Storage Element 4:Empty\n"
                   "      Storage Element 5 IMPORT/EXPORT:Empty\n");
  r = vt_.vtape("status 1 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "d['drives'][0]['volser']"), "VT0001");
  EXPECT_EQ(changer("loaded 0 " + dev() + " 1"), "5\n");
  // The import/export slot waits for its cartridge: another cannot go there.
  EXPECT_NE(changer_error("unload 5 " + dev() + " 0").find("slot 5 is not its slot"), std::string::npos);
  EXPECT_EQ(changer("unload 5 " + dev() + " 1"), "");
  EXPECT_EQ(changer("listall"), "D:0:F:1:SCR001\nD:1:E\nS:1:E\nS:2:E\nS:3:F:VT0002\nS:4:E\nI:5:F:VT0001\n");
  EXPECT_NE(changer_error("unload 5 " + dev() + " 0").find("slot 5 is full"), std::string::npos);
  // Emptied, it takes the cartridge of drive 0, whose home it becomes.
  EXPECT_EQ(changer("transfer 5 2"), "");
  r = run_command(mtx + "unload 5 0");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "Unloading drive 0 into Storage Element 5...done\n");
  EXPECT_EQ(changer("listall"), "D:0:E\nD:1:E\nS:1:E\nS:2:F:VT0001\nS:3:F:VT0002\nS:4:E\nI:5:F:SCR001\n");
  EXPECT_EQ(changer("list"), "2:VT0001\n3:VT0002\n");
  r = vt_.vtape("status 0 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "d['drives'][0].get('volser')"), "None");
  EXPECT_EQ(changer("load 5 " + dev() + " 0"), "");
  EXPECT_EQ(changer("loaded 0 " + dev() + " 0"), "5\n");
}

// vtape new --import-slot: a new cartridge waits in the import/export slot,
// out of `list`, until the backup software transfers it in; a second one
// is refused before it is made.
TEST_F(ChangerTest, NewCartridgeGoesIntoTheImportExportSlot) {
  CommandResult r = vt_.vtape("new VT0003 --import-slot");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find(", in the changer's import/export slot 6\n"), std::string::npos) << r.out;
  EXPECT_EQ(changer("list"), "2:VT0001\n3:VT0002\n");
  EXPECT_EQ(changer("listall"),
            "D:0:F:1:SCR001\nD:1:E\nS:1:E\nS:2:F:VT0001\nS:3:F:VT0002\nS:4:E\nS:5:E\nI:6:F:VT0003\n");
  r = vt_.vtape("new VT0004 --import-slot --json");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("the import/export slot 6 holds VT0003"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(vt_.library() + "/cartridges/VT0004.tap"));
  EXPECT_EQ(changer("transfer 6 4"), "");
  EXPECT_EQ(changer("list"), "2:VT0001\n3:VT0002\n4:VT0003\n");
  r = vt_.vtape("new VT0004 --import-slot --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  // One cartridge more, one slot more: the import/export slot is 7 now.
  EXPECT_EQ(json_query(r.out, "(d['volser'], d['import_export_slot'])"), "('VT0004', 7)");
  EXPECT_EQ(changer("listall"), "D:0:F:1:SCR001\nD:1:E\nS:1:E\nS:2:F:VT0001\nS:3:F:VT0002\nS:4:F:VT0003\n"
                                "S:5:E\nS:6:E\nI:7:F:VT0004\n");
}

// A changer.slots written before the import/export slot existed ("SLOT
// VOLSER" lines only) keeps its slots, with an empty import/export slot.
TEST_F(ChangerTest, ReadsASlotFileWithoutTheImportExportLine) {
  write_text(vt_.library() + "/changer.slots", "1 SCR001\n2 VT0002\n3 VT0001\n");
  EXPECT_EQ(changer("listall"), "D:0:F:1:SCR001\nD:1:E\nS:1:E\nS:2:F:VT0002\nS:3:F:VT0001\nS:4:E\nI:5:E\n");
  EXPECT_EQ(read_text(vt_.library() + "/changer.slots"), "1 SCR001\n2 VT0002\n3 VT0001\n");
}

TEST(ChangerNoDaemon, SaysNoVtapefsRuns) {
  TempDir dir;
  CommandResult r = run_vtape("new VT0001 --library " + shell_quote(dir.file("lib")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_vtape("changer list --library " + shell_quote(dir.file("lib")));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("no vtapefs is running on this library"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vtape::testing
