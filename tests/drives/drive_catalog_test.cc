// A drive's catalog upkeep, without FUSE: the records are analysed on a
// worker thread (BackgroundAnalyzer), yet every call that ends a tape file
// (a filemark, close, rewind, MTEOM, unload, a read after writing) must
// return with the tape file in the catalog, its records, bytes and digest
// those of everything written, however many records are still queued when
// the call comes.
#include <gtest/gtest.h>
#include <sys/mtio.h>

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "library/mtio_mapping.h"
#include "library/catalog_observer.h"
#include "library/tape_drive.h"
#include "library/tape_library.h"
#include "index/catalog.h"
#include "index/digest.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

// What the drive was given, to compare the catalog with.
struct Written {
  uint64_t records = 0;
  uint64_t bytes = 0;
  Digest sha{kDefaultDigest};
  void add(const std::vector<uint8_t>& r) {
    ++records;
    bytes += r.size();
    sha.update(r);
  }
};

class DriveCatalogTest : public DriveOverCatalogTest {
 protected:
  DriveCatalogTest() : DriveOverCatalogTest("CAT001") {}

  void write(const std::vector<uint8_t>& record, Written* w) {
    ASSERT_EQ(drive_->write(record), DriveError::kNone);
    w->add(record);
  }

  // `count` records of 1 to `largest` bytes, the same every run.
  void write_random(size_t count, size_t largest, uint32_t seed, Written* w) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<size_t> size(1, largest);
    for (size_t i = 0; i < count; ++i) {
      write(pattern_bytes(size(rng), seed + static_cast<uint32_t>(i)), w);
      if (HasFatalFailure()) return;
    }
  }

  std::vector<TapeFileRow> rows() {
    std::vector<TapeFileRow> r;
    Status s = catalog_->files("CAT001", &r);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return r;
  }

  void expect_row(size_t file, Written& w, bool closed) {
    std::vector<TapeFileRow> r = rows();
    ASSERT_GT(r.size(), file) << "tape file " << file << " is not in the catalog";
    EXPECT_EQ(r[file].records, w.records);
    EXPECT_EQ(r[file].bytes, w.bytes);
    EXPECT_EQ(r[file].digest, w.sha.hex_digest());
    EXPECT_EQ(r[file].digest_algorithm, "xxh3-128");
    EXPECT_EQ(r[file].closed_cleanly, closed);
  }
};

TEST_F(DriveCatalogTest, ManySmallRecordsAreInTheCatalogWhenTheFilemarkReturns) {
  Written w;
  write_random(20000, 600, 1, &w);
  ASSERT_EQ(mt_operation(*drive_, MTWEOF, 1), DriveError::kNone);
  expect_row(0, w, true);
}

TEST_F(DriveCatalogTest, RecordsAroundTheSizeOfTheAnalysisChunks) {
  Written w;
  for (size_t n : {size_t(1) << 20, (size_t(1) << 20) - 1, size_t(262144), size_t(3), size_t(1) << 20,
                   size_t(700000), size_t(700000), size_t(1)}) {
    write(pattern_bytes(n, static_cast<uint32_t>(n)), &w);
  }
  ASSERT_EQ(mt_operation(*drive_, MTWEOF, 1), DriveError::kNone);
  expect_row(0, w, true);
}

TEST_F(DriveCatalogTest, EveryTapeFileOfASessionIsRecorded) {
  std::vector<Written> files(4);
  for (size_t f = 0; f < files.size(); ++f) {
    write_random(500 + 300 * f, 20000, static_cast<uint32_t>(f), &files[f]);
    ASSERT_EQ(mt_operation(*drive_, MTWEOF, 1), DriveError::kNone);
  }
  for (size_t f = 0; f < files.size(); ++f) {
    SCOPED_TRACE("tape file " + std::to_string(f));
    expect_row(f, files[f], true);
  }
}

TEST_F(DriveCatalogTest, CloseCommitsBeforeItReturns) {
  Written w;
  write_random(5000, 5000, 2, &w);
  ASSERT_EQ(drive_->release(), DriveError::kNone);
  expect_row(0, w, true);
}

// Each way writing ends, right after many records: the catalog is up to
// date when the call returns.
struct Ending {
  const char* name;
  bool closed;  // a filemark ends the tape file
  std::function<void(TapeDrive&)> end;
};

