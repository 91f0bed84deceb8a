// vtape migrate on a real mount (issue 19): tar writes to a drive, paced
// and as fast as it can, while the cartridge moves to new storage; the
// archive then extracts and compares, tar saw no error, and the report
// shows the passes and the writer's longest pause.  SIMH to HET gives an
// image hetmap reads; a target that fills leaves the original in use.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include "tests/test_support.h"
#include "tests/test_support/control_client_helpers.h"

namespace vtape::testing {
namespace {

// A tree of `files` files of incompressible bytes, `size` each.
void make_tree(const std::string& dir, int files, size_t size) {
  std::filesystem::create_directories(dir);
  for (int i = 0; i < files; ++i) {
    write_file_bytes(dir + "/f" + std::to_string(i), pattern_bytes(size, 100 + static_cast<uint32_t>(i)));
  }
}

// A pipe stage that passes 32 KiB every 4 ms (about 8 MiB/s): a writer
// slow enough to be mid-write when a migration or snapshot looks.
std::string paced_pipe() {
  return "python3 -c 'import sys,time\n"
         "i=sys.stdin.buffer; o=sys.stdout.buffer\n"
         "while True:\n"
         "  b=i.read(32768)\n"
         "  if not b: break\n"
         "  o.write(b); o.flush(); time.sleep(0.004)'";
}

std::string image_of(const MountedVtapefs& vt, const std::string& volser) {
  CommandResult r = vt.vtape("df --json");
  return json_query(r.out, "[c for c in d['cartridges'] if c['volser']=='" + volser + "'][0]['format']");
}

// A mounted library whose drive 0 the test fills; what it wrote stays in
// dir_/data to compare the tape with.
class MountedTapeTest : public ::testing::Test {
 protected:
  // `size` random bytes (a head -c size: 4M, 256M) written from BOT to
  // drive 0 in 256 KiB records: incompressible, so a copy of them takes
  // the time its rate says.
  void write_random_tape(const std::string& size) {
    ASSERT_TRUE(vt_.ok()) << vt_.error();
    CommandResult data = run_command("head -c " + size + " /dev/urandom > " + shell_quote(dir_.file("data")));
    ASSERT_EQ(data.exit_code, 0) << describe(data);
    CommandResult dd = run_command("dd if=" + shell_quote(dir_.file("data")) + " of=" + vt_.drive(0, true) +
                                   " bs=256k status=none");
    ASSERT_EQ(dd.exit_code, 0) << describe(dd);
  }
  // What drive 0 reads from BOT is what write_random_tape wrote.
  void expect_tape_is_data() {
    CommandResult cmp = run_command("dd if=" + vt_.drive(0, true) + " bs=256k status=none | cmp - " +
                                    shell_quote(dir_.file("data")));
    EXPECT_EQ(cmp.exit_code, 0) << describe(cmp);
  }

