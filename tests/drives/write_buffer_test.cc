// Buffered writes, as the Linux st driver does them by default (its
// buffer-writes option), on a real mount with real programs:
//
// - write() returns once its record is in the drive's buffer; the buffer
//   reaches the image at sync points (a filemark, fsync, a position query,
//   close) in a few large writes.
// - `mt stclearoptions buffer-writes` (MTSETDRVBUFFER) switches a drive to
//   write-through, `mt stsetoptions buffer-writes` back; vtapefs
//   --write-through (-o write_through) makes it the default; `vtape status`
//   says which mode each drive is in.
// - An I/O error found while the buffer is written out reaches the writer
//   at its next write, filemark or close (a deferred error, as st reports
//   it), and the image verifies up to its last whole record.  The disk that
//   fails is tests/support/failing_fs.cc, a FUSE pass-through that fails
//   writes with EIO after a number of bytes.
//
// The crash tests of both modes are in crash_test.cc; the full-disk tests
// (ENOSPC) there too.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

std::string write_mode(MountedVtapefs& vt, int drive) {
  auto st = vt.vtape("status --json " + std::to_string(drive));
  EXPECT_EQ(st.exit_code, 0) << describe(st);
  return json_query(st.out, "d['drives'][0].get('write_mode', 'none')");
}

TEST(WriteMode, MtStclearoptionsBufferWritesSwitchesADriveToWriteThroughAndBack) {
  if (!have_program("mt")) GTEST_SKIP() << "no mt (mt-st)";
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  EXPECT_EQ(write_mode(vt, 0), "buffered") << "st buffers writes by default";
  auto clear = run_command("mt -f " + shell_quote(vt.drive(0)) + " stclearoptions buffer-writes");
  ASSERT_EQ(clear.exit_code, 0) << describe(clear);
  EXPECT_EQ(write_mode(vt, 0), "write-through");
  EXPECT_EQ(write_mode(vt, 1), "buffered") << "the option is the drive's, not the mount's";
  auto text = vt.vtape("status 0");
  EXPECT_NE(text.out.find("writes: write-through"), std::string::npos) << text.out;
  // Other booleans are accepted and leave the mode alone.
  auto other = run_command("mt -f " + shell_quote(vt.drive(0)) + " stsetoptions two-fm");
  EXPECT_EQ(other.exit_code, 0) << describe(other);
  EXPECT_EQ(write_mode(vt, 0), "write-through");
  // The mode stays across opens and through the rewinding device.
  auto set = run_command("mt -f " + shell_quote(vt.drive(0, /*rewind=*/true)) + " stsetoptions buffer-writes");
  ASSERT_EQ(set.exit_code, 0) << describe(set);
  EXPECT_EQ(write_mode(vt, 0), "buffered");
  // stoptions sets every boolean: without buffer-writes it clears it.
  auto all = run_command("mt -f " + shell_quote(vt.drive(0)) + " stoptions two-fm");
  ASSERT_EQ(all.exit_code, 0) << describe(all);
  EXPECT_EQ(write_mode(vt, 0), "write-through");
}

TEST(WriteMode, TheWriteThroughOptionOfVtapefsSetsEveryDrive) {
  for (const char* args : {"--write-through", "-o write_through"}) {
    MountedVtapefs vt(args);
    ASSERT_TRUE(vt.ok()) << args << ": " << vt.error();
    EXPECT_EQ(write_mode(vt, 0), "write-through") << args;
    EXPECT_EQ(write_mode(vt, 1), "write-through") << args;
  }
}

// A python3 writer: opens the drive, writes `records` records of `size`
// bytes, prints the image's size after the writes, after MTIOCGET (a
// position query, which st answers after writing its buffer out), and
// after MTWEOF.
std::string image_sizes_while_writing(MountedVtapefs& vt, int drive, const std::string& image, int records,
                                      int size) {
  std::string script =
      "import fcntl, os, struct, sys\n"
      "dev, image, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])\n"
      "MTIOCTOP, MTIOCGET, MTWEOF = 0x40086d01, 0x80306d02, 5\n"
      "fd = os.open(dev, os.O_WRONLY)\n"
      "for i in range(n):\n"
      "    assert os.write(fd, bytes([i % 251]) * size) == size\n"
      "print(os.path.getsize(image))\n"
      "fcntl.ioctl(fd, MTIOCGET, bytearray(48))\n"
      "print(os.path.getsize(image))\n"
      "fcntl.ioctl(fd, MTIOCTOP, struct.pack('ii', MTWEOF, 1))\n"
      "print(os.path.getsize(image))\n"
      "os.close(fd)\n";
  TempDir dir;
  write_text(dir.file("writer.py"), script);
  auto r = run_command("python3 " + shell_quote(dir.file("writer.py")) + " " + shell_quote(vt.drive(drive)) + " " +
                       shell_quote(image) + " " + std::to_string(records) + " " + std::to_string(size));
  EXPECT_EQ(r.exit_code, 0) << describe(r) << vt.log();
  for (auto& c : r.out) {
    if (c == '\n') c = ' ';
  }
  return r.out;
}

