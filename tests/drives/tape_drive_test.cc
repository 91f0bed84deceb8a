// The TapeDrive state machine without FUSE: every st rule of the reference
// notes (st-semantics) that the drive implements, checked through the calls
// the FUSE adapter makes (open, read, write, operation, status, release).
#include <gtest/gtest.h>
#include <sys/mtio.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "library/mtio_mapping.h"
#include "library/tape_drive.h"
#include "library/tape_library.h"
#include "tapeformat/tape_image.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

constexpr uint32_t kEof = 0x80000000;
constexpr uint32_t kBot = 0x40000000;
constexpr uint32_t kEot = 0x20000000;
constexpr uint32_t kEod = 0x08000000;
constexpr uint32_t kWrProt = 0x04000000;
constexpr uint32_t kOnline = 0x01000000;
constexpr uint32_t kDrOpen = 0x00040000;
constexpr uint32_t kImRepEn = 0x00010000;

constexpr DriveOpenMode kReadOnly{false, false, false};
constexpr DriveOpenMode kWritable{false, true, false};
constexpr DriveOpenMode kRewindWritable{true, true, false};
constexpr DriveOpenMode kNonblockingWritable{false, true, true};
constexpr DriveOpenMode kNonblockingReadOnly{false, false, true};

// What one object of an image is: a record of `length` bytes or a filemark.
struct Obj {
  bool filemark = false;
  uint32_t length = 0;
  bool operator==(const Obj&) const = default;
};
Obj R(uint32_t n) { return Obj{false, n}; }
Obj FM() { return Obj{true, 0}; }

std::ostream& operator<<(std::ostream& os, const Obj& o) {
  return o.filemark ? os << "FM" : os << "R" << o.length;
}

// Reads a whole image from the start with a fresh TapeImage, so the test
// sees what is on disk.  Any damage fails the test.
std::vector<Obj> image_objects(const std::string& path, std::vector<std::vector<uint8_t>>* records = nullptr) {
  std::vector<Obj> out;
  std::unique_ptr<TapeImage> img;
  OpenOptions o;
  Status s = TapeImage::open(path, o, &img);
  if (!s.is_ok()) {
    ADD_FAILURE() << "cannot open " << path << ": " << s.message();
    return out;
  }
  for (int i = 0; i < 100000; ++i) {
    TapeObject obj;
    std::vector<uint8_t> data;
    s = img->read(&obj, &data);
    if (!s.is_ok()) {
      ADD_FAILURE() << img->describe(s);
      return out;
    }
    if (obj.kind == ObjectKind::kEndOfData) return out;
    if (obj.kind == ObjectKind::kFilemark) {
      out.push_back(FM());
    } else {
      out.push_back(R(static_cast<uint32_t>(data.size())));
      if (records != nullptr) records->push_back(data);
    }
  }
  ADD_FAILURE() << "image does not end";
  return out;
}

uint64_t simh_size(const std::vector<Obj>& objs) {
  uint64_t n = 0;
  for (const auto& o : objs) n += o.filemark ? 4 : 8 + o.length + (o.length & 1);
  return n;
}

std::vector<uint8_t> data_of(size_t n, uint32_t seed) { return pattern_bytes(n, seed); }

class TapeDriveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status s = TapeLibrary::open(dir_.file("lib"), true, &lib_);
    ASSERT_TRUE(s.is_ok()) << s.message();
  }

  Cartridge cartridge(const std::string& volser, uint64_t capacity = kDefaultCapacity,
                      Format format = Format::kSimh) {
    Cartridge c;
    Status s = lib_->create_cartridge(volser, format, capacity, &c);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return c;
  }

  // A drive with a fresh cartridge loaded (not open).
  void load_fresh(TapeDrive& d, const std::string& volser = "T00001", uint64_t capacity = kDefaultCapacity,
                  Format format = Format::kSimh) {
    cart_ = cartridge(volser, capacity, format);
    Status s = d.load(cart_);
    ASSERT_TRUE(s.is_ok()) << s.message();
  }

  // The standard tape, written through the drive and left open read-only at
  // BOT:  file 0: A(100) B(201) C(300) | file 1: D(400) E(500) | file 2: F(600) |
  // Block addresses: A0 B1 C2 FM3 D4 E5 FM6 F7 FM8, end of data at 9.
  void make_standard_tape(TapeDrive& d) {
    load_fresh(d);
    ASSERT_EQ(d.open(kWritable), DriveError::kNone);
    for (auto [n, seed] : std::vector<std::pair<size_t, uint32_t>>{{100, 1}, {201, 2}, {300, 3}}) {
      ASSERT_EQ(d.write(data_of(n, seed)), DriveError::kNone);
    }
    ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(400, 4)), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(500, 5)), DriveError::kNone);
    ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(600, 6)), DriveError::kNone);
    ASSERT_EQ(d.release(), DriveError::kNone);  // the third filemark
    ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
    ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  }

  static std::vector<Obj> standard_objects() {
    return {R(100), R(201), R(300), FM(), R(400), R(500), FM(), R(600), FM()};
  }

  TempDir dir_;
  std::unique_ptr<TapeLibrary> lib_;
  Cartridge cart_;
};

::testing::AssertionResult at(const TapeDrive& d, int64_t file, int64_t block, uint64_t address) {
  DriveStatus st = d.status();
  if (st.file == file && st.block == block && st.block_address == address) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "position is file " << st.file << " block " << st.block << " address "
                                       << st.block_address << ", expected file " << file << " block " << block
                                       << " address " << address;
}

struct ReadResult {
  DriveError error;
  std::vector<uint8_t> data;
};
ReadResult read_from(TapeDrive& d, size_t size = 1 << 20) {
  ReadResult r;
  r.error = d.read(size, &r.data);
  return r;
}

// ---- data transfer ---------------------------------------------------------

TEST_F(TapeDriveTest, OneWriteIsOneRecordAndOneReadReturnsOneRecord) {
  TapeDrive d(0);
  make_standard_tape(d);
  EXPECT_EQ(image_objects(cart_.image_path), standard_objects());
  for (auto [n, seed] : std::vector<std::pair<size_t, uint32_t>>{{100, 1}, {201, 2}, {300, 3}}) {
    ReadResult r = read_from(d, 65536);
    ASSERT_EQ(r.error, DriveError::kNone);
    EXPECT_EQ(r.data, data_of(n, seed));
  }
  EXPECT_TRUE(at(d, 0, 3, 3));
  // A buffer of exactly the record size is enough.
  ReadResult fm = read_from(d, 400);
  EXPECT_EQ(fm.error, DriveError::kNone);
  EXPECT_TRUE(fm.data.empty());
  ReadResult d1 = read_from(d, 400);
  ASSERT_EQ(d1.error, DriveError::kNone);
  EXPECT_EQ(d1.data, data_of(400, 4));
}

