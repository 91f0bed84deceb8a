// The parts of vtape restore that need no mount: which names are safe to
// write, which members a pattern selects, how a source is parsed, and the
// record checksum.

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "index/crc32c.h"
#include "index/digest.h"
#include "tapeformat/tape_image.h"
#include "tools/async_sink.h"
#include "index/background_digest.h"
#include "tests/test_support.h"
#include "library/restore_plan.h"
#include "tools/safe_tree.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

TEST(SafeNames, RefusesAbsoluteDotDotAndEmptyNames) {
  EXPECT_EQ(unsafe_name_reason("a/b.txt"), "");
  EXPECT_EQ(unsafe_name_reason("./a/./b"), "");
  EXPECT_EQ(unsafe_name_reason("a..b/c..d"), "");  // dots inside a name are fine
  EXPECT_EQ(unsafe_name_reason("/etc/passwd"), "an absolute name");
  EXPECT_EQ(unsafe_name_reason("../x"), "a '..' component");
  EXPECT_EQ(unsafe_name_reason("a/../../x"), "a '..' component");
  EXPECT_EQ(unsafe_name_reason("a/.."), "a '..' component");
  EXPECT_EQ(unsafe_name_reason(""), "an empty name");
  EXPECT_EQ(unsafe_name_reason("./"), "a name that is only the top directory");
  EXPECT_EQ(unsafe_name_reason(std::string("a\0b", 3)), "a NUL byte in the name");
}

TEST(SafeNames, SymlinksThatLeadOutsideAreRefused) {
  EXPECT_EQ(escaping_link_reason("a/link", "b.txt"), "");
  EXPECT_EQ(escaping_link_reason("a/link", "../b.txt"), "");   // stays inside: a/.. is the top
  EXPECT_NE(escaping_link_reason("a/link", "../../b.txt"), "");
  EXPECT_NE(escaping_link_reason("link", ".."), "");
  EXPECT_NE(escaping_link_reason("link", "/etc"), "");
  EXPECT_NE(escaping_link_reason("a/b/link", "../../../x"), "");
  EXPECT_EQ(escaping_link_reason("a/b/link", "../../x"), "");
  EXPECT_NE(escaping_link_reason("a/link", "x/../../../y"), "");  // climbs above on the way
}

TEST(SafeTreeWrites, NeverFollowsASymlinkOnTheWay) {
  TempDir dir;
  fs::create_directories(dir.file("top"));
  fs::create_directories(dir.file("outside"));
  ASSERT_EQ(::symlink(dir.file("outside").c_str(), dir.file("top/link").c_str()), 0);
  SafeTree tree;
  ASSERT_TRUE(SafeTree::open(dir.file("top"), &tree).is_ok());
  int fd = -1;
  Status s = tree.create_file("link/x.txt", &fd);
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.message();
  EXPECT_TRUE(fs::is_empty(dir.file("outside")));
  // A final symlink is not opened through either.
  ASSERT_EQ(::symlink(dir.file("outside/target").c_str(), dir.file("top/final").c_str()), 0);
  EXPECT_FALSE(tree.create_file("final", &fd).is_ok());
  EXPECT_FALSE(fs::exists(dir.file("outside/target")));
  // Directories on the way are made.
  ASSERT_TRUE(tree.create_file("new/dirs/f", &fd).is_ok());
  ::close(fd);
  EXPECT_TRUE(fs::is_regular_file(dir.file("top/new/dirs/f")));
  EXPECT_FALSE(tree.create_file("../escape", &fd).is_ok());
}

TEST(MemberSelection, FollowsTarRules) {
  EXPECT_TRUE(member_selected("a.txt", "a.txt"));
  EXPECT_TRUE(member_selected("a.txt", "./a.txt"));
  EXPECT_TRUE(member_selected("./a.txt", "a.txt"));
  EXPECT_TRUE(member_selected("src", "src/"));
  EXPECT_TRUE(member_selected("src", "./src/lib/x.c"));  // a directory selects what is under it
  EXPECT_TRUE(member_selected("src/", "src/lib/x.c"));
  EXPECT_FALSE(member_selected("src", "srcfoo/x.c"));
  EXPECT_TRUE(member_selected("*.c", "src/lib/x.c"));   // * matches / as in tar
  EXPECT_FALSE(member_selected("*.c", "src/lib/x.h"));
  EXPECT_TRUE(member_selected("src/?/x.c", "src/a/x.c"));
  EXPECT_TRUE(member_selected("*", "anything/at/all"));
}