  TempDir dir_;
  MountedVtapefs vt_;
};

class MigrateMountTest : public MountedTapeTest {
 protected:
  // tar (through `pipe`, a command between tar and the drive) writes the
  // tree to drive 0 while vtape migrate moves SCR001 into `target`.
  void migrate_while_tar_writes(const std::string& pipe, const std::string& format, int mib) {
    ASSERT_TRUE(vt_.ok()) << vt_.error();
    make_tree(dir_.file("src"), mib, 1 << 20);
    std::string tar = "tar -cf - -C " + shell_quote(dir_.file("src")) + " . | " + pipe + " > " + vt_.drive(0);
    Background writer(tar);
    // Migrating once the tape holds a few MiB, while tar goes on.
    std::string image = vt_.library() + "/cartridges/SCR001.tap";
    for (int i = 0; i < 6000 && !writer.done(); ++i) {
      std::error_code ec;
      if (std::filesystem::file_size(image, ec) > (4u << 20)) break;
      pause_ms(10);
    }
    CommandResult m = vt_.vtape("migrate SCR001 --json --to " + shell_quote(dir_.file("new")) +
                                (format.empty() ? "" : " --format " + format));
    const CommandResult& w = writer.join();
    ASSERT_EQ(w.exit_code, 0) << "the writer saw an error: " << describe(w);
    ASSERT_EQ(m.exit_code, 0) << describe(m);
    EXPECT_EQ(json_query(m.out, "d['result']"), "done") << m.out;
    EXPECT_GE(std::stoi(json_query(m.out, "d['passes']")), 1) << m.out;
    EXPECT_GT(std::stod(json_query(m.out, "d['longest_hold_ms']")), 0.0) << m.out;
    EXPECT_GT(std::stoull(json_query(m.out, "d['records_copied']")), 0u) << m.out;
    // The archive, read back from the drive (now on the new image), is the tree.
    std::filesystem::create_directories(dir_.file("out"));
    CommandResult rew = run_command("mt -f " + vt_.drive(0) + " rewind");
    ASSERT_EQ(rew.exit_code, 0) << describe(rew);
    CommandResult x = run_command("dd if=" + vt_.drive(0) + " bs=1M status=none | tar -xf - -C " +
                                  shell_quote(dir_.file("out")));
    ASSERT_EQ(x.exit_code, 0) << describe(x);
    CommandResult diff = run_command("diff -r " + shell_quote(dir_.file("src")) + " " + shell_quote(dir_.file("out")));
    EXPECT_EQ(diff.exit_code, 0) << describe(diff);
    std::string volser_image = json_query(vt_.vtape("status --json").out, "d['drives'][0]['volser']");
    EXPECT_EQ(volser_image, "SCR001");
  }
};

TEST_F(MigrateMountTest, TarAsFastAsItCanWhileMigrating) { migrate_while_tar_writes("cat", "", 64); }

TEST_F(MigrateMountTest, TarPacedWhileMigratingToHet) {
  // 32 KiB (records hetmap can read) every 4 ms: about 8 MiB/s, for the whole migration.
  std::string paced = paced_pipe();
  migrate_while_tar_writes(paced, "het", 32);
  EXPECT_TRUE(std::filesystem::exists(dir_.file("new") + "/SCR001.het"));
  EXPECT_EQ(image_of(vt_, "SCR001"), "het");
  if (have_program("hetmap")) {
    CommandResult map = run_command("hetmap " + shell_quote(dir_.file("new") + "/SCR001.het"));
    EXPECT_EQ(map.exit_code, 0) << describe(map);
    EXPECT_NE(map.out.find("Files"), std::string::npos) << map.out;
    EXPECT_EQ(map.out.find("returned"), std::string::npos) << map.out;
  }
}

TEST_F(MigrateMountTest, TargetThatFillsLeavesTheOriginalInUse) {
  ASSERT_TRUE(vt_.ok()) << vt_.error();
  SmallTmpfs small(dir_.file("small"), "1m");
  if (!small.mounted()) GTEST_SKIP() << small.error();
  ASSERT_NO_FATAL_FAILURE(write_random_tape("4M"));
  CommandResult m = vt_.vtape("migrate SCR001 --to " + shell_quote(dir_.file("small")));
  EXPECT_EQ(m.exit_code, 1) << describe(m);
  EXPECT_NE(m.err.find("No space left"), std::string::npos) << describe(m);
  EXPECT_NE(m.err.find("stays on"), std::string::npos) << describe(m);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("small") + "/SCR001.tap"));
  CommandResult more = run_command("dd if=/dev/zero of=" + vt_.drive(0) + " bs=64k count=4 status=none");
  EXPECT_EQ(more.exit_code, 0) << describe(more);
  EXPECT_TRUE(std::filesystem::exists(vt_.library() + "/cartridges/SCR001.tap"));
}