// A read with min_extent leaves records of at least that size in the image
// and says where they are (the mount splices them to the kernel); the bytes
// there are the record's, smaller records are copied as by read(), and the
// position moves on either way.
TEST_F(TapeDriveTest, LargeRecordsCanBeReadAsExtentsOfTheImageFile) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(70000, 7)), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(300, 8)), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(65536, 9)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);

  std::vector<uint8_t> buffer(1 << 20);
  auto read_extent = [&](size_t* length, RecordExtent* extent) {
    return d.read(std::span<uint8_t>(buffer), length, 65536, extent);
  };
  auto bytes_at = [](const RecordExtent& e) {
    std::vector<uint8_t> out(e.length);
    EXPECT_EQ(pread(e.file->fd(), out.data(), out.size(), static_cast<off_t>(e.offset)),
              static_cast<ssize_t>(out.size()));
    return out;
  };
  size_t length = 0;
  RecordExtent extent;
  ASSERT_EQ(read_extent(&length, &extent), DriveError::kNone);
  EXPECT_EQ(length, 0u);
  ASSERT_EQ(extent.length, 70000u);
  ASSERT_NE(extent.file, nullptr);
  EXPECT_EQ(bytes_at(extent), data_of(70000, 7));
  EXPECT_TRUE(at(d, 0, 1, 1));
  std::shared_ptr<const ImageDescriptor> first_file = extent.file;

  ASSERT_EQ(read_extent(&length, &extent), DriveError::kNone);
  EXPECT_EQ(extent.length, 0u) << "a small record is copied";
  ASSERT_EQ(length, 300u);
  EXPECT_TRUE(std::equal(buffer.begin(), buffer.begin() + 300, data_of(300, 8).begin()));

  RecordExtent last;
  ASSERT_EQ(read_extent(&length, &last), DriveError::kNone);
  ASSERT_EQ(last.length, 65536u);
  EXPECT_EQ(bytes_at(last), data_of(65536, 9));
  EXPECT_EQ(last.file, first_file) << "one descriptor per loaded image";

  // The descriptor outlives the cartridge: a splice still pending when the
  // tape is unloaded reads the old image, never another file.
  ASSERT_EQ(d.release(), DriveError::kNone);
  ASSERT_TRUE(d.unload().is_ok());
  EXPECT_EQ(bytes_at(last), data_of(65536, 9));

  // Fixed-block mode and formats that frame their records copy every record.
  TapeDrive aws(1);
  load_fresh(aws, "T00002", kDefaultCapacity, Format::kAws);
  ASSERT_EQ(aws.open(kWritable), DriveError::kNone);
  ASSERT_EQ(aws.write(data_of(70000, 10)), DriveError::kNone);
  ASSERT_EQ(mt_operation(aws, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(aws.read(std::span<uint8_t>(buffer), &length, 65536, &extent), DriveError::kNone);
  EXPECT_EQ(extent.length, 0u);
  ASSERT_EQ(length, 70000u);
  EXPECT_TRUE(std::equal(buffer.begin(), buffer.begin() + 70000, data_of(70000, 10).begin()));
}

TEST_F(TapeDriveTest, ReadingAFilemarkReturnsNothingAndMovesToTheNextFile) {
  TapeDrive d(0);
  make_standard_tape(d);
  ASSERT_EQ(mt_operation(d, MTFSR, 3), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, 3, 3));
  ReadResult r = read_from(d);
  EXPECT_EQ(r.error, DriveError::kNone);
  EXPECT_TRUE(r.data.empty());
  EXPECT_TRUE(at(d, 1, 0, 4));
  EXPECT_TRUE(mt_gstat(d.status()) & kEof);
  r = read_from(d);
  EXPECT_EQ(r.error, DriveError::kNone);
  EXPECT_EQ(r.data, data_of(400, 4));
  EXPECT_TRUE(at(d, 1, 1, 5));
}

TEST_F(TapeDriveTest, BufferSmallerThanRecordFailsAndTheRecordIsPassed) {
  TapeDrive d(0);
  make_standard_tape(d);
  ReadResult r = read_from(d, 99);
  EXPECT_EQ(r.error, DriveError::kBufferTooSmall);
  EXPECT_TRUE(r.data.empty());
  EXPECT_TRUE(at(d, 0, 1, 1));
  r = read_from(d, 201);
  ASSERT_EQ(r.error, DriveError::kNone);
  EXPECT_EQ(r.data, data_of(201, 2));
}

TEST_F(TapeDriveTest, EndOfDataAfterAFilemarkReadsEmptyOnceThenFails) {
  TapeDrive d(0);
  make_standard_tape(d);
  ASSERT_EQ(mt_operation(d, MTFSF, 2), DriveError::kNone);
  EXPECT_EQ(read_from(d).data, data_of(600, 6));
  ReadResult fm = read_from(d);  // the last filemark
  EXPECT_EQ(fm.error, DriveError::kNone);
  EXPECT_TRUE(fm.data.empty());
  EXPECT_TRUE(at(d, 3, 0, 9));
  ReadResult first = read_from(d);  // end of data: like a second filemark
  EXPECT_EQ(first.error, DriveError::kNone);
  EXPECT_TRUE(first.data.empty());
  EXPECT_EQ(read_from(d).error, DriveError::kIo);
  EXPECT_EQ(read_from(d).error, DriveError::kIo);
  EXPECT_TRUE(at(d, 3, 0, 9));
  // Moving resets it: back over the filemark and forward again.
  ASSERT_EQ(mt_operation(d, MTBSF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);
  EXPECT_EQ(read_from(d).error, DriveError::kNone);
  EXPECT_EQ(read_from(d).error, DriveError::kIo);
}

// st_open resets only the read/write state: the end-of-data state (one
// empty read given) survives a close and a new open, so a second program
// reading there gets EIO.
TEST_F(TapeDriveTest, EndOfDataStateSurvivesReleaseAndOpen) {
  TapeDrive d(0);
  make_standard_tape(d);
  ASSERT_EQ(mt_operation(d, MTFSF, 3), DriveError::kNone);
  ReadResult first = read_from(d);
  EXPECT_EQ(first.error, DriveError::kNone);
  EXPECT_TRUE(first.data.empty());
  ASSERT_EQ(d.release(), DriveError::kNone);
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  EXPECT_EQ(read_from(d).error, DriveError::kIo);
}

TEST_F(TapeDriveTest, BlankTapeFailsAtOnce) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  EXPECT_EQ(read_from(d).error, DriveError::kIo);
  EXPECT_EQ(read_from(d).error, DriveError::kIo);
  EXPECT_TRUE(at(d, 0, 0, 0));
}

TEST_F(TapeDriveTest, DataEndingWithoutAFilemarkFailsAtOnce) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(50, 7)), DriveError::kNone);
  // MTFSF ends the writing state (and fails at end of data): no filemark at close.
  EXPECT_EQ(mt_operation(d, MTFSF, 1), DriveError::kIo);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(50)}));
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  EXPECT_EQ(read_from(d).data, data_of(50, 7));
  EXPECT_EQ(read_from(d).error, DriveError::kIo);
}

TEST_F(TapeDriveTest, WritesOfManySizesRoundTrip) {
  TapeDrive d(0);
  load_fresh(d);
  std::vector<size_t> sizes = {1, 2, 3, 511, 512, 10240, 65535, 65536, 65537, 200000, kMaxDriveRecord};
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  for (size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_EQ(d.write(data_of(sizes[i], static_cast<uint32_t>(i))), DriveError::kNone) << sizes[i];
  }
  ASSERT_EQ(d.write({}), DriveError::kNone);  // an empty write writes nothing
  EXPECT_TRUE(at(d, 0, static_cast<int64_t>(sizes.size()), sizes.size()));
  ASSERT_EQ(d.release(), DriveError::kNone);
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  for (size_t i = 0; i < sizes.size(); ++i) {
    ReadResult r = read_from(d, kMaxDriveRecord);
    ASSERT_EQ(r.error, DriveError::kNone) << sizes[i];
    EXPECT_EQ(r.data, data_of(sizes[i], static_cast<uint32_t>(i))) << sizes[i];
  }
  EXPECT_TRUE(read_from(d).data.empty());
}

