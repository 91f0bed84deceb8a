// Tape semantics common to every format: position, spacing, rewind, end of
// data, overwrite in the middle, and a full disk.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tapeformat/image_file.h"
#include "tapeformat/tape_motion.h"
#include "tests/tapeformat/test_images.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

class EveryWritableFormat : public ::testing::TestWithParam<Format> {};

INSTANTIATE_TEST_SUITE_P(Formats, EveryWritableFormat,
                         ::testing::Values(Format::kSimh, Format::kE11, Format::kMtd, Format::kAws,
                                           Format::kHet),
                         [](const auto& info) { return std::string(format_name(info.param)); });

std::vector<Obj> sample_tape() {
  return {rec("A1"), rec("A22"), rec(pattern_bytes(513, 1)), fm(), fm(), rec("B1"), rec(pattern_bytes(65537, 2)),
          fm(), rec("C1"), fm()};
}

TEST_P(EveryWritableFormat, RoundTripsEveryObject) {
  TempDir dir;
  std::string p = dir.file("t.img");
  write_image(p, GetParam(), sample_tape());
  EXPECT_EQ(read_all(p, GetParam()), sample_tape());
}

TEST_P(EveryWritableFormat, PositionCountsFilesBlocksAndObjects) {
  TempDir dir;
  std::string p = dir.file("t.img");
  write_image(p, GetParam(), sample_tape());
  auto img = open_image(p, GetParam());
  TapeObject obj;
  std::vector<uint8_t> data;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(img->read(&obj, &data).is_ok());
  EXPECT_EQ(img->position().file, 0u);
  EXPECT_EQ(img->position().block, 3);
  ASSERT_TRUE(img->read(&obj, &data).is_ok());
  EXPECT_EQ(obj.kind, ObjectKind::kFilemark);
  EXPECT_EQ(img->position().file, 1u);
  EXPECT_EQ(img->position().block, 0);
  EXPECT_EQ(img->position().object_index, 4u);
  // Back over the filemark: file 0, block unknown, as the st driver reports.
  ASSERT_TRUE(img->step_back(&obj).is_ok());
  EXPECT_EQ(obj.kind, ObjectKind::kFilemark);
  EXPECT_EQ(img->position().file, 0u);
  EXPECT_EQ(img->position().block, -1);
  EXPECT_EQ(img->position().object_index, 3u);
  ASSERT_TRUE(img->rewind().is_ok());
  EXPECT_TRUE(img->position().at_bot());
  EXPECT_EQ(img->position().offset, 0u);
}

TEST_P(EveryWritableFormat, SpacingOverRecordsAndFiles) {
  TempDir dir;
  std::string p = dir.file("t.img");
  write_image(p, GetParam(), sample_tape());
  auto img = open_image(p, GetParam());
  Motion m;
  // Forward 10 records: stops past the first filemark after 3.
  ASSERT_TRUE(space_records_forward(*img, 10, &m).is_ok());
  EXPECT_EQ(m.done, 3u);
  EXPECT_EQ(m.stopped_at, ObjectKind::kFilemark);
  EXPECT_EQ(img->position().file, 1u);
  // Forward 2 files: past the empty file 1 and file 2.
  ASSERT_TRUE(space_files_forward(*img, 2, &m).is_ok());
  EXPECT_EQ(m.done, 2u);
  EXPECT_EQ(img->position().file, 3u);
  std::vector<uint8_t> data;
  TapeObject obj;
  ASSERT_TRUE(img->read(&obj, &data).is_ok());
  EXPECT_EQ(rec(data), rec("C1"));
  // Backward 5 records: stops after crossing the filemark before C1.
  ASSERT_TRUE(space_records_backward(*img, 5, &m).is_ok());
  EXPECT_EQ(m.done, 1u);
  EXPECT_EQ(m.stopped_at, ObjectKind::kFilemark);
  EXPECT_EQ(img->position().file, 2u);
  ASSERT_TRUE(img->read(&obj, &data).is_ok());
  EXPECT_EQ(obj.kind, ObjectKind::kFilemark);
  // Backward 3 files then forward 1: the start of file 1 (the empty one).
  ASSERT_TRUE(space_files_backward(*img, 3, &m).is_ok());
  EXPECT_EQ(m.done, 3u);
  ASSERT_TRUE(space_files_forward(*img, 1, &m).is_ok());
  EXPECT_EQ(img->position().file, 1u);
  ASSERT_TRUE(img->read(&obj, &data).is_ok());
  EXPECT_EQ(obj.kind, ObjectKind::kFilemark);
  // Backward past everything: beginning of tape.
  ASSERT_TRUE(space_files_backward(*img, 99, &m).is_ok());
  EXPECT_EQ(m.stopped_at, ObjectKind::kBeginningOfTape);
  EXPECT_TRUE(img->position().at_bot());
  // Forward past everything: end of data, which stays where it is.
  ASSERT_TRUE(space_files_forward(*img, 99, &m).is_ok());
  EXPECT_EQ(m.done, 4u);
  EXPECT_EQ(m.stopped_at, ObjectKind::kEndOfData);
  ASSERT_TRUE(img->read(&obj, &data).is_ok());
  EXPECT_EQ(obj.kind, ObjectKind::kEndOfData);
}