TEST(VolumeSelector, ParsesVolserFileAndMembers) {
  std::string volser, error;
  std::optional<uint64_t> file;
  std::optional<std::string> members;
  ASSERT_TRUE(parse_volume_selector("vol001", &volser, &file, &members, &error)) << error;
  EXPECT_EQ(volser, "VOL001");
  EXPECT_FALSE(file);
  ASSERT_TRUE(parse_volume_selector("VOL001/12", &volser, &file, &members, &error)) << error;
  EXPECT_EQ(file, 12u);
  EXPECT_FALSE(members);
  ASSERT_TRUE(parse_volume_selector("VOL001/0:src/a:b.c", &volser, &file, &members, &error)) << error;
  EXPECT_EQ(file, 0u);
  EXPECT_EQ(members, "src/a:b.c");  // only the first colon separates
  EXPECT_FALSE(parse_volume_selector("TOOLONG7", &volser, &file, &members, &error));
  EXPECT_FALSE(parse_volume_selector("VOL001/x", &volser, &file, &members, &error));
  EXPECT_NE(error.find("expected a tape file number"), std::string::npos) << error;
  EXPECT_FALSE(parse_volume_selector("VOL001/1:", &volser, &file, &members, &error));
  EXPECT_FALSE(parse_volume_selector("VOL001/", &volser, &file, &members, &error));
}

TEST(Crc32c, KnownValuesAndTheHardwarePathAgreeWithTheTable) {
  std::string check = "123456789";
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(check.data()), check.size());
  EXPECT_EQ(crc32c(bytes), 0xE3069283u);  // the standard check value of CRC-32C
  EXPECT_EQ(crc32c_portable(bytes), 0xE3069283u);
  EXPECT_EQ(crc32c({}), 0u);
  // Around the hardware path's three-stream blocks of 6 KiB as well.
  for (size_t n : {1u, 7u, 8u, 9u, 63u, 64u, 4097u, 6143u, 6144u, 6145u, 12288u, 12295u, 65536u, 1048583u}) {
    auto data = pattern_bytes(n, static_cast<uint32_t>(n));
    EXPECT_EQ(crc32c(data), crc32c_portable(data)) << n;
  }
}

class BackgroundDigestOf : public ::testing::TestWithParam<DigestAlgorithm> {};

TEST_P(BackgroundDigestOf, DigestsMatchTheDigestOfTheSameBytesAndStartAfresh) {
  BackgroundDigest background(GetParam(), 2u << 20);  // little room: the caller waits for the worker
  EXPECT_EQ(background.algorithm(), GetParam());
  for (int round = 0; round < 2; ++round) {
    Digest direct(GetParam());
    // Records of odd sizes across the 1 MiB chunks, and one larger than a chunk.
    for (size_t n : {1u, 513u, 65537u, 1u << 20, 3u << 20, 7u, 0u, 262144u}) {
      auto data = pattern_bytes(n, static_cast<uint32_t>(n + round));
      background.update(data);
      direct.update(data);
    }
    EXPECT_EQ(background.hex_digest(), direct.hex_digest()) << "round " << round;
  }
  EXPECT_EQ(background.hex_digest(), Digest(GetParam()).hex_digest());  // nothing since: the digest of nothing
}

INSTANTIATE_TEST_SUITE_P(BothAlgorithms, BackgroundDigestOf,
                         ::testing::Values(DigestAlgorithm::kXxh3_128, DigestAlgorithm::kSha256),
                         [](const auto& info) { return info.param == DigestAlgorithm::kSha256 ? "Sha256" : "Xxh3"; });

// Records what it is given; fails at a chosen record.
class ListSink : public RecordSink {
 public:
  explicit ListSink(int fail_at = -1) : fail_at_(fail_at) {}
  Status begin_file(uint64_t file) override { return add("begin " + std::to_string(file)); }
  Status record(std::span<const uint8_t> data, bool) override {
    if (records_++ == fail_at_) return Status::no_space("full");
    return add("record " + std::to_string(data.size()));
  }
  Status filemark() override { return add("filemark"); }
  Status end_file(uint64_t file, bool) override { return add("end " + std::to_string(file)); }
  std::vector<std::string> seen;

 private:
  Status add(std::string what) {
    seen.push_back(std::move(what));
    return Status::ok();
  }
  int fail_at_;
  int records_ = 0;
};

