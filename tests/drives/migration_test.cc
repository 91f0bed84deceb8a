// CartridgeMigration on a TapeDrive without FUSE (issue 19): the copy
// follows a writer, a cut and a format change, switches the drive to the
// copy between two records, and leaves the original in use when it fails.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/mtio.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "library/cartridge_migration.h"
#include "library/catalog_observer.h"
#include "library/catalog_sync.h"
#include "library/dirty_marker.h"
#include "library/image_copier.h"
#include "library/mtio_mapping.h"
#include "library/tape_drive.h"
#include "library/tape_library.h"
#include "index/catalog.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

// An object of a tape as read back: a record's bytes, or a filemark (empty).
using TapeObjects = std::vector<std::vector<uint8_t>>;

TapeObjects read_image(const std::string& path) {
  std::unique_ptr<TapeImage> image;
  Status s = TapeImage::open(path, OpenOptions{}, &image);
  EXPECT_TRUE(s.is_ok()) << s.message();
  TapeObjects out;
  if (!s.is_ok()) return out;
  for (;;) {
    TapeObject obj;
    std::vector<uint8_t> data;
    s = image->read(&obj, &data);
    EXPECT_TRUE(s.is_ok()) << s.message();
    if (!s.is_ok() || obj.kind == ObjectKind::kEndOfData) break;
    out.push_back(obj.kind == ObjectKind::kFilemark ? std::vector<uint8_t>{} : data);
  }
  return out;
}

class MigrationTest : public DriveOverCatalogTest {
 protected:
  MigrationTest() : DriveOverCatalogTest("MIG001") {}

  // Records of `size` bytes, a filemark after every `per_file`.
  void write(int records, size_t size, int per_file, uint32_t seed) {
    for (int i = 0; i < records; ++i) {
      auto r = pattern_bytes(size, seed + static_cast<uint32_t>(i));
      ASSERT_EQ(drive_->write(r), DriveError::kNone);
      written_.push_back(r);
      if ((i + 1) % per_file == 0) {
        ASSERT_EQ(mt_operation(*drive_, MTWEOF, 1), DriveError::kNone);
        written_.push_back({});
      }
    }
  }

  MigrationRequest request(Format format) {
    MigrationRequest r;
    r.volser = "MIG001";
    r.target_dir = dir_.file("new");
    r.format = format;
    return r;
  }

  std::string image_now() {
    Cartridge c;
    EXPECT_TRUE(lib_->find("MIG001", &c).is_ok());
    return c.image_path;
  }

  TapeObjects written_;
};

TEST_F(MigrationTest, IdleCartridgeMovesToHetAndTheDriveGoesOnThere) {
  write(300, 10000, 100, 1);
  CartridgeMigration m(*lib_, request(Format::kHet), drive_.get());
  Status s = m.prepare();
  ASSERT_TRUE(s.is_ok()) << s.message();
  m.run();
  MigrationReport r = m.report();
  ASSERT_EQ(r.phase, MigrationPhase::kDone) << r.message;
  EXPECT_EQ(r.counts.records_copied, 300u);
  EXPECT_EQ(r.counts.filemarks_copied, 3u);
  EXPECT_NE(r.message.find("3 tape files verified"), std::string::npos) << r.message;
  EXPECT_EQ(image_now(), dir_.file("new") + "/MIG001.het");
  EXPECT_FALSE(std::filesystem::exists(cart_.image_path)) << "the old image was not retired";
  EXPECT_EQ(drive_->status().format, Format::kHet);
  EXPECT_EQ(std::filesystem::status(dir_.file("new")).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  // The drive writes on in the copy, where it was.
  write(5, 3000, 5, 900);
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  EXPECT_EQ(read_image(image_now()), written_);
  std::vector<EventRow> events;
  ASSERT_TRUE(catalog_->events(0, "", "MIG001", 100, &events).is_ok());
  bool seen = false;
  for (const auto& e : events) seen = seen || e.kind == "migrate";
  EXPECT_TRUE(seen) << "no migrate event";
}

TEST_F(MigrationTest, WriterNeverSeesAnErrorAndLosesNoRecord) {
  write(2000, 32768, 500, 1);  // 64 MiB before it starts
  CartridgeMigration m(*lib_, request(Format::kSimh), drive_.get());
  Status s = m.prepare();
  ASSERT_TRUE(s.is_ok()) << s.message();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; !done || i < 200; ++i) {
      auto r = pattern_bytes(32768, 50000 + static_cast<uint32_t>(i));
      DriveError e = drive_->write(r);
      ASSERT_EQ(e, DriveError::kNone) << "write " << i;
      written_.push_back(r);
      if (i % 300 == 299) {
        ASSERT_EQ(mt_operation(*drive_, MTWEOF, 1), DriveError::kNone);
        written_.push_back({});
      }
      if (i > 20000) break;
    }
  });
  m.run();
  done = true;
  writer.join();
  MigrationReport r = m.report();
  ASSERT_EQ(r.phase, MigrationPhase::kDone) << r.message;
  EXPECT_GE(r.passes, 1);
  EXPECT_GT(r.longest_hold_ms, 0.0);
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  EXPECT_EQ(image_now(), dir_.file("new") + "/MIG001.tap");
  TapeObjects got = read_image(image_now());
  ASSERT_EQ(got.size(), written_.size() + 1);  // close's filemark
  got.pop_back();
  EXPECT_TRUE(got == written_);
}