// Spacing over records of a few KiB (MTEOM, vtape verify) reads the image in
// whole windows, not with a system call for each record's length words.
TEST_P(EveryWritableFormat, SpacingOverSmallRecordsTakesFewReads) {
  TempDir dir;
  std::string p = dir.file("t.img");
  std::vector<Obj> tape;
  for (int i = 0; i < 2000; ++i) tape.push_back(rec(pattern_bytes(10240, i)));
  tape.push_back(fm());
  WriteOptions o;
  o.compression = Compression::kNone;
  write_image(p, GetParam(), tape, o);

  auto img = open_image(p, GetParam());
  ASSERT_TRUE(img->seek_end_of_data().is_ok());
  EXPECT_EQ(img->position().file, 1u);
  // 20 MiB of image: about 20 whole windows of 1 MiB; one read a record
  // would be 2000.
  EXPECT_LT(img->reads(), 200u) << "spacing over 2000 records of 10 KiB";
}

// Spacing over large records reads their framing, not their data (MTEOM on
// a big cartridge must not read all of it), and reading on afterwards still
// gives every record whole.
TEST_P(EveryWritableFormat, SpacingOverLargeRecordsReadsLittleOfTheImage) {
  TempDir dir;
  std::string p = dir.file("t.img");
  std::vector<Obj> tape;
  for (int file = 0; file < 4; ++file) {
    for (int i = 0; i < 16; ++i) tape.push_back(rec(pattern_bytes(256 * 1024 + i, file * 16 + i)));
    tape.push_back(fm());
  }
  WriteOptions o;
  o.compression = Compression::kNone;
  write_image(p, GetParam(), tape, o);
  uint64_t data = 64 * (256 * 1024);

  auto img = open_image(p, GetParam());
  ASSERT_TRUE(img->seek_end_of_data().is_ok());
  EXPECT_EQ(img->position().file, 4u);
  EXPECT_LT(img->bytes_read(), data / 4) << "spacing to the end read " << img->bytes_read() << " bytes";
  uint64_t forward = img->bytes_read();
  Motion m;
  ASSERT_TRUE(space_files_backward(*img, 99, &m).is_ok());
  EXPECT_TRUE(img->position().at_bot());
  EXPECT_LT(img->bytes_read() - forward, data / 4) << "spacing back read " << img->bytes_read() - forward;

  // From the start of file 2 every record reads back whole.
  ASSERT_TRUE(space_files_forward(*img, 2, &m).is_ok());
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 16; ++i) {
    TapeObject obj;
    ASSERT_TRUE(img->read(&obj, &bytes).is_ok());
    EXPECT_EQ(rec(bytes), rec(pattern_bytes(256 * 1024 + i, 32 + i))) << i;
  }
}

TEST_P(EveryWritableFormat, WriteInTheMiddleDiscardsTheRest) {
  TempDir dir;
  std::string p = dir.file("t.img");
  write_image(p, GetParam(), sample_tape());
  auto img = open_image(p, GetParam(), true);
  Motion m;
  ASSERT_TRUE(space_files_forward(*img, 2, &m).is_ok());
  ASSERT_TRUE(img->write_record(std::vector<uint8_t>{'N', 'E', 'W'}).is_ok());
  ASSERT_TRUE(img->write_filemark().is_ok());
  ASSERT_TRUE(img->close().is_ok());
  EXPECT_EQ(read_all(p, GetParam()),
            (std::vector<Obj>{rec("A1"), rec("A22"), rec(pattern_bytes(513, 1)), fm(), fm(), rec("NEW"), fm()}));
}

TEST_P(EveryWritableFormat, WriteAfterBackspaceReplacesTheLastRecord) {
  // What tar -r does: back up over a record, then write.
  TempDir dir;
  std::string p = dir.file("t.img");
  write_image(p, GetParam(), {rec("ONE"), rec("TWO")});
  auto img = open_image(p, GetParam(), true);
  ASSERT_TRUE(img->seek_end_of_data().is_ok());
  TapeObject obj;
  ASSERT_TRUE(img->step_back(&obj).is_ok());
  ASSERT_TRUE(img->write_record(std::vector<uint8_t>{'2', '2'}).is_ok());
  ASSERT_TRUE(img->write_record(std::vector<uint8_t>{'3'}).is_ok());
  ASSERT_TRUE(img->close().is_ok());
  EXPECT_EQ(read_all(p, GetParam()), (std::vector<Obj>{rec("ONE"), rec("22"), rec("3")}));
}