// The same behaviour whatever the image format of the cartridge.
class TapeDriveFormats : public TapeDriveTest, public ::testing::WithParamInterface<Format> {};

TEST_P(TapeDriveFormats, WriteCloseRewindReadInEveryWritableFormat) {
  TapeDrive d(0);
  load_fresh(d, "F00001", kDefaultCapacity, GetParam());
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(70000, 1)), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(3, 2)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(10240, 3)), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  std::vector<std::vector<uint8_t>> records;
  EXPECT_EQ(image_objects(cart_.image_path, &records), (std::vector<Obj>{R(70000), R(3), FM(), R(10240), FM()}));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], data_of(70000, 1));
  EXPECT_EQ(records[2], data_of(10240, 3));
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  EXPECT_TRUE(at(d, 2, 0, 5));
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);
  EXPECT_EQ(read_from(d).data, data_of(10240, 3));
  ASSERT_EQ(mt_operation(d, MTBSR, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTBSF, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, -1, 2));
  ASSERT_EQ(mt_operation(d, MTBSR, 1), DriveError::kNone);
  EXPECT_EQ(read_from(d).data, data_of(3, 2));
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_FALSE(std::filesystem::exists(cart_.image_path + ".dirty"));
}

INSTANTIATE_TEST_SUITE_P(All, TapeDriveFormats,
                         ::testing::Values(Format::kSimh, Format::kE11, Format::kMtd, Format::kAws, Format::kHet),
                         [](const ::testing::TestParamInfo<Format>& info) {
                           return std::string(format_name(info.param));
                         });

// ---- fixed-block mode ------------------------------------------------------

TEST_F(TapeDriveTest, FixedBlockWritesMustBeAMultipleOfTheBlockSize) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTSETBLK, 512), DriveError::kNone);
  EXPECT_EQ(d.status().block_size, 512u);
  EXPECT_EQ(mt_dsreg(d.status()), 512u);
  EXPECT_EQ(d.write(data_of(1000, 1)), DriveError::kInvalidArgument);
  EXPECT_EQ(d.write(data_of(100, 1)), DriveError::kInvalidArgument);
  EXPECT_TRUE(at(d, 0, 0, 0));  // nothing written
  // One write of n blocks is n records.
  ASSERT_EQ(d.write(data_of(1536, 2)), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, 3, 3));
  ASSERT_EQ(d.write(data_of(512, 3)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(512), R(512), R(512), R(512), FM()}));
}

TEST_F(TapeDriveTest, FixedBlockReadsReturnWholeBlocksAndStopAtAFilemark) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTSETBLK, 512), DriveError::kNone);
  std::vector<uint8_t> five = data_of(5 * 512, 9);
  ASSERT_EQ(d.write(five), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTSETBLK, 0), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(100, 10)), DriveError::kNone);  // a record of the wrong size for 512
  ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTSETBLK, 512), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);

  ReadResult r = read_from(d, 1024);  // two blocks
  ASSERT_EQ(r.error, DriveError::kNone);
  EXPECT_EQ(r.data, std::vector<uint8_t>(five.begin(), five.begin() + 1024));
  EXPECT_TRUE(at(d, 0, 2, 2));
  r = read_from(d, 4096);  // three blocks are left before the filemark
  ASSERT_EQ(r.error, DriveError::kNone);
  EXPECT_EQ(r.data, std::vector<uint8_t>(five.begin() + 1024, five.end()));
  r = read_from(d, 4096);  // then the filemark
  EXPECT_EQ(r.error, DriveError::kNone);
  EXPECT_TRUE(r.data.empty());
  EXPECT_TRUE(at(d, 1, 0, 6));
  EXPECT_EQ(read_from(d, 4096).error, DriveError::kIo);  // 100 bytes is not a 512-byte block
  // Back in variable mode the record reads as it is.
  ASSERT_EQ(mt_operation(d, MTSETBLK, 0), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);
  EXPECT_EQ(read_from(d).data, data_of(100, 10));
}

// st reports the blocks already read while the filemark that stopped a
// fixed-block read is still pending.
TEST_F(TapeDriveTest, FixedBlockReadStoppedByAFilemarkKeepsTheBlockNumber) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTSETBLK, 512), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(3 * 512, 9)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  ReadResult r = read_from(d, 4096);
  ASSERT_EQ(r.error, DriveError::kNone);
  EXPECT_EQ(r.data.size(), 3u * 512);
  EXPECT_TRUE(at(d, 0, 3, 3));
}

// st-semantics: "Fixed-block mode: ... reads may use any count".
TEST_F(TapeDriveTest, FixedBlockReadsMayUseAnyCount) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTSETBLK, 512), DriveError::kNone);
  std::vector<uint8_t> two = data_of(1024, 9);
  ASSERT_EQ(d.write(two), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  ReadResult r = read_from(d, 100);
  ASSERT_EQ(r.error, DriveError::kNone);
  EXPECT_EQ(r.data, std::vector<uint8_t>(two.begin(), two.begin() + 100));
  r = read_from(d, 924);  // the rest of the first block and all of the second
  ASSERT_EQ(r.error, DriveError::kNone);
  EXPECT_EQ(r.data, std::vector<uint8_t>(two.begin() + 100, two.end()));
}

// ---- close -----------------------------------------------------------------

TEST_F(TapeDriveTest, ReleaseAfterWritingWritesOneFilemarkAndStays) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(10, 1)), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(20, 2)), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(10), R(20), FM()}));
  EXPECT_TRUE(at(d, 1, 0, 3));  // no-rewind device: past the filemark
  // A second tape file appended through another open.
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(30, 3)), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(10), R(20), FM(), R(30), FM()}));
  // Opening and closing without writing adds nothing.
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  EXPECT_EQ(read_from(d).data.size(), 10u);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(10), R(20), FM(), R(30), FM()}));
}

TEST_F(TapeDriveTest, RewindDeviceWritesTheFilemarkThenRewinds) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kRewindWritable), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(10, 1)), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(10), FM()}));
  EXPECT_TRUE(at(d, 0, 0, 0));
  EXPECT_TRUE(mt_gstat(d.status()) & kBot);
  // Read-only on the rewind device: rewinds too.
  ASSERT_EQ(d.open(DriveOpenMode{true, false, false}), DriveError::kNone);
  EXPECT_EQ(read_from(d).data.size(), 10u);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, 0, 0));
}