TEST_F(MigrationTest, FollowsACutDuringTheCopy) {
  write(1200, 32768, 400, 1);
  CartridgeMigration m(*lib_, request(Format::kAws), drive_.get());
  ASSERT_TRUE(m.prepare().is_ok());
  std::thread cutter([&] {
    // Back to the second tape file and write it anew: the tape is cut there.
    ASSERT_EQ(mt_operation(*drive_, MTREW, 1), DriveError::kNone);
    ASSERT_EQ(mt_operation(*drive_, MTFSF, 1), DriveError::kNone);
    written_.resize(401);
    for (int i = 0; i < 100; ++i) {
      auto rec = pattern_bytes(20000, 7000 + static_cast<uint32_t>(i));
      ASSERT_EQ(drive_->write(rec), DriveError::kNone);
      written_.push_back(rec);
    }
  });
  m.run();
  cutter.join();
  MigrationReport r = m.report();
  ASSERT_EQ(r.phase, MigrationPhase::kDone) << r.message;
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  written_.push_back({});
  EXPECT_TRUE(read_image(image_now()) == written_);
}

// A writer that writes a few records, its filemark and rewinds in the
// synchronous phase, before the switch: those objects
// went to the copy as they were written, and the switch must not copy them
// again from the old image (it did: the copy ended in a phantom tape file).
TEST_F(MigrationTest, RecordsWrittenInTheSynchronousPhaseAreCopiedOnce) {
  write(2000, 32768, 2000, 1);
  CartridgeMigration m(*lib_, request(Format::kSimh), drive_.get());
  ASSERT_TRUE(m.prepare().is_ok());
  m.set_in_synchronous_phase([&] {
    for (int i = 0; i < 3; ++i) {
      auto r = pattern_bytes(32768, 90000 + static_cast<uint32_t>(i));
      ASSERT_EQ(drive_->write(r), DriveError::kNone);
      written_.push_back(r);
    }
    ASSERT_EQ(mt_operation(*drive_, MTWEOF, 1), DriveError::kNone);
    written_.push_back({});
    ASSERT_EQ(mt_operation(*drive_, MTREW, 1), DriveError::kNone);
  });
  m.run();
  MigrationReport r = m.report();
  ASSERT_EQ(r.phase, MigrationPhase::kDone) << r.message;
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  TapeObjects got = read_image(image_now());
  EXPECT_EQ(got.size(), written_.size());
  EXPECT_TRUE(got == written_);
}

// Records written in the synchronous phase with no sync point after them
// go to the kernel at the switch, not to the disk (that waits until after
// the writer is let go): a daemon killed right after the switch leaves a
// copy with every one of them in it, and marked for repair at the next load.
TEST_F(MigrationTest, ADaemonKilledRightAfterTheSwitchLosesNoRecordWrittenInTheSynchronousPhase) {
  write(2000, 32768, 2000, 1);
  CartridgeMigration m(*lib_, request(Format::kSimh), drive_.get());
  ASSERT_TRUE(m.prepare().is_ok());
  m.set_in_synchronous_phase([&] {
    for (int i = 0; i < 3; ++i) {
      auto r = pattern_bytes(32768, 70000 + static_cast<uint32_t>(i));
      ASSERT_EQ(drive_->write(r), DriveError::kNone);
      written_.push_back(r);
    }
  });
  m.run();
  ASSERT_EQ(m.report().phase, MigrationPhase::kDone) << m.report().message;
  // What the next load finds (the drive still holds the copy open, as a
  // killed daemon would have left it).
  std::string copy = image_now();
  ASSERT_EQ(copy, dir_.file("new") + "/MIG001.tap");
  // The marker that makes the next load repair the copy's tail, and in
  // the file every record the writer was told was written.
  EXPECT_TRUE(has_dirty_marker(copy)) << "the copy being written has no marker";
  EXPECT_TRUE(read_image(copy) == written_);
}