TEST_P(EveryWritableFormat, EraseToEndLeavesAValidShorterTape) {
  TempDir dir;
  std::string p = dir.file("t.img");
  write_image(p, GetParam(), sample_tape());
  auto img = open_image(p, GetParam(), true);
  Motion m;
  ASSERT_TRUE(space_files_forward(*img, 1, &m).is_ok());
  ASSERT_TRUE(img->erase_to_end().is_ok());
  ASSERT_TRUE(img->close().is_ok());
  EXPECT_EQ(read_all(p, GetParam()), (std::vector<Obj>{rec("A1"), rec("A22"), rec(pattern_bytes(513, 1)), fm()}));
}

TEST_P(EveryWritableFormat, AppendAfterReopenAtEndOfData) {
  TempDir dir;
  std::string p = dir.file("t.img");
  write_image(p, GetParam(), {rec("FIRST"), fm()});
  {
    auto img = open_image(p, GetParam(), true);
    ASSERT_TRUE(img->seek_end_of_data().is_ok());
    ASSERT_TRUE(img->write_record(std::vector<uint8_t>{'S'}).is_ok());
    ASSERT_TRUE(img->write_filemark().is_ok());
    ASSERT_TRUE(img->sync().is_ok());
  }
  EXPECT_EQ(read_all(p, GetParam()), (std::vector<Obj>{rec("FIRST"), fm(), rec("S"), fm()}));
}

TEST_P(EveryWritableFormat, ReadOnlyImageRefusesWrites) {
  TempDir dir;
  std::string p = dir.file("t.img");
  write_image(p, GetParam(), {rec("X")});
  auto img = open_image(p, GetParam(), false);
  EXPECT_EQ(img->write_record(std::vector<uint8_t>{'Y'}).code(), StatusCode::kNotSupported);
  EXPECT_EQ(read_all(p, GetParam()), (std::vector<Obj>{rec("X")}));
}

// A 256 KiB tmpfs for the full-disk tests, unmounted when it goes.
class SmallDisk {
 public:
  SmallDisk() : tmpfs_(dir_.file("small"), "256k") {}
  bool mounted() const { return tmpfs_.mounted(); }
  std::string file(const std::string& name) const { return tmpfs_.path() + "/" + name; }

 private:
  TempDir dir_;
  SmallTmpfs tmpfs_;
};

TEST_P(EveryWritableFormat, FullDiskGivesNoSpaceAndLeavesAValidImage) {
  SmallDisk disk;
  ASSERT_TRUE(disk.mounted()) << "mounting a small tmpfs needs root: " << std::strerror(errno);
  std::string p = disk.file("t.img");
  WriteOptions o;
  o.compression = Compression::kNone;  // keep HET from shrinking the data
  auto img = create_image(p, GetParam(), o);
  Status s;
  int written = 0;
  for (; written < 1000; ++written) {
    s = img->write_record(pattern_bytes(20000, written));
    if (s.is_ok() && written % 3 == 2) s = img->sync();
    if (!s.is_ok()) break;
  }
  ASSERT_EQ(s.code(), StatusCode::kNoSpace) << s.message();
  EXPECT_EQ(s.sys_errno(), ENOSPC);
  img.reset();
  // Whatever is in the file reads cleanly: only whole records.
  auto back = read_all(p, GetParam());
  EXPECT_GE(back.size(), 9u);
  EXPECT_LE(back.size(), static_cast<size_t>(written));
  for (size_t i = 0; i < back.size(); ++i) EXPECT_EQ(back[i], rec(pattern_bytes(20000, int(i)))) << i;
}

// Without syncs the records wait in the write buffer; when the disk fills
// up while it is written, the records that fitted whole stay in the image.
TEST_P(EveryWritableFormat, FullDiskKeepsEveryWholeRecordThatFitted) {
  SmallDisk disk;
  ASSERT_TRUE(disk.mounted()) << "mounting a small tmpfs needs root: " << std::strerror(errno);
  std::string p = disk.file("t.img");
  WriteOptions o;
  o.compression = Compression::kNone;
  auto img = create_image(p, GetParam(), o);
  Status s;
  for (int i = 0; i < 1000 && s.is_ok(); ++i) s = img->write_record(pattern_bytes(20000, i));
  if (s.is_ok()) s = img->flush();
  ASSERT_EQ(s.code(), StatusCode::kNoSpace) << s.message();
  img.reset();
  auto back = read_all(p, GetParam());
  EXPECT_GE(back.size(), 256u * 1024 / 20100 - 1);  // what 256 KiB holds, less a record for the file system
  for (size_t i = 0; i < back.size(); ++i) EXPECT_EQ(back[i], rec(pattern_bytes(20000, int(i)))) << i;
}