TEST_F(TapeDriveTest, OperationsThatEndTheWritingStatePreventTheCloseFilemark) {
  struct Case {
    const char* name;
    int op, count;
    DriveError result;
    std::vector<Obj> image;
  };
  std::vector<Case> cases = {
      {"MTWEOF 1", MTWEOF, 1, DriveError::kNone, {R(10), FM()}},
      {"MTWEOF 0", MTWEOF, 0, DriveError::kNone, {R(10)}},
      {"MTFSF 1", MTFSF, 1, DriveError::kIo, {R(10)}},
      {"MTFSR 1", MTFSR, 1, DriveError::kIo, {R(10)}},
      {"MTBSR 1", MTBSR, 1, DriveError::kNone, {R(10)}},
      {"MTEOM", MTEOM, 1, DriveError::kNone, {R(10)}},
      {"MTREW", MTREW, 1, DriveError::kNone, {R(10), FM()}},  // its own filemark only
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    TapeDrive d(0);
    load_fresh(d, "W" + std::to_string(i));
    ASSERT_EQ(d.open(kWritable), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(10, 1)), DriveError::kNone);
    EXPECT_EQ(mt_operation(d, c.op, c.count), c.result);
    ASSERT_EQ(d.release(), DriveError::kNone);
    EXPECT_EQ(image_objects(cart_.image_path), c.image);
  }
}

// st clears the writing state for every MTIOCTOP except NOP, SETBLK,
// SETDENSITY, WSM, SETDRVBUFFER and SETPART: MTLOCK, MTUNLOCK and
// MTCOMPRESSION after a write also mean no filemark at close.
TEST_F(TapeDriveTest, LockUnlockAndCompressionAlsoEndTheWritingState) {
  struct Case {
    const char* name;
    int op, count;
  };
  std::vector<Case> cases = {{"MTLOCK", MTLOCK, 0}, {"MTUNLOCK", MTUNLOCK, 0}, {"MTCOMPRESSION", MTCOMPRESSION, 1}};
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    TapeDrive d(0);
    load_fresh(d, "L" + std::to_string(i));
    ASSERT_EQ(d.open(kWritable), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(10, 1)), DriveError::kNone);
    EXPECT_EQ(mt_operation(d, c.op, c.count), DriveError::kNone);
    ASSERT_EQ(mt_operation(d, MTUNLOCK, 0), DriveError::kNone);
    ASSERT_EQ(d.release(), DriveError::kNone);
    EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(10)}));
  }
}

TEST_F(TapeDriveTest, SettingsKeepTheWritingState) {
  struct Case {
    const char* name;
    int op, count;
  };
  std::vector<Case> cases = {{"MTNOP", MTNOP, 1},
                             {"MTSETBLK", MTSETBLK, 0},
                             {"MTSETDENSITY", MTSETDENSITY, 0x44},
                             {"MTSETDRVBUFFER", MTSETDRVBUFFER, 1}};
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    TapeDrive d(0);
    load_fresh(d, "K" + std::to_string(i));
    ASSERT_EQ(d.open(kWritable), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(10, 1)), DriveError::kNone);
    EXPECT_EQ(mt_operation(d, c.op, c.count), DriveError::kNone);
    ASSERT_EQ(d.release(), DriveError::kNone);
    EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(10), FM()}));
  }
}

TEST_F(TapeDriveTest, RewSeekBsfBsfmAndOfflRightAfterAWriteFirstWriteAFilemark) {
  struct Case {
    const char* name;
    int op, count;
    bool check_position;
    int64_t file, block;
    uint64_t address;
  };
  // Tape before the operation: P(5) FM R(10) R(20), the records just written.
  std::vector<Case> cases = {
      {"MTREW", MTREW, 1, true, 0, 0, 0},
      {"MTSEEK 3", MTSEEK, 3, true, 1, 1, 3},
      {"MTBSF 1", MTBSF, 1, false, 0, 0, 0},
      {"MTBSFM 1", MTBSFM, 1, false, 0, 0, 0},
      {"MTOFFL", MTOFFL, 1, false, 0, 0, 0},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    TapeDrive d(0);
    load_fresh(d, "E" + std::to_string(i));
    ASSERT_EQ(d.open(kWritable), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(5, 9)), DriveError::kNone);
    ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(10, 1)), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(20, 2)), DriveError::kNone);
    EXPECT_EQ(mt_operation(d, c.op, c.count), DriveError::kNone);
    if (c.op == MTOFFL) {
      EXPECT_FALSE(d.status().loaded);
    }
    if (c.check_position) {
      EXPECT_TRUE(at(d, c.file, c.block, c.address));
    }
    ASSERT_EQ(d.release(), DriveError::kNone);
    // Exactly one filemark after the records: the operation's, none at close.
    EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(5), FM(), R(10), R(20), FM()}));
  }
}

// st (st_ioctl): when BSF or BSFM follows a write, the filemark it writes
// first is not counted: the count goes up by one.  So `mt bsf 1` after
// writing a file ends before the filemark of the previous file, and
// `mt bsfm 1` returns to the start of the file just written.
TEST_F(TapeDriveTest, BsfAndBsfmRightAfterAWriteDoNotCountTheirOwnFilemark) {
  for (int op : {MTBSF, MTBSFM}) {
    SCOPED_TRACE(op == MTBSF ? "MTBSF" : "MTBSFM");
    TapeDrive d(0);
    load_fresh(d, op == MTBSF ? "BSF" : "BSFM");
    ASSERT_EQ(d.open(kWritable), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(5, 9)), DriveError::kNone);
    ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(10, 1)), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(20, 2)), DriveError::kNone);
    ASSERT_EQ(mt_operation(d, op, 1), DriveError::kNone);
    if (op == MTBSF) {
      EXPECT_TRUE(at(d, 0, -1, 1));  // before the filemark after P
    } else {
      EXPECT_TRUE(at(d, 1, 0, 2));  // start of the file just written
      EXPECT_EQ(read_from(d).data, data_of(10, 1));
    }
    ASSERT_EQ(d.release(), DriveError::kNone);
    EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(5), FM(), R(10), R(20), FM()}));
  }
}

// ---- spacing ---------------------------------------------------------------

TEST_F(TapeDriveTest, FsfMovesPastFilemarksAndFailsAtEndOfData) {
  TapeDrive d(0);
  make_standard_tape(d);
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 1, 0, 4));
  ASSERT_EQ(mt_operation(d, MTFSR, 1), DriveError::kNone);  // from inside a file
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 2, 0, 7));
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);  // the last filemark
  EXPECT_EQ(d.status().file, 3);
  EXPECT_EQ(d.status().block_address, 9u);
  EXPECT_EQ(mt_operation(d, MTFSF, 1), DriveError::kIo);
  EXPECT_EQ(d.status().file, 3);
  EXPECT_EQ(d.status().block_address, 9u);
  EXPECT_TRUE(mt_gstat(d.status()) & kEod);
  // Too many at once: stops at end of data, counting the filemarks passed.
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  EXPECT_EQ(mt_operation(d, MTFSF, 5), DriveError::kIo);
  EXPECT_EQ(d.status().file, 3);
  EXPECT_EQ(d.status().block_address, 9u);
  // MTFSF 0 does nothing.
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  EXPECT_EQ(mt_operation(d, MTFSF, 0), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, 0, 0));
}