TEST_F(MigrationTest, AbortLeavesTheOriginalAndRemovesTheCopy) {
  write(100, 10000, 50, 1);
  CartridgeMigration m(*lib_, request(Format::kHet), drive_.get());
  ASSERT_TRUE(m.prepare().is_ok());
  EXPECT_TRUE(std::filesystem::exists(CartridgeMigration::state_path(*lib_, "MIG001")));
  m.abort();
  m.run();
  EXPECT_EQ(m.report().phase, MigrationPhase::kAborted);
  EXPECT_EQ(image_now(), cart_.image_path);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("new") + "/MIG001.het"));
  EXPECT_FALSE(std::filesystem::exists(CartridgeMigration::state_path(*lib_, "MIG001")));
  write(5, 100, 5, 77);
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  EXPECT_TRUE(read_image(cart_.image_path) == written_);
}

TEST_F(MigrationTest, FullTargetStopsWithTheOriginalInUse) {
  std::string small = dir_.file("small");
  std::filesystem::create_directory(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=2m") != 0) GTEST_SKIP() << "cannot mount a tmpfs";
  write(400, 32768, 100, 1);  // 13 MiB
  MigrationRequest req = request(Format::kSimh);
  req.target_dir = small;
  {
    CartridgeMigration m(*lib_, req, drive_.get());
    Status s = m.prepare();
    ASSERT_TRUE(s.is_ok()) << s.message();
    m.run();
    MigrationReport r = m.report();
    EXPECT_EQ(r.phase, MigrationPhase::kFailed);
    EXPECT_NE(r.message.find("No space left"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("stays on " + cart_.image_path), std::string::npos) << r.message;
  }
  EXPECT_FALSE(std::filesystem::exists(small + "/MIG001.tap"));
  ::umount2(small.c_str(), MNT_DETACH);
  EXPECT_EQ(image_now(), cart_.image_path);
  write(5, 100, 5, 77);
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  EXPECT_TRUE(read_image(cart_.image_path) == written_);
}

TEST_F(MigrationTest, RefusesASecondTargetAndAMissingCartridge) {
  MigrationRequest req = request(Format::kSimh);
  req.volser = "NONE01";
  CartridgeMigration missing(*lib_, req, nullptr);
  Status s = missing.prepare();
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("no cartridge NONE01"), std::string::npos) << s.message();
  CartridgeMigration first(*lib_, request(Format::kSimh), drive_.get());
  ASSERT_TRUE(first.prepare().is_ok());
  CartridgeMigration second(*lib_, request(Format::kHet), drive_.get());
  s = second.prepare();
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("--resume MIG001"), std::string::npos) << s.message();
  first.abort();
  first.run();
}

TEST_F(MigrationTest, UnloadDuringTheMigrationStopsItWithTheOriginalInUse) {
  write(100, 10000, 50, 1);
  CartridgeMigration m(*lib_, request(Format::kHet), drive_.get());
  ASSERT_TRUE(m.prepare().is_ok());
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  ASSERT_TRUE(drive_->unload().is_ok());
  m.run();
  MigrationReport r = m.report();
  EXPECT_EQ(r.phase, MigrationPhase::kFailed);
  EXPECT_NE(r.message.find("MIG001 was unloaded during the migration"), std::string::npos) << r.message;
  EXPECT_EQ(image_now(), cart_.image_path);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("new") + "/MIG001.het"));
  EXPECT_TRUE(read_image(cart_.image_path) == written_);
}

TEST_F(MigrationTest, RefusesATargetThatIsNotWritable) {
  std::string ro = dir_.file("ro");
  std::filesystem::create_directory(ro);
  if (::mount("tmpfs", ro.c_str(), "tmpfs", MS_RDONLY, "size=1m") != 0) GTEST_SKIP() << "cannot mount a tmpfs";
  MigrationRequest req = request(Format::kSimh);
  req.target_dir = ro;
  CartridgeMigration m(*lib_, req, drive_.get());
  Status s = m.prepare();
  ::umount2(ro.c_str(), MNT_DETACH);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("the target " + ro + " is not writable"), std::string::npos) << s.message();
  EXPECT_FALSE(std::filesystem::exists(CartridgeMigration::state_path(*lib_, "MIG001")));
}