class DriveCatalogEndings : public DriveCatalogTest, public ::testing::WithParamInterface<Ending> {};

TEST_P(DriveCatalogEndings, TheTapeFileIsCommittedWhenTheCallReturns) {
  Written w;
  write_random(1500, 20000, 3, &w);
  GetParam().end(*drive_);
  expect_row(0, w, GetParam().closed);
}

INSTANTIATE_TEST_SUITE_P(
    Endings, DriveCatalogEndings,
    ::testing::Values(
        Ending{"Rewind", true, [](TapeDrive& d) { EXPECT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone); }},
        Ending{"EndOfMedium", false, [](TapeDrive& d) { EXPECT_EQ(mt_operation(d, MTEOM, 1), DriveError::kNone); }},
        Ending{"BackSpaceFile", true,
               [](TapeDrive& d) {
                 // Over the filemark it writes first, then into the beginning
                 // of the tape (EIO, as st): the tape file is committed anyway.
                 EXPECT_EQ(mt_operation(d, MTBSF, 1), DriveError::kIo);
               }},
        Ending{"Offline", true, [](TapeDrive& d) { EXPECT_EQ(mt_operation(d, MTOFFL, 1), DriveError::kNone); }},
        Ending{"ReadAfterWriting", false,
               [](TapeDrive& d) {
                 std::vector<uint8_t> data;
                 (void)d.read(1 << 20, &data);  // end of data: fails, and writing has ended
               }},
        Ending{"CloseThenUnload", true,
               [](TapeDrive& d) {
                 EXPECT_EQ(d.release(), DriveError::kNone);
                 Status s = d.unload();
                 EXPECT_TRUE(s.is_ok()) << s.message();
               }}),
    [](const auto& info) { return std::string(info.param.name); });

// Appending after MTEOM (what Bacula and Amanda do) starts the next tape
// file where the drive is: the catalog does not read the tape back from its
// beginning.  Shown by making that beginning unreadable first: the appended
// file is still recorded, from what was written.
TEST_F(DriveCatalogTest, AppendingAfterEndOfMediumDoesNotReadTheTapeBack) {
  Written first, second, appended;
  write_random(50, 9000, 6, &first);
  ASSERT_EQ(mt_operation(*drive_, MTWEOF, 1), DriveError::kNone);
  write_random(50, 9000, 7, &second);
  ASSERT_EQ(mt_operation(*drive_, MTWEOF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(*drive_, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(*drive_, MTEOM, 1), DriveError::kNone);
  DriveStatus st = drive_->status();
  EXPECT_EQ(st.file, 2);
  EXPECT_EQ(st.block, -1);  // as st reports after MTEOM

  // A length word that is no length word at the very start of the image.
  std::vector<uint8_t> image = read_file_bytes(cart_.image_path);
  std::vector<uint8_t> broken = image;
  broken[3] = 0xF0;  // a marker SIMH does not define
  write_file_bytes(cart_.image_path, broken);
  write_random(30, 9000, 8, &appended);
  ASSERT_EQ(mt_operation(*drive_, MTWEOF, 1), DriveError::kNone);
  expect_row(2, appended, true);
  std::vector<TapeFileRow> r = rows();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[2].first_block, r[1].first_block + 50 + 1);
}

TEST_F(DriveCatalogTest, EraseAfterRecordsLeavesTheCatalogTrue) {
  Written first;
  write_random(400, 9000, 4, &first);
  ASSERT_EQ(mt_operation(*drive_, MTWEOF, 1), DriveError::kNone);
  Written second;
  write_random(400, 9000, 5, &second);
  // The filemark after the second file, then back before the first one.
  ASSERT_EQ(mt_operation(*drive_, MTBSF, 1), DriveError::kNone);
  expect_row(1, second, true);
  ASSERT_EQ(mt_operation(*drive_, MTFSF, 1), DriveError::kNone);  // at the start of file 1
  ASSERT_EQ(mt_operation(*drive_, MTERASE, 1), DriveError::kNone);
  std::vector<TapeFileRow> r = rows();
  ASSERT_EQ(r.size(), 1u);
  expect_row(0, first, true);
}

}  // namespace
}  // namespace vtape::testing