TEST_F(TapeDriveTest, BsfStopsBeforeTheFilemarkWithTheBlockNumberUnknown) {
  TapeDrive d(0);
  make_standard_tape(d);
  ASSERT_EQ(mt_operation(d, MTFSF, 2), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTFSR, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 2, 1, 8));
  ASSERT_EQ(mt_operation(d, MTBSF, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 1, -1, 6));
  // Reading on from there meets the filemark it stopped before.
  EXPECT_TRUE(read_from(d).data.empty());
  EXPECT_TRUE(at(d, 2, 0, 7));
  ASSERT_EQ(mt_operation(d, MTBSF, 2), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, -1, 3));
  EXPECT_EQ(mt_gstat(d.status()) & (kBot | kEof), 0u);
  ASSERT_EQ(mt_operation(d, MTBSR, 1), DriveError::kNone);
  EXPECT_EQ(read_from(d).data, data_of(300, 3));
}

// st: a backward space that hits the beginning of tape fails with EIO and
// leaves the tape at BOT, file 0 block 0 (not unknown).
TEST_F(TapeDriveTest, BsfHittingBeginningOfTapeFailsAtBlockZero) {
  TapeDrive d(0);
  make_standard_tape(d);
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTFSR, 1), DriveError::kNone);
  EXPECT_EQ(mt_operation(d, MTBSF, 2), DriveError::kIo);
  EXPECT_TRUE(at(d, 0, 0, 0));
  EXPECT_TRUE(mt_gstat(d.status()) & kBot);
  EXPECT_EQ(mt_operation(d, MTBSF, 1), DriveError::kIo);
  EXPECT_TRUE(at(d, 0, 0, 0));
}

TEST_F(TapeDriveTest, FsrAndBsrCountRecordsAndStopAtFilemarks) {
  TapeDrive d(0);
  make_standard_tape(d);
  ASSERT_EQ(mt_operation(d, MTFSR, 2), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, 2, 2));
  // Forward over a filemark: EIO, the tape is past it.
  EXPECT_EQ(mt_operation(d, MTFSR, 2), DriveError::kIo);
  EXPECT_TRUE(at(d, 1, 0, 4));
  ASSERT_EQ(mt_operation(d, MTFSR, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 1, 1, 5));
  ASSERT_EQ(mt_operation(d, MTBSR, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 1, 0, 4));
  EXPECT_EQ(read_from(d).data, data_of(400, 4));
  ASSERT_EQ(mt_operation(d, MTBSR, 1), DriveError::kNone);
  // Backward over a filemark: EIO, the tape is before it (end of file 0).
  EXPECT_EQ(mt_operation(d, MTBSR, 1), DriveError::kIo);
  EXPECT_TRUE(at(d, 0, -1, 3));
  EXPECT_EQ(read_from(d).error, DriveError::kNone);  // the filemark again
  EXPECT_TRUE(at(d, 1, 0, 4));
  // Backward to BOT: the count is done exactly at BOT.
  ASSERT_EQ(mt_operation(d, MTBSF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTBSR, 3), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, 0, 0));
  EXPECT_TRUE(mt_gstat(d.status()) & kBot);
  // Past BOT: EIO, still at BOT.
  EXPECT_EQ(mt_operation(d, MTBSR, 1), DriveError::kIo);
  EXPECT_TRUE(at(d, 0, 0, 0));
  ASSERT_EQ(mt_operation(d, MTFSR, 1), DriveError::kNone);
  EXPECT_EQ(mt_operation(d, MTBSR, 5), DriveError::kIo);
  EXPECT_TRUE(at(d, 0, 0, 0));
  // Forward at end of data: EIO, no motion.
  ASSERT_EQ(mt_operation(d, MTEOM, 1), DriveError::kNone);
  EXPECT_EQ(mt_operation(d, MTFSR, 1), DriveError::kIo);
  EXPECT_EQ(d.status().file, 3);
  EXPECT_EQ(d.status().block_address, 9u);
}

TEST_F(TapeDriveTest, FsfmAndBsfm) {
  TapeDrive d(0);
  make_standard_tape(d);
  // FSFM 2 = FSF 2 then BSF 1: at the end of file 1, before its filemark.
  ASSERT_EQ(mt_operation(d, MTFSFM, 2), DriveError::kNone);
  EXPECT_TRUE(at(d, 1, -1, 6));
  // BSFM 1 = BSF 1 then FSF 1: the start of the current file (file 1).
  ASSERT_EQ(mt_operation(d, MTBSFM, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 1, 0, 4));
  EXPECT_EQ(read_from(d).data, data_of(400, 4));
  // BSFM 2 inside file 1: BSF 2 meets BOT after one filemark and fails there.
  EXPECT_EQ(mt_operation(d, MTBSFM, 2), DriveError::kIo);
  EXPECT_EQ(d.status().block_address, 0u);
  EXPECT_EQ(d.status().file, 0);
  // FSFM past end of data fails at end of data.
  EXPECT_EQ(mt_operation(d, MTFSFM, 4), DriveError::kIo);
  EXPECT_EQ(d.status().block_address, 9u);
  EXPECT_EQ(d.status().file, 3);
  // FSFM 1 from BOT: the end of file 0.
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTFSFM, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, -1, 3));
  // BSFM 2 from file 2 block 0: the start of file 1.
  ASSERT_EQ(mt_operation(d, MTSEEK, 7), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTBSFM, 2), DriveError::kNone);
  EXPECT_TRUE(at(d, 1, 0, 4));
}

TEST_F(TapeDriveTest, EomGoesToEndOfDataKeepingTheFileNumber) {
  TapeDrive d(0);
  make_standard_tape(d);
  ASSERT_EQ(mt_operation(d, MTEOM, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 3, -1, 9));
  uint32_t g = mt_gstat(d.status());
  EXPECT_TRUE(g & kEod);
  EXPECT_FALSE(g & kBot);
  // A second MTEOM stays.
  ASSERT_EQ(mt_operation(d, MTEOM, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 3, -1, 9));
  // Reading there: end of data, not after a filemark as far as st knows.
  EXPECT_EQ(read_from(d).error, DriveError::kIo);
  ASSERT_EQ(d.release(), DriveError::kNone);
  // Appending at end of data.
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTEOM, 1), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(700, 7)), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  std::vector<Obj> expect = standard_objects();
  expect.push_back(R(700));
  expect.push_back(FM());
  EXPECT_EQ(image_objects(cart_.image_path), expect);
  // On a blank tape MTEOM stays at BOT.
  TapeDrive blank(1);
  load_fresh(blank, "BLANK");
  ASSERT_EQ(blank.open(kReadOnly), DriveError::kNone);
  ASSERT_EQ(mt_operation(blank, MTEOM, 1), DriveError::kNone);
  EXPECT_EQ(blank.status().block_address, 0u);
  EXPECT_EQ(blank.status().file, 0);
}