// The copy is checked against the catalog's digests as it is made: a source
// whose bytes differ from what the catalog recorded fails the migration
// before the switch, the original in use.  SIMH to SIMH copies the bytes as
// they are (the raw copy), SIMH to HET goes through the codecs.
TEST_F(MigrationTest, ASourceThatDiffersFromTheCatalogFailsBeforeTheSwitch) {
  write(30, 1000, 10, 1);
  // A byte of the data of tape file 1's fourth record (SIMH: 4 + 1000 + 4
  // bytes a record, 4 a filemark).
  std::vector<uint8_t> image = read_file_bytes(cart_.image_path);
  size_t at = 10 * 1008 + 4 + 3 * 1008 + 4 + 10;
  ASSERT_GT(image.size(), at);
  image[at] ^= 0x55;
  write_file_bytes(cart_.image_path, image);
  for (Format format : {Format::kSimh, Format::kHet}) {
    SCOPED_TRACE(format_name(format));
    CartridgeMigration m(*lib_, request(format), drive_.get());
    ASSERT_TRUE(m.prepare().is_ok());
    m.run();
    MigrationReport r = m.report();
    EXPECT_EQ(r.phase, MigrationPhase::kFailed) << r.message;
    EXPECT_NE(r.message.find(cart_.image_path + ": tape file 1 (bytes 10084 to 20164)"), std::string::npos)
        << r.message;
    EXPECT_NE(r.message.find("the catalog says"), std::string::npos) << r.message;
    EXPECT_EQ(image_now(), cart_.image_path);
    EXPECT_EQ(drive_->status().format, Format::kSimh);
    EXPECT_FALSE(std::filesystem::exists(r.to)) << r.to;
    EXPECT_FALSE(std::filesystem::exists(CartridgeMigration::state_path(*lib_, "MIG001")));
  }
  // The drive goes on in the original.
  write(2, 500, 2, 77);
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  EXPECT_EQ(read_image(cart_.image_path).size(), written_.size());
}

// Hercules' hetmap reads records of one HET chunk (65535 bytes) at most:
// a migration to HET of a tape with longer ones says so.
TEST_F(MigrationTest, ToHetWarnsOfRecordsHetmapCannotRead) {
  write(4, 70000, 2, 1);
  write(3, 65535, 3, 50);
  CartridgeMigration m(*lib_, request(Format::kHet), drive_.get());
  ASSERT_TRUE(m.prepare().is_ok());
  m.run();
  MigrationReport r = m.report();
  ASSERT_EQ(r.phase, MigrationPhase::kDone) << r.message;
  EXPECT_NE(r.message.find("warning: 4 records are longer than 65535 bytes, which Hercules' hetmap cannot read"),
            std::string::npos)
      << r.message;
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  EXPECT_EQ(read_image(image_now()), written_);
}

// What a daemon killed mid-migration leaves: a copy to HET of MIG001 up
// to a checkpoint at `fraction` of the image, synced, and the state file
// naming it.
void leave_interrupted_migration(TapeLibrary& lib, const Cartridge& cart, const std::string& dir, double fraction) {
  std::filesystem::create_directories(dir);
  std::string target_path = dir + "/MIG001.het";
  std::unique_ptr<TapeImage> target;
  Status s = TapeImage::create(target_path, Format::kHet, WriteOptions{}, /*overwrite=*/false, &target);
  ASSERT_TRUE(s.is_ok()) << s.message();
  ImageCopier copier(cart.image_path, cart.format, std::move(target));
  auto limit = static_cast<uint64_t>(static_cast<double>(std::filesystem::file_size(cart.image_path)) * fraction);
  s = copier.copy_until(limit);
  ASSERT_TRUE(s.is_ok()) << s.message();
  ASSERT_TRUE(copier.sync().is_ok());
  const ImageCopier::Checkpoint& at = copier.position();
  auto text = [](const TapePosition& p) {
    return std::to_string(p.file) + " " + std::to_string(p.block) + " " + std::to_string(p.object_index) + " " +
           std::to_string(p.offset);
  };
  write_text(CartridgeMigration::state_path(lib, "MIG001"),
             "target " + target_path + "\nformat het\nkeep_old 0\nsource " + text(at.source) + "\ntarget_at " +
                 text(at.target) + "\nrecords " + std::to_string(at.records) + "\n");
}