TEST(WriteMode, BufferedRecordsReachTheImageAtAPositionQueryAndWriteThroughOnesAtOnce) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  std::string image = vt.library() + "/cartridges/SCR001.tap";
  // 20 records of 10 KiB (204,960 bytes framed): far less than the buffer.
  // An empty SIMH image being written holds its end guard (4 bytes).
  EXPECT_EQ(image_sizes_while_writing(vt, 0, image, 20, 10240), "4 204964 204968 ")
      << "buffered: nothing in the image until the position query, then all";
  settle_drive(vt.drive(0));
  if (!have_program("mt")) GTEST_SKIP() << "no mt (mt-st)";
  auto wt = run_command("mt -f " + shell_quote(vt.drive(0)) + " stclearoptions buffer-writes");
  ASSERT_EQ(wt.exit_code, 0) << describe(wt);
  uint64_t before = std::filesystem::file_size(image);
  uint64_t written = before + 4 + 204960;  // the guard and the records
  EXPECT_EQ(image_sizes_while_writing(vt, 0, image, 20, 10240),
            std::to_string(written) + " " + std::to_string(written) + " " + std::to_string(written + 4) + " ")
      << "write-through: every record in the image when its write() returns";
}

// ---- a disk that fails: deferred I/O errors --------------------------------