TEST_F(TapeDriveTest, SeekGoesToABlockAddressThatMtiocposReports) {
  TapeDrive d(0);
  make_standard_tape(d);
  ASSERT_EQ(mt_operation(d, MTSEEK, 5), DriveError::kNone);
  EXPECT_EQ(d.status().block_address, 5u);
  EXPECT_EQ(d.status().file, 1);
  EXPECT_EQ(read_from(d).data, data_of(500, 5));
  ASSERT_EQ(mt_operation(d, MTSEEK, 2), DriveError::kNone);  // backwards
  EXPECT_EQ(d.status().block_address, 2u);
  EXPECT_EQ(read_from(d).data, data_of(300, 3));
  ASSERT_EQ(mt_operation(d, MTSEEK, 0), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, 0, 0));
  EXPECT_TRUE(mt_gstat(d.status()) & kBot);
  // The address after a filemark is the first block of the next file.
  ASSERT_EQ(mt_operation(d, MTSEEK, 7), DriveError::kNone);
  EXPECT_EQ(read_from(d).data, data_of(600, 6));
  // The address of end of data is reachable, nothing beyond.
  ASSERT_EQ(mt_operation(d, MTSEEK, 9), DriveError::kNone);
  EXPECT_EQ(d.status().block_address, 9u);
  EXPECT_EQ(mt_operation(d, MTSEEK, 20), DriveError::kIo);
  EXPECT_EQ(d.status().block_address, 9u);
  EXPECT_EQ(mt_operation(d, MTSEEK, -1), DriveError::kInvalidArgument);
  // What a tell (MTIOCPOS) gives, a seek takes back.
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTFSR, 1), DriveError::kNone);
  uint64_t told = d.status().block_address;
  EXPECT_EQ(told, 5u);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTSEEK, static_cast<int>(told)), DriveError::kNone);
  EXPECT_EQ(read_from(d).data, data_of(500, 5));
}

TEST_F(TapeDriveTest, EraseCutsTheTapeAtThePosition) {
  TapeDrive d(0);
  make_standard_tape(d);
  ASSERT_EQ(d.release(), DriveError::kNone);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTERASE, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 1, 0, 4));
  EXPECT_TRUE(mt_gstat(d.status()) & kEod);
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(100), R(201), R(300), FM()}));
  ReadResult r = read_from(d);  // end of data right after a filemark
  EXPECT_EQ(r.error, DriveError::kNone);
  EXPECT_TRUE(r.data.empty());
  EXPECT_EQ(read_from(d).error, DriveError::kIo);
  ASSERT_EQ(d.release(), DriveError::kNone);  // erasing is not writing: no filemark
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(100), R(201), R(300), FM()}));
  // At BOT it blanks the tape.
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTERASE, 1), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_TRUE(image_objects(cart_.image_path).empty());
  EXPECT_EQ(std::filesystem::file_size(cart_.image_path), 0u);
}

TEST_F(TapeDriveTest, EraseRightAfterWritingCutsAndWritesNoFilemark) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  for (uint32_t i = 1; i <= 3; ++i) ASSERT_EQ(d.write(data_of(100 * i, i)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTBSR, 2), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTERASE, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, 1, 1));
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(100)}));
  EXPECT_EQ(std::filesystem::file_size(cart_.image_path), simh_size({R(100)}));
  EXPECT_FALSE(std::filesystem::exists(cart_.image_path + ".dirty"));
}

TEST_F(TapeDriveTest, WeofWritesCountFilemarks) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTWEOF, 0), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, 0, 0));
  ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 1, 0, 1));
  ASSERT_EQ(mt_operation(d, MTWEOF, 3), DriveError::kNone);
  EXPECT_TRUE(at(d, 4, 0, 4));
  EXPECT_TRUE(mt_gstat(d.status()) & kEof);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{FM(), FM(), FM(), FM()}));
  // Writing filemarks in the middle cuts off what followed.
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTSEEK, 1), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(5, 1)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTWEOF, 2), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{FM(), R(5), FM(), FM()}));
}

// ---- write protection, no medium, busy -------------------------------------

TEST_F(TapeDriveTest, WriteProtectedCartridge) {
  Cartridge c = cartridge("PROT01");
  {
    // Some data on it first.
    TapeDrive w(0);
    ASSERT_TRUE(w.load(c).is_ok());
    ASSERT_EQ(w.open(kWritable), DriveError::kNone);
    ASSERT_EQ(w.write(data_of(10, 1)), DriveError::kNone);
    ASSERT_EQ(w.release(), DriveError::kNone);
    ASSERT_TRUE(w.unload().is_ok());
  }
  uint64_t size = std::filesystem::file_size(c.image_path);
  c.write_protected = true;
  TapeDrive d(0);
  ASSERT_TRUE(d.load(c).is_ok());
  EXPECT_TRUE(d.status().write_protected);
  EXPECT_TRUE(mt_gstat(d.status()) & kWrProt);
  EXPECT_EQ(d.open(kWritable), DriveError::kReadOnlyMedium);
  EXPECT_EQ(d.open(kRewindWritable), DriveError::kReadOnlyMedium);
  // Non-blocking: the open succeeds, writing does not.
  ASSERT_EQ(d.open(kNonblockingWritable), DriveError::kNone);
  EXPECT_EQ(d.write(data_of(10, 2)), DriveError::kWriteProtected);
  EXPECT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kWriteProtected);
  EXPECT_EQ(mt_operation(d, MTERASE, 1), DriveError::kWriteProtected);
  EXPECT_EQ(read_from(d).data, data_of(10, 1));  // reading works
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  EXPECT_EQ(mt_operation(d, MTERASE, 1), DriveError::kWriteProtected);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(std::filesystem::file_size(c.image_path), size);
  // Read-only opens are fine.
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  // Protection can change while loaded.
  d.set_write_protected(false);
  EXPECT_FALSE(mt_gstat(d.status()) & kWrProt);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  d.set_write_protected(true);
  EXPECT_EQ(d.open(kWritable), DriveError::kReadOnlyMedium);
}

TEST_F(TapeDriveTest, ReadOnlyHandleCannotWrite) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  EXPECT_EQ(d.write(data_of(10, 1)), DriveError::kWriteProtected);
  EXPECT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kWriteProtected);
  EXPECT_EQ(mt_operation(d, MTERASE, 1), DriveError::kWriteProtected);
  EXPECT_FALSE(mt_gstat(d.status()) & kWrProt);  // the cartridge itself is writable
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(std::filesystem::file_size(cart_.image_path), 0u);
}

TEST_F(TapeDriveTest, EmptyDrive) {
  TapeDrive d(0);
  EXPECT_EQ(d.open(kReadOnly), DriveError::kNoMedium);
  EXPECT_EQ(d.open(kWritable), DriveError::kNoMedium);
  ASSERT_EQ(d.open(kNonblockingReadOnly), DriveError::kNone);
  DriveStatus st = d.status();
  EXPECT_FALSE(st.loaded);
  EXPECT_TRUE(st.open);
  EXPECT_EQ(mt_gstat(st), kDrOpen);  // no ONLINE, no BOT
  std::vector<uint8_t> out;
  EXPECT_EQ(d.read(1024, &out), DriveError::kNoMedium);
  EXPECT_EQ(d.write(data_of(10, 1)), DriveError::kNoMedium);
  for (int op : {MTFSF, MTBSF, MTFSR, MTBSR, MTWEOF, MTREW, MTOFFL, MTRETEN, MTEOM, MTERASE, MTSEEK, MTLOAD,
                 MTFSFM, MTBSFM}) {
    EXPECT_EQ(mt_operation(d, op, 1), DriveError::kNoMedium) << "op " << op;
  }
  // Settings work without a tape (mt-st opens O_NONBLOCK for them).
  EXPECT_EQ(mt_operation(d, MTSETBLK, 1024), DriveError::kNone);
  EXPECT_EQ(mt_operation(d, MTSETDENSITY, 0x42), DriveError::kNone);
  EXPECT_EQ(mt_dsreg(d.status()), 0x42000400u);
  EXPECT_EQ(mt_operation(d, MTNOP, 1), DriveError::kNone);
  EXPECT_EQ(d.release(), DriveError::kNone);
  EXPECT_FALSE(d.unload().is_ok());
}