TEST(AsyncSinkOrder, CallsArriveInOrderAndTheFirstErrorStopsTheWriter) {
  ListSink target;
  {
    AsyncSink async(target, 4096);  // small: the writer falls behind and the reader waits
    ASSERT_TRUE(async.begin_file(0).is_ok());
    for (size_t n = 1; n <= 200; ++n) ASSERT_TRUE(async.record(pattern_bytes(n * 37, 1), false).is_ok());
    ASSERT_TRUE(async.filemark().is_ok());
    ASSERT_TRUE(async.end_file(0, false).is_ok());
    ASSERT_TRUE(async.finish().is_ok());
  }
  ASSERT_EQ(target.seen.size(), 203u);
  EXPECT_EQ(target.seen.front(), "begin 0");
  for (size_t n = 1; n <= 200; ++n) EXPECT_EQ(target.seen[n], "record " + std::to_string(n * 37));
  EXPECT_EQ(target.seen.back(), "end 0");

  ListSink failing(5);
  AsyncSink async(failing, 1024);
  Status s;
  int accepted = 0;
  for (int i = 0; i < 1000 && s.is_ok(); ++i, ++accepted) s = async.record(pattern_bytes(100, 2), false);
  Status finished = async.finish();
  EXPECT_EQ(finished.code(), StatusCode::kNoSpace);
  EXPECT_EQ(failing.seen.size(), 5u);  // nothing after the failed record was written
  EXPECT_LT(accepted, 1000);           // and the reader was told to stop
}

// A same-format restore copies the image's bytes: records the reader still
// holds in memory come from there, the others (large ones, ones across the
// edge of its read window) are copied in the kernel.  Either way the copy
// is the source byte for byte, odd pad bytes included.
TEST(RawImageCopy, EverySizeOfRecordComesOutByteForByte) {
  TempDir dir;
  std::vector<size_t> sizes = {1, 3, 70001, 600 * 1024, 1u << 20, 0};
  for (int i = 0; i < 24; ++i) sizes.push_back(200001 + i);  // some lie across the 1 MiB read window
  std::vector<uint8_t> simh;
  uint32_t seed = 1;
  for (size_t n : sizes) {
    if (n == 0) {
      put_le32(simh, 0);  // a filemark
      continue;
    }
    put_simh_record(simh, pattern_bytes(n, seed++));
    if (n % 2 == 1) simh[simh.size() - 5] = 0xA5;  // a pad byte that is not zero
  }
  put_le32(simh, 0);
  write_file_bytes(dir.file("source.tap"), simh);

  std::unique_ptr<TapeImage> aws;
  ASSERT_TRUE(TapeImage::create(dir.file("source.aws"), Format::kAws, WriteOptions{}, true, &aws).is_ok());
  seed = 1;
  for (size_t n : sizes) {
    Status s = n == 0 ? aws->write_filemark() : aws->write_record(pattern_bytes(n, seed++));
    ASSERT_TRUE(s.is_ok()) << s.message();
  }
  ASSERT_TRUE(aws->write_filemark().is_ok());
  ASSERT_TRUE(aws->close().is_ok());

  for (std::string name : {"source.tap", "source.aws"}) {
    std::string out = dir.file("copy-of-" + name);
    CommandResult r = run_vtape("restore " + shell_quote(dir.file(name)) + " --to-image " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << name << "\n" << describe(r);
    std::vector<uint8_t> source = read_file_bytes(dir.file(name)), copy = read_file_bytes(out);
    ASSERT_EQ(copy.size(), source.size()) << name;
    EXPECT_TRUE(copy == source) << name << ": the copy differs from the source";
    EXPECT_FALSE(fs::exists(out + ".vtape-partial")) << name;
  }
}

// A source cut short in the middle of a record: the restore stops there with
// an error naming the image, the byte offset and what was expected, and
// every record and filemark before the damage is in what it wrote.
TEST(DamagedSource, EverythingBeforeTheDamageIsRestoredAndTheOffsetIsNamed) {
  TempDir dir;
  std::vector<uint8_t> simh;
  for (uint32_t i = 0; i < 40; ++i) put_simh_record(simh, pattern_bytes(10240, i + 1));
  put_le32(simh, 0);
  size_t second_file = simh.size();
  for (uint32_t i = 0; i < 30; ++i) put_simh_record(simh, pattern_bytes(10240, i + 100));
  put_le32(simh, 0);
  // Cut inside record 12 of the second file.
  size_t record_12 = second_file + 12 * (10240 + 8);
  simh.resize(record_12 + 5000);
  write_file_bytes(dir.file("cut.tap"), simh);

  for (std::string name : {"out.tap", "out.aws"}) {
    std::string out = dir.file(name);
    CommandResult r = run_vtape("restore " + shell_quote(dir.file("cut.tap")) + " --to-image " + shell_quote(out));
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find(dir.file("cut.tap") + ": at byte " + std::to_string(record_12) + ": expected a record"),
              std::string::npos) << r.err;
    EXPECT_NE(r.err.find("holds every record and filemark before the damage"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out)) << name << ": a damaged restore is not given the final name";
    std::unique_ptr<TapeImage> partial;
    ASSERT_TRUE(TapeImage::open(out + ".vtape-partial", OpenOptions{}, &partial).is_ok()) << name;
    std::vector<uint8_t> data;
    std::vector<std::string> seen;
    for (;;) {
      TapeObject obj;
      ASSERT_TRUE(partial->read(&obj, &data).is_ok()) << name;
      if (obj.kind == ObjectKind::kEndOfData) break;
      seen.push_back(obj.kind == ObjectKind::kFilemark ? "mark" : std::to_string(data.size()));
      if (obj.kind == ObjectKind::kRecord) {
        uint32_t seed = seen.size() <= 40 ? static_cast<uint32_t>(seen.size()) : static_cast<uint32_t>(seen.size() - 42 + 100);
        EXPECT_TRUE(data == pattern_bytes(10240, seed)) << name << " object " << seen.size();
      }
    }
    ASSERT_EQ(seen.size(), 40u + 1 + 12) << name;
    EXPECT_EQ(seen[40], "mark") << name;
  }

  CommandResult r = run_vtape("restore " + shell_quote(dir.file("cut.tap")) + " --to-dir " + shell_quote(dir.file("d")));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(read_file_bytes(dir.file("d/0000.dat")).size(), 40u * 10240);
  EXPECT_EQ(read_file_bytes(dir.file("d/0001.dat.vtape-partial")).size(), 12u * 10240);
}