// An object copied from another file (a raw image restore's large record)
// that does not fit is cut off like a buffered one: the image ends after
// the last whole object, and the next object that fits is written there.
TEST(ImageFileFullDisk, ACopiedObjectThatDoesNotFitIsCutOffAfterTheLastWholeObject) {
  SmallDisk disk;
  ASSERT_TRUE(disk.mounted()) << "mounting a small tmpfs needs root: " << std::strerror(errno);
  TempDir dir;
  std::vector<uint8_t> source_bytes = pattern_bytes(400000, 7);
  write_file_bytes(dir.file("source"), source_bytes);
  int source = ::open(dir.file("source").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(source, 0);
  std::string p = disk.file("t.img");
  {
    ImageFile f;
    ASSERT_TRUE(f.create(p, false).is_ok());
    std::vector<uint8_t> a = pattern_bytes(40000, 1), b = pattern_bytes(40000, 2);
    const std::span<const uint8_t> first[] = {a};
    const std::span<const uint8_t> second[] = {b};
    ASSERT_TRUE(f.append_object(first).is_ok());
    ASSERT_TRUE(f.append_object(second).is_ok());
    Status s = f.append_copied_object(source, 0, source_bytes.size(), "source");
    EXPECT_EQ(s.code(), StatusCode::kNoSpace) << s.message();
    EXPECT_EQ(f.size(), 80000u);
    struct stat st {};
    ASSERT_EQ(stat(p.c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 80000) << "the part of the copy that fitted was left in the image";
    ASSERT_TRUE(f.append_copied_object(source, 1000, 50000, "source").is_ok());
    EXPECT_EQ(f.size(), 130000u);
    ASSERT_TRUE(f.close().is_ok());
  }
  ::close(source);
  std::vector<uint8_t> back = read_file_bytes(p);
  ASSERT_EQ(back.size(), 130000u);
  EXPECT_TRUE(std::equal(back.begin(), back.begin() + 40000, pattern_bytes(40000, 1).begin()));
  EXPECT_TRUE(std::equal(back.begin() + 40000, back.begin() + 80000, pattern_bytes(40000, 2).begin()));
  EXPECT_TRUE(std::equal(back.begin() + 80000, back.end(), source_bytes.begin() + 1000));
}

// A run of objects copied together (a raw image restore copies the objects
// that follow each other in the source in one go, as cp does) that does not
// fit keeps the objects that were copied whole: the image ends after the
// last of them, none is torn, and none that fitted is dropped.
TEST(ImageFileFullDisk, ARunOfCopiedObjectsKeepsEveryObjectThatFitWhole) {
  SmallDisk disk;
  ASSERT_TRUE(disk.mounted()) << "mounting a small tmpfs needs root: " << std::strerror(errno);
  TempDir dir;
  constexpr uint64_t kObject = 40000;
  std::vector<uint8_t> source_bytes = pattern_bytes(10 * kObject, 9);
  write_file_bytes(dir.file("source"), source_bytes);
  int source = ::open(dir.file("source").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(source, 0);
  std::vector<uint64_t> ends;
  for (uint64_t i = 1; i <= 10; ++i) ends.push_back(i * kObject);
  std::string p = disk.file("t.img");
  uint64_t kept = 0;
  {
    ImageFile f;
    ASSERT_TRUE(f.create(p, false).is_ok());
    Status s = f.append_copied_objects(source, 0, ends, "source");
    EXPECT_EQ(s.code(), StatusCode::kNoSpace) << s.message();
    kept = f.size();
    EXPECT_EQ(kept % kObject, 0u) << "a torn object was kept";
    // 256 KiB hold six objects of 40000 bytes; the file system may take one.
    EXPECT_GE(kept, 5 * kObject) << "objects that fitted were dropped";
    ASSERT_TRUE(f.close().is_ok());
  }
  ::close(source);
  std::vector<uint8_t> back = read_file_bytes(p);
  ASSERT_EQ(back.size(), kept);
  EXPECT_TRUE(std::equal(back.begin(), back.end(), source_bytes.begin()));
}

}  // namespace
}  // namespace vtape::testing