TEST_F(TapeDriveTest, SecondOpenIsBusy) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  EXPECT_EQ(d.open(kReadOnly), DriveError::kBusy);
  EXPECT_EQ(d.open(kNonblockingWritable), DriveError::kBusy);
  EXPECT_TRUE(d.status().open);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_FALSE(d.status().open);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  // An empty drive is busy while open too.
  TapeDrive e(1);
  ASSERT_EQ(e.open(kNonblockingReadOnly), DriveError::kNone);
  EXPECT_EQ(e.open(kNonblockingReadOnly), DriveError::kBusy);
}

// ---- end of medium -----------------------------------------------------------

TEST_F(TapeDriveTest, EarlyWarningAlternatesNoSpaceAndThePhysicalEndFailsEveryWrite) {
  constexpr uint64_t kCapacity = 256 << 10;
  TapeDrive d(0);
  load_fresh(d, "SMALL", kCapacity);
  DriveStatus st0 = d.status();
  ASSERT_GT(st0.early_warning, 0u);
  ASSERT_LT(st0.early_warning, kCapacity);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  constexpr size_t kRecord = 2000;
  int written = 0;
  uint32_t seed = 0;
  // Before early warning every write succeeds; the one that crosses it too.
  while (d.status().used < st0.early_warning) {
    ASSERT_FALSE(mt_gstat(d.status()) & kEot);
    ASSERT_EQ(d.write(data_of(kRecord, ++seed)), DriveError::kNone) << "record " << written;
    ++written;
  }
  EXPECT_TRUE(mt_gstat(d.status()) & kEot);
  // Then they alternate: ENOSPC writing nothing, success.
  int alternations = 0;
  DriveError e = DriveError::kNone;
  for (;;) {
    uint64_t before = d.status().used;
    uint64_t addr = d.status().block_address;
    e = d.write(data_of(kRecord, seed + 1));
    ASSERT_EQ(e, DriveError::kNoSpace) << "after " << alternations << " alternations";
    EXPECT_EQ(d.status().used, before);
    EXPECT_EQ(d.status().block_address, addr);
    e = d.write(data_of(kRecord, ++seed));
    if (e != DriveError::kNone) break;  // the physical end
    ++written;
    ++alternations;
    ASSERT_LT(alternations, 100);
  }
  EXPECT_GE(alternations, 2);  // 16 KiB of early-warning zone hold several
  EXPECT_EQ(e, DriveError::kNoSpace);
  // At the physical end every write fails and writes nothing.
  uint64_t end = d.status().used;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(d.write(data_of(kRecord, 999)), DriveError::kNoSpace) << i;
    EXPECT_EQ(d.status().used, end);
  }
  EXPECT_LE(d.status().used, kCapacity);
  // The filemark at close still fits.
  ASSERT_EQ(d.release(), DriveError::kNone);
  std::vector<std::vector<uint8_t>> records;
  std::vector<Obj> objs = image_objects(cart_.image_path, &records);
  ASSERT_EQ(objs.size(), static_cast<size_t>(written) + 1);
  EXPECT_EQ(objs.back(), FM());
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i], data_of(kRecord, static_cast<uint32_t>(i + 1)));
  EXPECT_LE(std::filesystem::file_size(cart_.image_path), kCapacity);
}

TEST_F(TapeDriveTest, EarlyWarningErrorIsResetByAnOperation) {
  constexpr uint64_t kCapacity = 256 << 10;
  TapeDrive d(0);
  load_fresh(d, "SMALL", kCapacity);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  uint64_t ew = d.status().early_warning;
  while (d.status().used < ew) ASSERT_EQ(d.write(data_of(1000, 1)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
  // A new tape file past early warning: its first write fails once, then works.
  EXPECT_EQ(d.write(data_of(1000, 2)), DriveError::kNone);
  EXPECT_EQ(d.write(data_of(1000, 3)), DriveError::kNoSpace);
  EXPECT_EQ(d.write(data_of(1000, 3)), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  // Rewound, the tape writes from the start again without errors.
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  EXPECT_FALSE(mt_gstat(d.status()) & kEot);
  EXPECT_EQ(d.write(data_of(1000, 4)), DriveError::kNone);
  EXPECT_EQ(d.write(data_of(1000, 5)), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(1000), R(1000), FM()}));
}

// ---- status ------------------------------------------------------------------

TEST_F(TapeDriveTest, StatusBits) {
  TapeDrive d(0);
  load_fresh(d);
  EXPECT_EQ(mt_gstat(d.status()), kBot | kEod | kOnline | kImRepEn);  // blank tape
  EXPECT_EQ(d.status().volser, "T00001");
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(10, 1)), DriveError::kNone);
  EXPECT_EQ(mt_gstat(d.status()), kEod | kOnline | kImRepEn);
  ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
  EXPECT_EQ(mt_gstat(d.status()), kEof | kEod | kOnline | kImRepEn);
  ASSERT_EQ(d.write(data_of(10, 2)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  EXPECT_EQ(mt_gstat(d.status()), kBot | kOnline | kImRepEn);
  ASSERT_EQ(read_from(d).error, DriveError::kNone);
  EXPECT_EQ(mt_gstat(d.status()), kOnline | kImRepEn);
  ASSERT_EQ(read_from(d).error, DriveError::kNone);  // filemark
  EXPECT_EQ(mt_gstat(d.status()), kEof | kOnline | kImRepEn);
  ASSERT_EQ(mt_operation(d, MTBSF, 1), DriveError::kNone);
  EXPECT_EQ(mt_gstat(d.status()), kOnline | kImRepEn);
  ASSERT_EQ(mt_operation(d, MTEOM, 1), DriveError::kNone);
  EXPECT_EQ(mt_gstat(d.status()), kEod | kOnline | kImRepEn);  // block -1: not EOF
  ASSERT_EQ(d.release(), DriveError::kNone);
  d.set_write_protected(true);
  EXPECT_EQ(mt_gstat(d.status()), kEod | kOnline | kImRepEn | kWrProt);
  ASSERT_TRUE(d.unload().is_ok());
  EXPECT_EQ(mt_gstat(d.status()), kDrOpen);
  EXPECT_FALSE(d.status().loaded);
}

TEST_F(TapeDriveTest, DsregCarriesBlockSizeAndDensity) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  EXPECT_EQ(mt_dsreg(d.status()), 0u);
  ASSERT_EQ(mt_operation(d, MTSETBLK, 1024), DriveError::kNone);
  EXPECT_EQ(mt_dsreg(d.status()), 1024u);
  ASSERT_EQ(mt_operation(d, MTSETDENSITY, 0x44), DriveError::kNone);
  EXPECT_EQ(mt_dsreg(d.status()), 0x44000400u);
  EXPECT_EQ(d.status().density, 0x44);
  EXPECT_EQ(d.status().block_size, 1024u);
  ASSERT_EQ(mt_operation(d, MTSETBLK, 0), DriveError::kNone);
  EXPECT_EQ(mt_dsreg(d.status()), 0x44000000u);
  EXPECT_EQ(mt_operation(d, MTSETBLK, -1), DriveError::kInvalidArgument);
  EXPECT_EQ(mt_operation(d, MTSETBLK, static_cast<int>(kMaxDriveRecord) + 1), DriveError::kInvalidArgument);
  EXPECT_EQ(d.status().block_size, 0u);
  // The settings survive a close.
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(mt_dsreg(d.status()), 0x44000000u);
}