// A restore that fills the disk stops with ENOSPC and leaves a partial
// image of whole objects; with room made, --resume finishes it and the
// result is the same as a restore that never stopped.
TEST(FullDisk, TheRestoreStopsCleanlyAndResumeFinishesIt) {
  TempDir dir;
  std::vector<uint8_t> simh;
  for (uint32_t i = 0; i < 60; ++i) put_simh_record(simh, pattern_bytes(10240 + i, i + 1));
  put_le32(simh, 0);
  for (uint32_t i = 0; i < 60; ++i) put_simh_record(simh, pattern_bytes(7000, i + 200));
  put_le32(simh, 0);
  write_file_bytes(dir.file("source.tap"), simh);
  std::string mnt = dir.file("small");
  fs::create_directory(mnt);
  ASSERT_EQ(run_command("mount -t tmpfs -o size=512k tmpfs " + shell_quote(mnt)).exit_code, 0)
      << "mounting a small tmpfs needs root";
  struct Unmount {
    std::string m;
    ~Unmount() { (void)run_command("umount -l " + shell_quote(m)); }
  } unmount{mnt};

  for (std::string name : {"out.tap", "out.aws"}) {
    std::string out = mnt + "/" + name;
    CommandResult r = run_vtape("restore " + shell_quote(dir.file("source.tap")) + " --to-image " + shell_quote(out));
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--resume continues it"), std::string::npos) << r.err;
    r = run_vtape("verify " + shell_quote(out + ".vtape-partial") + " --json");
    EXPECT_EQ(r.exit_code, 0) << name << ": the partial image is not valid\n" << describe(r);
    EXPECT_NE(r.out.find("\"records\":"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("\"records\":0,"), std::string::npos) << name << ": nothing was kept\n" << r.out;

    ASSERT_EQ(run_command("mount -o remount,size=8m " + shell_quote(mnt)).exit_code, 0);
    r = run_vtape("restore " + shell_quote(dir.file("source.tap")) + " --to-image " + shell_quote(out) + " --resume");
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    std::string whole = dir.file("whole-" + name);
    r = run_vtape("restore " + shell_quote(dir.file("source.tap")) + " --to-image " + shell_quote(whole));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(read_file_bytes(out) == read_file_bytes(whole)) << name << ": the resumed image differs";
    ASSERT_EQ(run_command("rm -f " + shell_quote(out) + " && mount -o remount,size=512k " + shell_quote(mnt)).exit_code, 0);
  }

  // Tape files to a directory (written on a thread of their own): the
  // writer's ENOSPC stops the reader, and nothing after it is written.
  CommandResult r = run_vtape("restore " + shell_quote(dir.file("source.tap")) + " --to-dir " + shell_quote(mnt + "/d"));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(mnt + "/d/0000.dat.vtape-partial"));
  EXPECT_FALSE(fs::exists(mnt + "/d/0000.dat"));
  EXPECT_FALSE(fs::exists(mnt + "/d/0001.dat") || fs::exists(mnt + "/d/0001.dat.vtape-partial"));
}

}  // namespace
}  // namespace vtape::testing