// Where each tape file of an image begins.
std::vector<uint64_t> tape_file_offsets(const std::string& path) {
  std::unique_ptr<TapeImage> image;
  EXPECT_TRUE(TapeImage::open(path, OpenOptions{}, &image).is_ok());
  std::vector<uint64_t> out{image->position().offset};
  for (;;) {
    TapeObject obj;
    if (!image->read(&obj, nullptr).is_ok() || obj.kind == ObjectKind::kEndOfData) break;
    if (obj.kind == ObjectKind::kFilemark) out.push_back(image->position().offset);
  }
  out.pop_back();  // after the last filemark: no tape file
  return out;
}

// A resumed migration to another format of a cartridge in no drive: the
// tape files copied before the resume point move to the new image's
// offsets in the catalog too (found from both images' headers).
TEST_F(MigrationTest, OfflineResumeToHetMovesEveryTapeFilesOffset) {
  write(300, 10000, 100, 1);
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  ASSERT_TRUE(drive_->unload().is_ok());
  leave_interrupted_migration(*lib_, cart_, dir_.file("new"), 0.8);
  MigrationRequest req;
  req.volser = "MIG001";
  req.resume = true;
  CartridgeMigration m(*lib_, req, nullptr);
  Status s = m.prepare();
  ASSERT_TRUE(s.is_ok()) << s.message();
  m.run();
  ASSERT_EQ(m.report().phase, MigrationPhase::kDone) << m.report().message;
  ASSERT_EQ(image_now(), dir_.file("new") + "/MIG001.het");
  EXPECT_EQ(read_image(image_now()), written_);
  std::vector<TapeFileRow> rows;
  ASSERT_TRUE(catalog_->files("MIG001", &rows).is_ok());
  std::vector<uint64_t> cataloged;
  for (const auto& r : rows) cataloged.push_back(r.image_offset);
  EXPECT_EQ(cataloged, tape_file_offsets(image_now()));
}

// A tape rewritten below the checkpoint while the daemon was down: the
// resume is refused, naming both images, and the original stays in use.
TEST_F(MigrationTest, ResumeRefusesATapeChangedBelowItsCheckpoint) {
  write(300, 10000, 100, 1);
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  leave_interrupted_migration(*lib_, cart_, dir_.file("new"), 0.8);
  // Tape file 1 on, written again with records of another size.
  ASSERT_EQ(drive_->open(DriveOpenMode{false, true, false}), DriveError::kNone);
  ASSERT_EQ(mt_operation(*drive_, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(*drive_, MTFSF, 1), DriveError::kNone);
  written_.resize(101);
  write(500, 7000, 250, 50);
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  MigrationRequest req;
  req.volser = "MIG001";
  req.resume = true;
  CartridgeMigration m(*lib_, req, drive_.get());
  Status s = m.prepare();
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("changed since the interrupted migration"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(cart_.image_path), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("vtape migrate --abort MIG001"), std::string::npos) << s.message();
  EXPECT_EQ(image_now(), cart_.image_path);
  EXPECT_EQ(read_image(cart_.image_path), written_);
}

// The catalog reads a tape file begun mid-file back from the image: after
// the switch (and the old image's removal) from the copy.
TEST_F(MigrationTest, TheCatalogReadsTheCopyAfterTheSwitch) {
  write(10, 1000, 10, 1);
  CartridgeMigration m(*lib_, request(Format::kHet), drive_.get());
  ASSERT_TRUE(m.prepare().is_ok());
  m.run();
  ASSERT_EQ(m.report().phase, MigrationPhase::kDone) << m.report().message;
  ASSERT_EQ(mt_operation(*drive_, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(*drive_, MTFSR, 5), DriveError::kNone);
  ASSERT_EQ(drive_->write(pattern_bytes(700, 5)), DriveError::kNone);
  ASSERT_EQ(mt_operation(*drive_, MTWEOF, 1), DriveError::kNone);
  std::vector<TapeFileRow> rows;
  ASSERT_TRUE(catalog_->files("MIG001", &rows).is_ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].records, 6u);
}

}  // namespace
}  // namespace vtape::testing