TEST_F(TapeDriveTest, UnsupportedOperations) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  EXPECT_EQ(mt_operation(d, MTRESET, 0), DriveError::kNotSupported);
  EXPECT_EQ(mt_operation(d, MTTELL, 0), DriveError::kNotSupported);
  EXPECT_EQ(mt_operation(d, 99, 1), DriveError::kNotSupported);
  EXPECT_EQ(mt_operation(d, MTSETPART, 1), DriveError::kInvalidArgument);
  EXPECT_EQ(mt_operation(d, MTMKPART, 1), DriveError::kInvalidArgument);
  EXPECT_EQ(mt_operation(d, MTFSS, 1), DriveError::kInvalidArgument);
  EXPECT_EQ(mt_operation(d, MTBSS, 1), DriveError::kInvalidArgument);
  EXPECT_EQ(mt_operation(d, MTWSM, 1), DriveError::kInvalidArgument);
  // None of them moved the tape or wrote anything.
  EXPECT_TRUE(at(d, 0, 0, 0));
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_EQ(std::filesystem::file_size(cart_.image_path), 0u);
}

TEST_F(TapeDriveTest, RetensionLoadAndNopRewindOrStay) {
  TapeDrive d(0);
  make_standard_tape(d);
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTNOP, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 1, 0, 4));
  ASSERT_EQ(mt_operation(d, MTRETEN, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, 0, 0));
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTLOAD, 1), DriveError::kNone);
  EXPECT_TRUE(at(d, 0, 0, 0));
  ASSERT_EQ(mt_operation(d, MTCOMPRESSION, 1), DriveError::kNone);
  EXPECT_TRUE(d.status().compression);
  ASSERT_EQ(mt_operation(d, MTCOMPRESSION, 0), DriveError::kNone);
  EXPECT_FALSE(d.status().compression);
}

// ---- cartridges --------------------------------------------------------------

TEST_F(TapeDriveTest, UnloadWhileOpenOrLockedFails) {
  TapeDrive d(0);
  load_fresh(d);
  EXPECT_FALSE(d.load(cartridge("OTHER")).is_ok());  // one cartridge at a time
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  EXPECT_FALSE(d.unload().is_ok());
  EXPECT_EQ(d.loaded_volser(), "T00001");
  ASSERT_EQ(mt_operation(d, MTLOCK, 0), DriveError::kNone);
  EXPECT_TRUE(d.status().locked);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_FALSE(d.unload().is_ok());
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTUNLOCK, 0), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  EXPECT_TRUE(d.unload().is_ok());
  EXPECT_EQ(d.loaded_volser(), std::nullopt);
}

TEST_F(TapeDriveTest, OfflineUnloadsAndTellsTheListener) {
  TapeDrive d(3);
  std::vector<std::pair<int, std::optional<std::string>>> events;
  d.set_listener([&](int drive, const std::optional<std::string>& v) { events.emplace_back(drive, v); });
  load_fresh(d);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], std::make_pair(3, std::optional<std::string>("T00001")));
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(10, 1)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTOFFL, 1), DriveError::kNone);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1], std::make_pair(3, std::optional<std::string>()));
  EXPECT_EQ(d.loaded_volser(), std::nullopt);
  EXPECT_EQ(mt_gstat(d.status()), kDrOpen);
  EXPECT_EQ(mt_operation(d, MTREW, 1), DriveError::kNoMedium);
  std::vector<uint8_t> out;
  EXPECT_EQ(d.read(100, &out), DriveError::kNoMedium);
  ASSERT_EQ(d.release(), DriveError::kNone);
  // The filemark before unloading, the image closed clean.
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(10), FM()}));
  EXPECT_EQ(std::filesystem::file_size(cart_.image_path), simh_size({R(10), FM()}));
  EXPECT_FALSE(std::filesystem::exists(cart_.image_path + ".dirty"));
  // MTUNLOAD does the same; the cartridge loads again at BOT.
  ASSERT_TRUE(d.load(cart_).is_ok());
  EXPECT_TRUE(at(d, 0, 0, 0));
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTFSF, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTUNLOAD, 1), DriveError::kNone);
  EXPECT_EQ(events.size(), 4u);
  EXPECT_FALSE(d.status().loaded);
  ASSERT_EQ(d.release(), DriveError::kNone);
}

// ---- the image on disk -------------------------------------------------------

TEST_F(TapeDriveTest, ImageIsValidAndTheCrashGuardIsGoneAfterRelease) {
  TapeDrive d(0);
  load_fresh(d);
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(101, 1)), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(64, 2)), DriveError::kNone);
  ASSERT_EQ(d.fsync(), DriveError::kNone);
  // While writing: a dirty marker, and an end guard after the last record.
  EXPECT_TRUE(std::filesystem::exists(cart_.image_path + ".dirty"));
  std::vector<uint8_t> mid = read_file_bytes(cart_.image_path);
  uint64_t data_size = simh_size({R(101), R(64)});
  ASSERT_EQ(mid.size(), data_size + 4);
  EXPECT_EQ(std::vector<uint8_t>(mid.end() - 4, mid.end()), (std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(image_objects(cart_.image_path), (std::vector<Obj>{R(101), R(64)}));
  ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
  ASSERT_EQ(d.write(data_of(7, 3)), DriveError::kNone);
  ASSERT_EQ(d.release(), DriveError::kNone);
  std::vector<Obj> expect = {R(101), R(64), FM(), R(7), FM()};
  std::vector<std::vector<uint8_t>> records;
  EXPECT_EQ(image_objects(cart_.image_path, &records), expect);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], data_of(101, 1));
  EXPECT_EQ(records[1], data_of(64, 2));
  EXPECT_EQ(records[2], data_of(7, 3));
  // The file ends right after the last filemark (four zero bytes).
  std::vector<uint8_t> bytes = read_file_bytes(cart_.image_path);
  ASSERT_EQ(bytes.size(), simh_size(expect));
  EXPECT_EQ(std::vector<uint8_t>(bytes.end() - 4, bytes.end()), (std::vector<uint8_t>{0, 0, 0, 0}));
  EXPECT_FALSE(std::filesystem::exists(cart_.image_path + ".dirty"));
  // Exact SIMH framing of the first record: length, data, pad, length.
  std::vector<uint8_t> first;
  put_simh_record(first, data_of(101, 1));
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(first.size())), first);
}

TEST_F(TapeDriveTest, DestroyingTheDriveLeavesACleanImage) {
  std::string path;
  {
    TapeDrive d(0);
    load_fresh(d);
    path = cart_.image_path;
    ASSERT_EQ(d.open(kWritable), DriveError::kNone);
    ASSERT_EQ(d.write(data_of(33, 1)), DriveError::kNone);
    ASSERT_EQ(d.release(), DriveError::kNone);
  }
  EXPECT_EQ(image_objects(path), (std::vector<Obj>{R(33), FM()}));
  EXPECT_EQ(std::filesystem::file_size(path), simh_size({R(33), FM()}));
}

}  // namespace
}  // namespace vtape::testing