// failing_fs on `mount_point`, passing `source` through, failing writes to
// files named *`suffix` with EIO once `fail_after` bytes went to them.
// Unmounted (lazily: a daemon may still hold images open) in the destructor.
class FailingDisk {
 public:
  FailingDisk(const std::string& source, const std::string& mount_point, uint64_t fail_after,
              const std::string& suffix)
      : mount_point_(mount_point) {
    std::string options = "source=" + source + ",fail_after=" + std::to_string(fail_after) + ",fail_suffix=" + suffix;
    pid_ = fork();
    if (pid_ == 0) {
      execl(FAILING_FS_BINARY, "failing_fs", "-f", "-o", options.c_str(), mount_point.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 6000 && !mounted(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~FailingDisk() {
    (void)run_command("fusermount3 -u -z " + shell_quote(mount_point_) + " 2>/dev/null");
    if (pid_ <= 0) return;
    // Not longer: while the daemon (unmounted after this) holds an image
    // open, the lazily unmounted file system cannot end, and is killed.
    for (int i = 0; i < 500; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  FailingDisk(const FailingDisk&) = delete;
  FailingDisk& operator=(const FailingDisk&) = delete;
  bool mounted() const {
    auto r = run_command("findmnt -n " + shell_quote(mount_point_));
    return r.exit_code == 0 && !r.out.empty();
  }

 private:
  std::string mount_point_;
  pid_t pid_ = -1;
};

// A mount whose cartridges directory is on a failing disk: BAD001 (SIMH,
// counted by the failing disk) in drive 1, GOOD01 (AWS, never failed) in
// drive 0.
class DeferredError : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(vt_.ok()) << vt_.error();
    ASSERT_EQ(vt_.vtape("unload 0").exit_code, 0);
    ASSERT_EQ(vt_.vtape("new BAD001 --format simh").exit_code, 0);
    ASSERT_EQ(vt_.vtape("new GOOD01 --format aws").exit_code, 0);
    std::filesystem::rename(vt_.library() + "/cartridges", real_dir());
    std::filesystem::create_directory(vt_.library() + "/cartridges");
    std::filesystem::permissions(vt_.library() + "/cartridges", std::filesystem::status(real_dir()).permissions());
  }
  void TearDown() override {
    disk_.reset();
    std::error_code ec;
    std::filesystem::remove(vt_.library() + "/cartridges", ec);
    std::filesystem::rename(real_dir(), vt_.library() + "/cartridges", ec);
  }
  void mount_failing_disk(uint64_t fail_after) {
    disk_ = std::make_unique<FailingDisk>(real_dir(), vt_.library() + "/cartridges", fail_after, ".tap");
    ASSERT_TRUE(disk_->mounted()) << "failing_fs did not mount";
    auto l0 = vt_.vtape("load 0 GOOD01");
    ASSERT_EQ(l0.exit_code, 0) << describe(l0);
    auto l1 = vt_.vtape("load 1 BAD001");
    ASSERT_EQ(l1.exit_code, 0) << describe(l1);
  }
  std::string real_dir() const { return vt_.library() + "/cartridges.real"; }
  std::string bad_image() const { return real_dir() + "/BAD001.tap"; }

  // The other drive still works: a tar archive written and read back.
  void expect_the_other_drive_works() {
    TempDir src, out;
    write_file_bytes(src.file("data.bin"), pattern_bytes(300000, 5));
    auto c = run_command("tar -cf " + shell_quote(vt_.drive(0)) + " -C " + shell_quote(src.path().string()) +
                         " data.bin");
    ASSERT_EQ(c.exit_code, 0) << describe(c) << vt_.log();
    settle_drive(vt_.drive(0));
    auto x = run_command("mt -f " + shell_quote(vt_.drive(0)) + " rewind && tar -xf " + shell_quote(vt_.drive(0)) +
                         " -C " + shell_quote(out.path().string()));
    ASSERT_EQ(x.exit_code, 0) << describe(x) << vt_.log();
    EXPECT_EQ(read_file_bytes(out.file("data.bin")), pattern_bytes(300000, 5));
  }

  // What drive 1 reads after a rewind, to the end of data (a tape without
  // a filemark at its end: dd's last read fails with EIO, as on st).
  std::vector<uint8_t> read_drive_1() {
    settle_drive(vt_.drive(1));
    TempDir out;
    auto r = run_command("mt -f " + shell_quote(vt_.drive(1)) + " rewind && dd if=" + shell_quote(vt_.drive(1)) +
                         " of=" + shell_quote(out.file("back")) + " bs=64k 2>&1");
    EXPECT_NE(r.out.find("records out"), std::string::npos) << describe(r) << vt_.log();
    settle_drive(vt_.drive(1));
    return read_file_bytes(out.file("back"));
  }

  MountedVtapefs vt_;
  std::unique_ptr<FailingDisk> disk_;
};

// A python3 writer of `n` records of 64 KiB to `dev`: "wrote N" after each
// write() that returned, "write I ERRNO" for one that failed, then
// "closed" or "close ERRNO".
CommandResult python_writer(const std::string& dev, int n) {
  TempDir dir;
  write_text(dir.file("w.py"),
             "import os, sys\n"
             "fd = os.open(sys.argv[1], os.O_WRONLY)\n"
             "for i in range(int(sys.argv[2])):\n"
             "    try:\n"
             "        os.write(fd, bytes([i % 251]) * 65536)\n"
             "    except OSError as e:\n"
             "        print('write', i, e.errno, flush=True)\n"
             "        break\n"
             "    print('wrote', i + 1, flush=True)\n"
             "try:\n"
             "    os.close(fd)\n"
             "    print('closed')\n"
             "except OSError as e:\n"
             "    print('close', e.errno)\n");
  return run_command("python3 " + shell_quote(dir.file("w.py")) + " " + shell_quote(dev) + " " + std::to_string(n));
}

// 2 MiB go into the buffer (4 MiB); the disk fails after 1 MiB: every
// write() succeeds, the filemark of close writes the buffer out and close
// reports EIO.  Write-through would fail the 17th write.
TEST_F(DeferredError, AnIoErrorOfTheBufferReachesTheWriterAtClose) {
  mount_failing_disk(1 << 20);
  if (HasFatalFailure()) return;
  auto w = python_writer(vt_.drive(1), 32);
  EXPECT_NE(w.out.find("wrote 32\n"), std::string::npos) << describe(w);
  EXPECT_NE(w.out.find("close 5\n"), std::string::npos) << "EIO at close: " << describe(w) << vt_.log();
  // The image ends at its last whole record (here: none), and verifies.
  auto v = run_vtape("verify " + shell_quote(bad_image()));
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  EXPECT_EQ(read_drive_1().size(), 0u);
  expect_the_other_drive_works();
  auto check = vt_.vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check);
}

// 200 records of 64 KiB; the disk fails after 6 MiB: the first buffer
// (4 MiB) reaches the image, the second fails, and the write() that finds
// the buffer full gets EIO.  The records of the failed buffer had been
// acknowledged (as st acknowledges buffered records); the writer learns of
// their loss from the error.
TEST_F(DeferredError, AnIoErrorOfAFullBufferReachesTheWriterAtALaterWrite) {
  mount_failing_disk(6 << 20);
  if (HasFatalFailure()) return;
  TempDir src;
  write_file_bytes(src.file("data"), pattern_bytes(200 * 65536, 3));
  auto d = run_command("dd if=" + shell_quote(src.file("data")) + " of=" + shell_quote(vt_.drive(1)) + " bs=64k");
  EXPECT_NE(d.exit_code, 0) << describe(d);
  EXPECT_NE(d.err.find("Input/output error"), std::string::npos) << describe(d);
  auto out = d.err.find(" records out");
  ASSERT_NE(out, std::string::npos) << describe(d);
  auto start = d.err.rfind('\n', out);
  uint64_t acknowledged = std::stoull(d.err.substr(start == std::string::npos ? 0 : start + 1));
  auto v = run_vtape("verify " + shell_quote(bad_image()));
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  std::vector<uint8_t> back = read_drive_1();
  uint64_t kept = back.size() / 65536;
  EXPECT_GT(kept, 0u) << "the first buffer went out before the disk failed";
  EXPECT_LT(kept, acknowledged) << "the error came at a later write than the records it lost";
  // What is there is what dd wrote, in order, whole records only.
  EXPECT_EQ(back.size() % 65536, 0u);
  std::vector<uint8_t> all = pattern_bytes(200 * 65536, 3);
  EXPECT_TRUE(std::equal(back.begin(), back.end(), all.begin())) << "the records read back differ";
  expect_the_other_drive_works();
  auto check = vt_.vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check);
}

// Write-through (mt stclearoptions buffer-writes), the disk failing after
// 1 MiB: EIO reaches the writer at the write() whose record did not reach
// the image (dd and tar exit non-zero), every record dd was told was
// written is in the image and none more, the image verifies, the daemon
// keeps serving the other drive and the catalog agrees with the images.
TEST_F(DeferredError, WriteThroughGivesEioAtTheFailingWriteAndKeepsEveryAcknowledgedRecord) {
  mount_failing_disk(1 << 20);
  if (HasFatalFailure()) return;
  auto mt = run_command("mt -f " + shell_quote(vt_.drive(1)) + " stclearoptions buffer-writes");
  ASSERT_EQ(mt.exit_code, 0) << describe(mt);
  ASSERT_EQ(write_mode(vt_, 1), "write-through");
  TempDir src;
  write_file_bytes(src.file("data"), pattern_bytes(40 * 65536, 8));
  auto d = run_command("dd if=" + shell_quote(src.file("data")) + " of=" + shell_quote(vt_.drive(1)) + " bs=64k");
  EXPECT_NE(d.exit_code, 0) << describe(d);
  EXPECT_NE(d.err.find("Input/output error"), std::string::npos) << describe(d);
  auto out = d.err.find(" records out");
  ASSERT_NE(out, std::string::npos) << describe(d);
  auto start = d.err.rfind('\n', out);
  uint64_t acknowledged = std::stoull(d.err.substr(start == std::string::npos ? 0 : start + 1));
  EXPECT_GT(acknowledged, 0u);
  EXPECT_LT(acknowledged, 40u);
  auto v = run_vtape("verify " + shell_quote(bad_image()));
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  std::vector<uint8_t> back = read_drive_1();
  EXPECT_EQ(back.size(), acknowledged * 65536) << "write-through: exactly the acknowledged records";
  std::vector<uint8_t> all = pattern_bytes(40 * 65536, 8);
  EXPECT_TRUE(std::equal(back.begin(), back.end(), all.begin())) << "the records read back differ";
  // tar learns of it too, by its exit status.
  auto t = run_command("tar -cf " + shell_quote(vt_.drive(1)) + " -C " + shell_quote(src.path().string()) + " data");
  EXPECT_NE(t.exit_code, 0) << describe(t);
  expect_the_other_drive_works();
  auto check = vt_.vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check);
}

}  // namespace
}  // namespace vtape::testing