// A live migration to another format frames the records differently: the
// catalog's offsets of the tape files move with the switch, so saved/
// reads the new image right away (no remount, no reindex).
TEST_F(MigrateMountTest, SavedReadsTheNewImageRightAfterALiveFormatChange) {
  ASSERT_TRUE(vt_.ok()) << vt_.error();
  make_tree(dir_.file("a"), 3, 100'000);
  make_tree(dir_.file("b"), 2, 300'000);
  for (const char* tree : {"a", "b"}) {
    CommandResult tar = run_command("tar -cf " + vt_.drive(0) + " -C " + shell_quote(dir_.file(tree)) + " .");
    ASSERT_EQ(tar.exit_code, 0) << describe(tar);
    CommandResult own = run_command("tar -cf " + shell_quote(dir_.file(std::string(tree) + ".tar")) + " -C " +
                                    shell_quote(dir_.file(tree)) + " .");
    ASSERT_EQ(own.exit_code, 0) << describe(own);
  }
  std::string vol = vt_.mount_point() + "/saved/SCR001";
  for (int i = 0; i < 6000 && !std::filesystem::exists(vol + "/0001/members"); ++i) pause_ms(10);
  ASSERT_TRUE(std::filesystem::exists(vol + "/0001/members")) << vt_.log();
  for (const char* format : {"het", "aws"}) {
    CommandResult m = vt_.vtape("migrate SCR001 --json --to " + shell_quote(dir_.file(std::string("new-") + format)) +
                                " --format " + format);
    ASSERT_EQ(m.exit_code, 0) << describe(m);
    EXPECT_EQ(json_query(m.out, "d['result']"), "done") << m.out;
    EXPECT_EQ(image_of(vt_, "SCR001"), format);
    EXPECT_EQ(read_file_bytes(vol + "/0001/members/f1"), pattern_bytes(300'000, 101)) << format;
    EXPECT_EQ(read_file_bytes(vol + "/0000/members/f2"), pattern_bytes(100'000, 102)) << format;
    CommandResult cmp = run_command("cmp " + shell_quote(vol + "/0001/data") + " " + shell_quote(dir_.file("b.tar")));
    EXPECT_EQ(cmp.exit_code, 0) << format << ": " << describe(cmp);
  }
}

// An unloaded cartridge moves to another directory in the same format:
// its catalog rows stay as they were and no drive switches images, yet
// saved/, which has read the tape file before, reads it from the new image
// (the old one is gone).
TEST_F(MigrateMountTest, SavedReadsTheMovedImageOfAnUnloadedCartridge) {
  ASSERT_TRUE(vt_.ok()) << vt_.error();
  make_tree(dir_.file("a"), 2, 200'000);
  CommandResult tar = run_command("tar -cf " + vt_.drive(0) + " -C " + shell_quote(dir_.file("a")) + " .");
  ASSERT_EQ(tar.exit_code, 0) << describe(tar);
  std::string vol = vt_.mount_point() + "/saved/SCR001";
  for (int i = 0; i < 6000 && !std::filesystem::exists(vol + "/0000/members"); ++i) pause_ms(10);
  ASSERT_TRUE(std::filesystem::exists(vol + "/0000/members")) << vt_.log();
  EXPECT_EQ(read_file_bytes(vol + "/0000/members/f1"), pattern_bytes(200'000, 101));
  ASSERT_EQ(vt_.vtape("unload 0").exit_code, 0);
  CommandResult m = vt_.vtape("migrate SCR001 --json --to " + shell_quote(dir_.file("moved")));
  ASSERT_EQ(m.exit_code, 0) << describe(m);
  EXPECT_EQ(json_query(m.out, "d['result']"), "done") << m.out;
  ASSERT_FALSE(std::filesystem::exists(vt_.library() + "/cartridges/SCR001.tap"));
  // Neither read before (the kernel has none of their pages): the daemon
  // opens the image for them.
  EXPECT_EQ(read_file_bytes(vol + "/0000/members/f0"), pattern_bytes(200'000, 100));
  CommandResult own = run_command("tar -cf " + shell_quote(dir_.file("a.tar")) + " -C " + shell_quote(dir_.file("a")) +
                                  " .");
  ASSERT_EQ(own.exit_code, 0) << describe(own);
  CommandResult cmp = run_command("cmp " + shell_quote(vol + "/0000/data") + " " + shell_quote(dir_.file("a.tar")));
  EXPECT_EQ(cmp.exit_code, 0) << describe(cmp) << vt_.log();
}

// A tape file that tar is writing when a migration to another format
// switches the drive began in the old image: the catalog records where it
// begins in the new one, so saved/ reads its members and the catalog
// agrees with the image (vtape index check).
TEST_F(MigrateMountTest, ATapeFileWrittenAcrossAFormatChangeReadsBackFromSaved) {
  ASSERT_TRUE(vt_.ok()) << vt_.error();
  // Tape file 0, so that tape file 1 begins past BOT (where every format
  // puts a different offset).
  make_tree(dir_.file("a"), 2, 100'000);
  CommandResult first = run_command("tar -cf " + vt_.drive(0) + " -C " + shell_quote(dir_.file("a")) + " .");
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  make_tree(dir_.file("src"), 96, 1 << 20);
  // 32 KiB every 4 ms (about 8 MiB/s, 12 s for the tree): tar is still in
  // tape file 1 when the migration has ended, switch, check and catalog
  // (4 s were too few under ThreadSanitizer beside another test).
  std::string paced = paced_pipe();
  std::string image = vt_.library() + "/cartridges/SCR001.tap";
  uint64_t file_1_begins = std::filesystem::file_size(image);
  Background writer("tar -cf - -C " + shell_quote(dir_.file("src")) + " . | " + paced + " > " + vt_.drive(0));
  for (int i = 0; i < 6000 && !writer.done(); ++i) {
    std::error_code ec;
    if (std::filesystem::file_size(image, ec) > file_1_begins + (2u << 20)) break;
    pause_ms(10);
  }
  CommandResult m = vt_.vtape("migrate SCR001 --json --format het --to " + shell_quote(dir_.file("new")));
  bool switched_mid_file = !writer.done();
  const CommandResult& w = writer.join();
  ASSERT_EQ(w.exit_code, 0) << "the writer saw an error: " << describe(w);
  ASSERT_EQ(m.exit_code, 0) << describe(m);
  EXPECT_EQ(json_query(m.out, "d['result']"), "done") << m.out;
  ASSERT_TRUE(switched_mid_file) << "tar ended before the migration did: nothing was written across the switch";
  EXPECT_EQ(image_of(vt_, "SCR001"), "het");
  std::string vol = vt_.mount_point() + "/saved/SCR001";
  for (int i = 0; i < 6000 && !std::filesystem::exists(vol + "/0001/members/f31"); ++i) pause_ms(10);
  for (int i : {0, 7, 31}) {
    EXPECT_TRUE(read_file_bytes(vol + "/0001/members/f" + std::to_string(i)) ==
                pattern_bytes(1 << 20, 100 + static_cast<uint32_t>(i)))
        << "member f" << i << " of tape file 1";
  }
  EXPECT_EQ(read_file_bytes(vol + "/0000/members/f1"), pattern_bytes(100'000, 101));
  CommandResult check = vt_.vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check);
  CommandResult verify = vt_.vtape("verify " + shell_quote(dir_.file("new") + "/SCR001.het"));
  EXPECT_EQ(verify.exit_code, 0) << describe(verify);
}

TEST_F(MigrateMountTest, RefusesBadInput) {
  ASSERT_TRUE(vt_.ok()) << vt_.error();
  CommandResult none = vt_.vtape("migrate NONE01 --to " + shell_quote(dir_.file("new")));
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no cartridge NONE01"), std::string::npos) << describe(none);
  CommandResult to_file = vt_.vtape("migrate SCR001 --to /etc/hostname");
  EXPECT_EQ(to_file.exit_code, 1);
  EXPECT_NE(to_file.err.find("not a directory"), std::string::npos) << describe(to_file);
  CommandResult no_to = vt_.vtape("migrate SCR001");
  EXPECT_EQ(no_to.exit_code, 2) << describe(no_to);
}

}  // namespace
}  // namespace vtape::testing

namespace vtape::testing {
namespace {

// The daemon killed (SIGKILL) mid-migration: it comes back with the
// original in use and the partial copy kept with its state file, which
// --resume continues and --abort removes.
class MigrateCrashTest : public MountedTapeTest {
 protected:
  // Writes 256 MiB to drive 0, starts vtape migrate and kills the daemon
  // once the copy has begun; false (a failure) when the tape could not be
  // written or the migration ended first.
  bool crash_mid_migration() {
    write_random_tape("256M");
    if (::testing::Test::HasFatalFailure()) return false;
    return kill_mid_migration("");
  }
  // Starts vtape migrate of what SCR001 holds (`options` added) and kills
  // the daemon once the copy has begun; false (a failure) when the
  // migration ended first.
  bool kill_mid_migration(const std::string& options) {
    // At 32 MiB a second the copy takes seconds, and its first checkpoint
    // (after 64 MiB, once a second has passed) comes after two: the kill
    // lands in it.
    Background migrate("VTAPE_LIBRARY=" + shell_quote(vt_.library()) + " " + VTAPE_BINARY +
                       " migrate SCR001 --max-rate 32M --to " + shell_quote(dir_.file("new")) + " " + options);
    // Killed once the state file names a checkpoint past BOT.
    for (int i = 0; i < 10000 && !migrate.done(); ++i) {
      std::string state = std::filesystem::exists(state_file()) ? read_text(state_file()) : "";
      if (!state.empty() && state.find("\nsource 0 0 0 0\n") == std::string::npos) break;
      ::usleep(200);
    }
    if (migrate.done()) {
      std::cerr << "ended: " << describe(migrate.join()) << "\n";
      return false;
    }
    vt_.crash();
    migrate.join();
    if (!std::filesystem::exists(state_file())) return false;
    EXPECT_TRUE(vt_.remount()) << vt_.error();
    return true;
  }
  std::string state_file() const { return vt_.library() + "/cartridges/SCR001.migration"; }
};

TEST_F(MigrateCrashTest, ResumeAfterTheDaemonWasKilled) {
  ASSERT_TRUE(crash_mid_migration()) << "the migration ended before the daemon could be killed";
  // The original is in use: the library's record names no other image.
  EXPECT_EQ(read_text(vt_.library() + "/cartridges/SCR001.cartridge").find("image"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_.file("new") + "/SCR001.tap"));
  CommandResult again = vt_.vtape("migrate SCR001 --to " + shell_quote(dir_.file("new")));
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("--resume SCR001"), std::string::npos) << describe(again);
  CommandResult m = vt_.vtape("migrate --resume SCR001 --json");
  ASSERT_EQ(m.exit_code, 0) << describe(m);
  EXPECT_EQ(json_query(m.out, "d['result']"), "done") << m.out;
  EXPECT_FALSE(std::filesystem::exists(state_file()));
  EXPECT_FALSE(std::filesystem::exists(vt_.library() + "/cartridges/SCR001.tap"));
  expect_tape_is_data();
}

// A migration to another format killed past several tape files and
// resumed with the cartridge in a drive: the tape files the copy held
// before the resume move to the new image's offsets too, so saved/ reads
// every member and the catalog agrees with the image.
TEST_F(MigrateCrashTest, ResumeToAnotherFormatInADriveKeepsEveryTapeFileReadable) {
  ASSERT_TRUE(vt_.ok()) << vt_.error();
  // Five tape files of 24 MiB: the first checkpoint (64 MiB) is past the
  // starts of tape files 1 and 2.
  constexpr int kTapeFiles = 5, kMembers = 3;
  constexpr size_t kMemberSize = 8u << 20;
  auto seed = [](int file, int member) { return static_cast<uint32_t>(1000 + file * 10 + member); };
  for (int f = 0; f < kTapeFiles; ++f) {
    std::string tree = dir_.file("t" + std::to_string(f));
    std::filesystem::create_directories(tree);
    for (int j = 0; j < kMembers; ++j) {
      write_file_bytes(tree + "/m" + std::to_string(j), pattern_bytes(kMemberSize, seed(f, j)));
    }
    CommandResult tar = run_command("tar -cf " + vt_.drive(0) + " -C " + shell_quote(tree) + " .");
    ASSERT_EQ(tar.exit_code, 0) << describe(tar);
    std::filesystem::remove_all(tree);
  }
  ASSERT_TRUE(kill_mid_migration("--format het")) << "the migration ended before the daemon could be killed";
  EXPECT_EQ(read_text(state_file()).find("\nsource 0 "), std::string::npos) << "resumed in tape file 0";
  // The cartridge is in drive 0 again: the resume switches the drive.
  ASSERT_EQ(json_query(vt_.vtape("status --json").out, "d['drives'][0]['volser']"), "SCR001");
  CommandResult m = vt_.vtape("migrate --resume SCR001 --json");
  ASSERT_EQ(m.exit_code, 0) << describe(m);
  EXPECT_EQ(json_query(m.out, "d['result']"), "done") << m.out;
  EXPECT_EQ(json_query(m.out, "d['drive']"), "0") << m.out;
  EXPECT_TRUE(std::filesystem::exists(dir_.file("new") + "/SCR001.het"));
  std::string vol = vt_.mount_point() + "/saved/SCR001";
  for (int f = 0; f < kTapeFiles; ++f) {
    for (int j = 0; j < kMembers; ++j) {
      std::string member = vol + "/000" + std::to_string(f) + "/members/m" + std::to_string(j);
      EXPECT_TRUE(read_file_bytes(member) == pattern_bytes(kMemberSize, seed(f, j))) << member;
    }
  }
  CommandResult check = vt_.vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check);
}

// A daemon killed between the switch and the removal of the state file
// leaves a state file whose target is the cartridge's image now (written
// here as that daemon would have left it): --abort and --resume then
// remove the state file only, never the image in use.
TEST_F(MigrateCrashTest, AStateFileLeftAfterTheSwitchNeverCostsTheLiveImage) {
  ASSERT_NO_FATAL_FAILURE(write_random_tape("4M"));
  CommandResult m = vt_.vtape("migrate SCR001 --format het --to " + shell_quote(dir_.file("new")));
  ASSERT_EQ(m.exit_code, 0) << describe(m);
  std::string live = dir_.file("new") + "/SCR001.het";
  ASSERT_TRUE(std::filesystem::exists(live));
  std::string left = "target " + live + "\nformat het\nkeep_old 0\nsource 0 0 0 0\ntarget_at 0 0 0 0\nrecords 0\n";
  write_text(state_file(), left);
  CommandResult abort = vt_.vtape("migrate --abort SCR001");
  EXPECT_EQ(abort.exit_code, 0) << describe(abort);
  EXPECT_FALSE(std::filesystem::exists(state_file()));
  EXPECT_TRUE(std::filesystem::exists(live)) << "--abort deleted the image in use";
  expect_tape_is_data();
  write_text(state_file(), left);
  CommandResult resume = vt_.vtape("migrate --resume SCR001");
  EXPECT_EQ(resume.exit_code, 1) << describe(resume);
  EXPECT_NE(resume.err.find("switched to " + live + " already"), std::string::npos) << describe(resume);
  EXPECT_FALSE(std::filesystem::exists(state_file()));
  EXPECT_TRUE(std::filesystem::exists(live)) << "--resume deleted the image in use";
  expect_tape_is_data();
}

TEST_F(MigrateCrashTest, AbortAfterTheDaemonWasKilled) {
  ASSERT_TRUE(crash_mid_migration()) << "the migration ended before the daemon could be killed";
  CommandResult a = vt_.vtape("migrate --abort SCR001");
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  EXPECT_FALSE(std::filesystem::exists(state_file()));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("new") + "/SCR001.tap"));
  expect_tape_is_data();
}

}  // namespace
}  // namespace vtape::testing

namespace vtape::testing {
namespace {

// vtape snapshot while tar writes: the snapshot verifies, is write-protected
// and cataloged, and holds a prefix of the tape tar went on to finish.
TEST(SnapshotMountTest, MidWriteSnapshotIsAPrefixOfTheFinalTape) {
  TempDir dir;
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  make_tree(dir.file("src"), 24, 1 << 20);
  std::string paced = paced_pipe();
  Background writer("tar -cf - -C " + shell_quote(dir.file("src")) + " . | " + paced + " > " + vt.drive(0));
  std::string image = vt.library() + "/cartridges/SCR001.tap";
  for (int i = 0; i < 6000 && !writer.done(); ++i) {
    std::error_code ec;
    if (std::filesystem::file_size(image, ec) > (4u << 20)) break;
    pause_ms(10);
  }
  CommandResult snap = vt.vtape("snapshot SCR001 --as SNAP01 --json");
  const CommandResult& w = writer.join();
  ASSERT_EQ(w.exit_code, 0) << "the writer saw an error: " << describe(w);
  ASSERT_EQ(snap.exit_code, 0) << describe(snap);
  EXPECT_GT(std::stoull(json_query(snap.out, "d['records']")), 0u) << snap.out;
  std::string snapshot = vt.library() + "/cartridges/SNAP01.tap";
  uint64_t snapshot_size = std::filesystem::file_size(snapshot);
  EXPECT_LT(snapshot_size, std::filesystem::file_size(image)) << "taken after tar ended: no mid-write snapshot";
  CommandResult verify = vt.vtape("verify " + shell_quote(snapshot));
  EXPECT_EQ(verify.exit_code, 0) << describe(verify);
  CommandResult prefix = run_command("cmp -n " + std::to_string(snapshot_size) + " " + shell_quote(snapshot) + " " +
                                     shell_quote(image));
  EXPECT_EQ(prefix.exit_code, 0) << describe(prefix);
  CommandResult df = vt.vtape("df --json");
  EXPECT_EQ(json_query(df.out, "[c for c in d['cartridges'] if c['volser']=='SNAP01'][0]['write_protected']"), "True");
  CommandResult ls = vt.vtape("ls SNAP01 --json");
  EXPECT_EQ(ls.exit_code, 0) << describe(ls);
  EXPECT_NE(ls.out.find("digest"), std::string::npos) << ls.out;
  CommandResult again = vt.vtape("snapshot SCR001 --as SNAP01");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << describe(again);
}

// A snapshot copies on its connection's own thread: other control requests
// (vtape status here) are answered while it runs, not after it.
TEST(SnapshotMountTest, StatusAnswersWhileASnapshotCopies) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  CommandResult dd = run_command("dd if=/dev/zero of=" + vt.drive(0) + " bs=256k count=1024 status=none");
  ASSERT_EQ(dd.exit_code, 0) << describe(dd);
  // At 64 MiB a second the copy of 256 MiB takes 4 s: long enough for
  // vtape status to be answered in the middle of it.
  Background snap("VTAPE_LIBRARY=" + shell_quote(vt.library()) + " " + shell_quote(VTAPE_BINARY) +
                  " snapshot SCR001 --as SNAP01 --max-rate 64M");
  // The snapshot has begun once its cartridge is there.
  std::string started = vt.library() + "/cartridges/SNAP01.cartridge";
  auto begun = std::chrono::steady_clock::now();
  for (int i = 0; i < 30000 && !snap.done() && !std::filesystem::exists(started); ++i) pause_ms(2);
  ASSERT_TRUE(std::filesystem::exists(started)) << describe(snap.join());
  CommandResult status = vt.vtape("status");
  // The snapshot is write-protected at its very end: not yet.
  std::vector<uint8_t> cartridge = read_file_bytes(started);
  EXPECT_NE(std::string(cartridge.begin(), cartridge.end()).find("protected 0"), std::string::npos)
      << "vtape status waited for the snapshot";
  EXPECT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_NE(status.out.find("SCR001"), std::string::npos) << status.out;
  const CommandResult& done = snap.join();
  EXPECT_EQ(done.exit_code, 0) << describe(done);
  // --max-rate held the copy back: 256 MiB at 64 MiB a second.
  EXPECT_GE(seconds_since(begun), 3.8);
  EXPECT_EQ(std::filesystem::file_size(vt.library() + "/cartridges/SNAP01.tap"),
            std::filesystem::file_size(vt.library() + "/cartridges/SCR001.tap"));
}

// --max-rate of vtape migrate: the daemon's copy reads no faster than the
// rate (a lower bound on the time, which no machine can undercut), and the
// migration is whole; a rate that is not one is a usage error.
TEST_F(MigrateMountTest, MaxRateHoldsTheCopyBack) {
  ASSERT_NO_FATAL_FAILURE(write_random_tape("64M"));
  for (const char* bad : {"0", "fast", "5T"}) {
    CommandResult r = vt_.vtape(std::string("migrate SCR001 --to ") + shell_quote(dir_.file("new")) + " --max-rate " + bad);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("--max-rate"), std::string::npos) << describe(r);
  }
  auto start = std::chrono::steady_clock::now();
  CommandResult m = vt_.vtape("migrate SCR001 --json --max-rate 32M --to " + shell_quote(dir_.file("new")));
  double took = seconds_since(start);
  ASSERT_EQ(m.exit_code, 0) << describe(m);
  EXPECT_EQ(json_query(m.out, "d['result']"), "done") << m.out;
  // 64 MiB at 32 MiB a second; the first record is read before the clock starts.
  EXPECT_GE(took, 1.9) << m.out;
  EXPECT_GE(std::stod(json_query(m.out, "d['elapsed_s']")), 1.9) << m.out;
  CommandResult verify = vt_.vtape("verify " + shell_quote(dir_.file("new") + "/SCR001.tap"));
  EXPECT_EQ(verify.exit_code, 0) << describe(verify);
}

// migrate-status VOLSER wait=MS (what vtape migrate asks instead of polling):
// the answer comes when the migration ends, or after MS while it copies,
// and the wait holds up no other control request; a wait that is not one
// (not a number, over 1000 ms) is a usage error.
TEST_F(MigrateMountTest, StatusWaitAnswersAtTheEndOrAfterItsTimeAndHoldsUpNobody) {
  ASSERT_TRUE(vt_.ok()) << vt_.error();
  CommandResult dd = run_command("dd if=/dev/urandom of=" + vt_.drive(0) + " bs=256k count=256 status=none");
  ASSERT_EQ(dd.exit_code, 0) << describe(dd);
  for (const char* bad : {"wait=abc", "wait=5000", "wait="}) {
    std::string answer = send_raw(vt_, std::string("migrate-status SCR001 ") + bad + "\n");
    EXPECT_NE(answer.find("usage: migrate-status VOLSER [wait=MILLISECONDS]"), std::string::npos) << answer;
  }
  // 64 MiB at 16 MiB a second: about 4 s of copying.
  Background migrate("VTAPE_LIBRARY=" + shell_quote(vt_.library()) + " " + shell_quote(VTAPE_BINARY) +
                     " migrate SCR001 --json --max-rate 16M --to " + shell_quote(dir_.file("new")));
  std::string running;
  for (int i = 0; i < 12000 && !migrate.done(); ++i) {
    running = send_raw(vt_, "migrate-status SCR001\n");
    if (running.find("phase copying") != std::string::npos) break;
    pause_ms(5);
  }
  ASSERT_NE(running.find("phase copying"), std::string::npos) << running << describe(migrate.join());
  std::string waited;
  double wait_took = 0;
  std::chrono::steady_clock::time_point wait_ended;
  std::thread waiter([&] {
    auto start = std::chrono::steady_clock::now();
    waited = send_raw(vt_, "migrate-status SCR001 wait=1000\n");
    wait_ended = std::chrono::steady_clock::now();
    wait_took = std::chrono::duration<double>(wait_ended - start).count();
  });
  double status_took = 0;
  CommandResult status = timed_status(vt_, &status_took);
  auto status_ended = std::chrono::steady_clock::now();
  waiter.join();
  EXPECT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_EQ(waited.rfind("ok\n", 0), 0u) << waited;
  EXPECT_NE(waited.find("phase copying"), std::string::npos) << waited;
  EXPECT_GE(wait_took, 0.95) << waited;
  EXPECT_LT(status_ended, wait_ended) << "vtape status waited for the migrate-status wait (" << status_took << " s)";
  const CommandResult& m = migrate.join();
  ASSERT_EQ(m.exit_code, 0) << describe(m);
  EXPECT_EQ(json_query(m.out, "d['result']"), "done") << m.out;
  // Ended: answered at once, however long the wait.
  auto start = std::chrono::steady_clock::now();
  std::string ended = send_raw(vt_, "migrate-status SCR001 wait=1000\n");
  EXPECT_NE(ended.find("phase done"), std::string::npos) << ended;
  EXPECT_LT(seconds_since(start), 0.9) << ended;
}

// The old image of a switched cartridge is renamed to .retired-NAME beside
// itself and deleted on a thread of the daemon's (vtape migrate reports the
// end without waiting for the delete); a daemon killed before the delete
// leaves the hidden file, which the next start deletes, and nothing else:
// not a user's file whose name starts with .retired- too.
TEST_F(MigrateMountTest, ARetiredImageLeftByAKilledDaemonIsDeletedAtTheNextStart) {
  ASSERT_TRUE(vt_.ok()) << vt_.error();
  CommandResult dd = run_command("dd if=/dev/urandom of=" + vt_.drive(0) + " bs=256k count=8 status=none");
  ASSERT_EQ(dd.exit_code, 0) << describe(dd);
  CommandResult m = vt_.vtape("migrate SCR001 --json --to " + shell_quote(dir_.file("new")));
  ASSERT_EQ(m.exit_code, 0) << describe(m);
  std::string cartridges = vt_.library() + "/cartridges";
  EXPECT_FALSE(std::filesystem::exists(cartridges + "/SCR001.tap"));
  bool deleted = false;
  for (int i = 0; i < 12000 && !deleted; ++i) {
    deleted = !std::filesystem::exists(cartridges + "/.retired-SCR001.tap");
    if (!deleted) pause_ms(5);
  }
  EXPECT_TRUE(deleted) << "the retired image is still there";
  // What a daemon killed between the rename and the delete leaves, beside
  // the library's images (a move of SCR001.tap, or a change of its format
  // from HET) and beside the moved image (a move of it again); and files
  // that only look alike, which stay: not hidden, or hidden but of no image
  // of this library (a user's own file).
  write_text(cartridges + "/.retired-SCR001.tap", "old image");
  write_text(cartridges + "/.retired-SCR001.het", "old image");
  write_text(dir_.file("new") + "/.retired-SCR001.tap", "old image");
  write_text(dir_.file("new") + "/retired-SCR001.tap", "not hidden");
  write_text(cartridges + "/.retired-unrelated", "a user's");
  write_text(dir_.file("new") + "/.retired-unrelated", "a user's");
  write_text(cartridges + "/.retired-OLD001.tap", "a user's");
  vt_.crash();
  ASSERT_TRUE(vt_.remount()) << vt_.error();
  EXPECT_FALSE(std::filesystem::exists(cartridges + "/.retired-SCR001.tap"));
  EXPECT_FALSE(std::filesystem::exists(cartridges + "/.retired-SCR001.het"));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("new") + "/.retired-SCR001.tap"));
  EXPECT_TRUE(std::filesystem::exists(dir_.file("new") + "/retired-SCR001.tap"));
  EXPECT_TRUE(std::filesystem::exists(cartridges + "/.retired-unrelated"));
  EXPECT_TRUE(std::filesystem::exists(dir_.file("new") + "/.retired-unrelated"));
  EXPECT_TRUE(std::filesystem::exists(cartridges + "/.retired-OLD001.tap"));
  CommandResult verify = vt_.vtape("verify " + shell_quote(dir_.file("new") + "/SCR001.tap"));
  EXPECT_EQ(verify.exit_code, 0) << describe(verify);
}

}  // namespace
}  // namespace vtape::testing
