// Early write-back through the direct writer (tapeformat/direct_writer.h):
// full write buffers go to the disk from a thread, their aligned middle with
// O_DIRECT and their edges through the page cache.  The image must come out
// byte for byte as the plain buffered path writes it, keep its end guard's
// protocol, and on a full disk end after a whole object.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tests/tapeformat/test_images.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

class WriteBehind : public ::testing::TestWithParam<Format> {};

INSTANTIATE_TEST_SUITE_P(Formats, WriteBehind,
                         ::testing::Values(Format::kSimh, Format::kE11, Format::kMtd, Format::kAws, Format::kHet),
                         [](const auto& info) { return std::string(format_name(info.param)); });

// Whether files in `dir` can be written with O_DIRECT here, on a file
// system the direct writer trusts (then it must be in use, else the test
// would not test it).
bool direct_io_works(const std::string& dir) {
  struct statfs fs {};
  if (statfs(dir.c_str(), &fs) != 0 || (fs.f_type != 0xEF53 && fs.f_type != 0x58465342 && fs.f_type != 0x9123683E &&
                                        fs.f_type != 0x01021994 && fs.f_type != 0xF2F52010)) {
    return false;
  }
  std::string probe = dir + "/probe";
  int fd = ::open(probe.c_str(), O_CREAT | O_WRONLY | O_DIRECT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

// Records of awkward sizes (odd, one byte, just over a block), a few
// filemarks: about 14 MiB, several write buffers, no buffer boundary on a
// block boundary.
std::vector<Obj> awkward_tape() {
  std::vector<Obj> objs;
  const size_t sizes[] = {65537, 1, 4099, 300001, 4096, 262144, 12345};
  for (int i = 0; i < 84; ++i) {
    objs.push_back(rec(pattern_bytes(sizes[i % 7], static_cast<uint32_t>(i))));
    if (i % 29 == 28) objs.push_back(fm());
  }
  objs.push_back(fm());
  return objs;
}

void write_tape(const std::string& path, Format format, bool write_behind, bool guard) {
  WriteOptions o;
  o.compression = Compression::kNone;
  auto img = create_image(path, format, o);
  ASSERT_TRUE(img);
  img->set_early_writeback(write_behind);
  if (write_behind) {
    EXPECT_EQ(img->writes_behind(), direct_io_works(path.substr(0, path.rfind('/'))));
  }
  if (guard) {
    ASSERT_TRUE(img->enable_crash_guard().is_ok());
  }
  write_objects(*img, awkward_tape());
  if (guard) {
    ASSERT_TRUE(img->disable_crash_guard().is_ok());
  }
  ASSERT_TRUE(img->sync().is_ok());
  ASSERT_TRUE(img->close().is_ok());
}

TEST_P(WriteBehind, WritesTheSameBytesAsThePageCachePath) {
  TempDir dir;
  for (bool guard : {false, true}) {
    SCOPED_TRACE(guard ? "with the end guard" : "without the end guard");
    write_tape(dir.file("plain.img"), GetParam(), false, guard);
    write_tape(dir.file("behind.img"), GetParam(), true, guard);
    EXPECT_TRUE(read_file_bytes(dir.file("behind.img")) == read_file_bytes(dir.file("plain.img")));
    EXPECT_EQ(read_all(dir.file("behind.img"), GetParam()), awkward_tape());
  }
}

// Reading while batches are still on their way waits for them: the reader
// sees every object written so far.
TEST_P(WriteBehind, AReadAfterWritingSeesEverythingWritten) {
  TempDir dir;
  std::string p = dir.file("t.img");
  WriteOptions o;
  o.compression = Compression::kNone;
  auto img = create_image(p, GetParam(), o);
  ASSERT_TRUE(img);
  img->set_early_writeback(true);
  ASSERT_TRUE(img->enable_crash_guard().is_ok());
  write_objects(*img, awkward_tape());
  ASSERT_TRUE(img->rewind().is_ok());
  EXPECT_EQ(read_all(*img), awkward_tape());
  // Another reader of the file (a restore, a crash) sees a whole tape too:
  // the guarded formats end at their guard after the last object.
  ASSERT_TRUE(img->flush().is_ok());
  EXPECT_EQ(read_all(p, GetParam()), awkward_tape());
}

// A full disk under write-behind: the error comes back at a later append or
// at the flush, and the image ends after a whole object (records are a
// prefix of those written), guard or not.
TEST_P(WriteBehind, AFullDiskLeavesAPrefixOfWholeRecords) {
  TempDir dir;
  SmallTmpfs disk(dir.file("small"), "3m");
  ASSERT_TRUE(disk.mounted()) << disk.error();
  for (bool guard : {false, true}) {
    SCOPED_TRACE(guard ? "with the end guard" : "without the end guard");
    std::string p = disk.path() + "/t.img";
    WriteOptions o;
    o.compression = Compression::kNone;
    auto img = create_image(p, GetParam(), o);
    ASSERT_TRUE(img);
    img->set_early_writeback(true);
    if (guard) {
      ASSERT_TRUE(img->enable_crash_guard().is_ok());
    }
    Status s;
    int written = 0;
    for (; written < 100 && s.is_ok(); ++written) s = img->write_record(pattern_bytes(100001, written));
    if (s.is_ok()) s = img->flush();
    ASSERT_EQ(s.code(), StatusCode::kNoSpace) << s.message();
    img.reset();
    auto back = read_all(p, GetParam());
    EXPECT_GE(back.size(), 1u);
    EXPECT_LT(back.size(), static_cast<size_t>(written));
    for (size_t i = 0; i < back.size(); ++i) EXPECT_EQ(back[i], rec(pattern_bytes(100001, int(i)))) << i;
    ASSERT_EQ(::unlink(p.c_str()), 0);
  }
}

}  // namespace
}  // namespace vtape::testing
