// Crash safety of a mounted vtapefs, with real mounts (MountedVtapefs):
//
//   "Filemark, close, fsync and unload are sync points: the data is on disk
//   before the call returns.  kill -9 of the daemon at any moment leaves
//   every image valid (vtape verify passes) and holding every record written
//   before the last sync point; the next mount just works.  A full disk
//   gives the writer ENOSPC and leaves the image valid."
//
// A writer (a forked child, plain system calls) writes numbered records with
// a known pattern through a drive and reports on a pipe how many tape
// objects (records and filemarks) each sync point acknowledged.  The test
// kills the daemon at chosen moments, checks the image as the crash left it
// (vtape verify, without remounting), then remounts and reads the tape back
// through the drive: what is there must be a prefix of what the writer
// wrote, byte for byte, at least as long as the last acknowledgement.  The
// drive must then work again (a tar archive appended and read back).
//
// SIMH-framed images carry an end guard while a drive writes them, so they
// must verify straight after the crash.  AWS and HET have no such guard; a
// torn last object is cut off when the cartridge is next loaded (the .dirty
// marker), so for them the state right after the crash is only reported
// (test output and the "after_crash_verify" test property), and the checks
// start after the remount.
//
// Tests named DISABLED_* state parts of the contract the daemon does not
// meet yet; run them with --gtest_also_run_disabled_tests.  Each says what
// fails and why.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/mtio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---- what the writer writes ------------------------------------------------

uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

enum class SyncKind { kNone, kFsync, kFilemark };

struct WritePlan {
  uint64_t records = 0;
  size_t min_size = 1;
  size_t max_size = 65536;
  uint32_t seed = 1;
  int sync_every = 0;  // records between sync points; 0: none
  SyncKind sync = SyncKind::kNone;
  bool announce_writes = false;    // a note before every write()
  bool note_each_write = false;    // a note after every write() that returned (write-through acknowledges it)
  bool wait_before_close = false;  // stop before close() until told to go on
  bool close_at_end = true;
};

size_t record_size(const WritePlan& p, uint64_t i) {
  if (p.max_size <= p.min_size) return p.min_size;
  return p.min_size + mix64(i * 2654435761u + p.seed) % (p.max_size - p.min_size + 1);
}

// Buffers for write() and read() on a drive start on a page boundary: the
// kernel hands a direct-I/O transfer to the daemon in requests of at most
// 256 pages, so a 1 MiB buffer that starts inside a page spans 257 pages
// and becomes two requests, which the drive cannot tell from two records
// (see DISABLED_AOneMebibyteWriteFromAnyBufferIsOneRecord).
template <class T>
struct PageAligned {
  using value_type = T;
  PageAligned() = default;
  template <class U>
  PageAligned(const PageAligned<U>&) {}
  T* allocate(size_t n) {
    size_t bytes = (n * sizeof(T) + 4095) / 4096 * 4096;
    void* p = std::aligned_alloc(4096, bytes == 0 ? 4096 : bytes);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <class U>
  bool operator==(const PageAligned<U>&) const { return true; }
};
using PageBuffer = std::vector<uint8_t, PageAligned<uint8_t>>;

template <class Vec>
void fill_record(const WritePlan& p, uint64_t i, Vec* out) {
  size_t n = record_size(p, i);
  out->resize(n);
  uint64_t state = (uint64_t(p.seed) << 40) ^ (i << 1) ^ 0x5A5A;
  // The record number in the first bytes makes a misplaced record easy to
  // name in a failure message.
  for (size_t at = 0; at < n; at += 8) {
    uint64_t w = at == 0 ? i : mix64(state + at);
    size_t take = std::min<size_t>(8, n - at);
    std::memcpy(out->data() + at, &w, take);
  }
}

// One tape object as the writer produced it or a reader saw it.
struct TapeObj {
  bool filemark = false;
  uint64_t record = 0;        // writer's record number (expected objects)
  std::vector<uint8_t> data;  // what was read (read objects)
};

// The objects the plan puts on the tape if nothing goes wrong.
std::vector<TapeObj> expected_objects(const WritePlan& p) {
  std::vector<TapeObj> out;
  bool last_was_write = false;
  for (uint64_t i = 0; i < p.records; ++i) {
    out.push_back({false, i, {}});
    last_was_write = true;
    if (p.sync_every > 0 && (i + 1) % static_cast<uint64_t>(p.sync_every) == 0 && p.sync == SyncKind::kFilemark) {
      out.push_back({true, 0, {}});
      last_was_write = false;
    }
  }
  if (p.close_at_end && last_was_write) out.push_back({true, 0, {}});  // filemark on close
  return out;
}

// ---- the writer child and its notes ---------------------------------------

enum NoteKind : int32_t {
  kOpened = 1,
  kAboutToWrite,  // objects: the index of the object about to be written
  kSynced,        // objects: how many objects the sync point acknowledged
  kFailed,        // err: errno of the failed call
  kReadyToClose,
  kClosed,        // objects: all objects including the filemark on close
  kDone,
  kWritten,       // objects: how many objects are written (write() returned)
};

struct Note {
  int32_t kind = 0;
  int32_t err = 0;
  uint64_t objects = 0;
};

class WriterChild {
 public:
  explicit WriterChild(const WritePlan& plan, const std::string& device) : plan_(plan) {
    int notes[2], go[2];
    if (pipe2(notes, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      close(notes[0]);
      close(go[1]);
      run(device, notes[1], go[0]);
      _exit(0);
    }
    close(notes[1]);
    close(go[0]);
    notes_fd_ = notes[0];
    go_fd_ = go[1];
  }
  ~WriterChild() {
    reap();
    close(notes_fd_);
    close(go_fd_);
  }

  // The next note, or nothing when none came in time (or the child ended).
  std::optional<Note> next(int timeout_ms) {
    pollfd pfd{notes_fd_, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) return std::nullopt;
    Note n;
    if (read(notes_fd_, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) return std::nullopt;
    record(n);
    return n;
  }
  // Waits for a note that satisfies `want`; false after timeout_ms.
  bool wait_for(const std::function<bool(const Note&)>& want, int timeout_ms = 60000) {
    auto deadline = Clock::now() + milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
      int left = static_cast<int>(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count());
      auto n = next(std::max(left, 1));
      if (!n) {
        if (ended()) return false;
        continue;
      }
      if (want(*n)) return true;
    }
    return false;
  }
  void go() {
    char c = 'g';
    (void)!write(go_fd_, &c, 1);
  }
  // Reads what is left on the pipe after the child ended.
  void drain() {
    while (next(0)) {
    }
  }
  // Waits for the child to end (it does once the mount is gone); kills it
  // after 60 s.
  void reap() {
    if (pid_ <= 0) return;
    for (int i = 0; i < 6000; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        drain();
        return;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    drain();
  }
  bool ended() {
    if (pid_ <= 0) return true;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    return false;
  }

  // Objects acknowledged by fsync or a filemark, and with note_each_write
  // (a drive in write-through mode) by the write() itself.
  uint64_t acknowledged() const { return acked_; }
  // Objects on the tape once close(2) has returned (with the filemark
  // written on close), if it returned without an error.
  std::optional<uint64_t> closed_with() const { return closed_with_; }
  std::optional<int> failure_errno() const { return failed_; }

 private:
  void record(const Note& n) {
    if (n.kind == kSynced || n.kind == kWritten) acked_ = std::max(acked_, n.objects);
    if (n.kind == kClosed && n.err == 0) closed_with_ = n.objects;
    if (n.kind == kFailed && !failed_) failed_ = n.err;
  }

  // The child: system calls only.
  void run(const std::string& device, int notes, int go) {
    auto note = [&](int32_t kind, int32_t err, uint64_t objects) {
      Note n{kind, err, objects};
      (void)!write(notes, &n, sizeof n);
    };
    int fd = open(device.c_str(), O_WRONLY);
    if (fd < 0) {
      note(kFailed, errno, 0);
      return;
    }
    note(kOpened, 0, 0);
    PageBuffer buf;
    uint64_t objects = 0;
    bool last_was_write = false;
    for (uint64_t i = 0; i < plan_.records; ++i) {
      fill_record(plan_, i, &buf);
      if (plan_.announce_writes) note(kAboutToWrite, 0, objects);
      ssize_t w = write(fd, buf.data(), buf.size());
      if (w != static_cast<ssize_t>(buf.size())) {
        note(kFailed, w < 0 ? errno : EIO, objects);
        return;
      }
      ++objects;
      last_was_write = true;
      if (plan_.note_each_write) note(kWritten, 0, objects);
      if (plan_.sync_every > 0 && (i + 1) % static_cast<uint64_t>(plan_.sync_every) == 0) {
        if (plan_.sync == SyncKind::kFsync) {
          if (fsync(fd) != 0) {
            note(kFailed, errno, objects);
            return;
          }
        } else if (plan_.sync == SyncKind::kFilemark) {
          mtop op{MTWEOF, 1};
          if (ioctl(fd, MTIOCTOP, &op) != 0) {
            note(kFailed, errno, objects);
            return;
          }
          ++objects;
          last_was_write = false;
        }
        note(kSynced, 0, objects);
      }
    }
    if (!plan_.close_at_end) {
      note(kDone, 0, objects);
      pause();
      return;
    }
    if (plan_.wait_before_close) {
      note(kReadyToClose, 0, objects);
      char c;
      (void)!read(go, &c, 1);
    }
    int rc = close(fd);
    note(kClosed, rc == 0 ? 0 : errno, objects + (last_was_write ? 1 : 0));
    note(kDone, 0, objects);
  }

  WritePlan plan_;
  pid_t pid_ = -1;
  int notes_fd_ = -1;
  int go_fd_ = -1;
  uint64_t acked_ = 0;
  std::optional<uint64_t> closed_with_;
  std::optional<int> failed_;
};

// ---- reading a tape back through a drive -----------------------------------

// Reads from the current position to the end of data.  A read of 0 is a
// filemark, except the one the drive gives once at the end of data right
// after a filemark; EIO ends the tape.  Any other error is returned.
int read_all(const std::string& device, std::vector<TapeObj>* out) {
  out->clear();
  int fd = open(device.c_str(), O_RDONLY);
  if (fd < 0) return errno;
  PageBuffer buf(1 << 20);
  bool last_zero = false;
  int result = 0;
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno != EIO) result = errno;
      break;
    }
    if (n == 0) {
      out->push_back({true, 0, {}});
      last_zero = true;
      continue;
    }
    last_zero = false;
    out->push_back({false, 0, std::vector<uint8_t>(buf.begin(), buf.begin() + n)});
  }
  close(fd);
  if (result == 0 && last_zero && out->size() >= 2 && (*out)[out->size() - 2].filemark) out->pop_back();
  return result;
}

std::string describe_object(const std::vector<TapeObj>& objs, size_t i) {
  if (i >= objs.size()) return "(nothing)";
  if (objs[i].filemark) return "filemark";
  uint64_t number = 0;
  std::memcpy(&number, objs[i].data.data(), std::min<size_t>(8, objs[i].data.size()));
  return "record of " + std::to_string(objs[i].data.size()) + " bytes (first word " + std::to_string(number) + ")";
}

// What was read must be a prefix of what the plan writes, at least `acked`
// objects long.
void expect_prefix(const WritePlan& plan, const std::vector<TapeObj>& got, uint64_t acked) {
  std::vector<TapeObj> want = expected_objects(plan);
  EXPECT_GE(got.size(), acked) << "objects acknowledged by a sync point are missing";
  ASSERT_LE(got.size(), want.size()) << "more objects on the tape than were written; extra: "
                                     << describe_object(got, want.size());
  std::vector<uint8_t> rec;
  for (size_t i = 0; i < got.size(); ++i) {
    if (want[i].filemark) {
      ASSERT_TRUE(got[i].filemark) << "object " << i << ": expected a filemark, read a "
                                   << describe_object(got, i);
      continue;
    }
    ASSERT_FALSE(got[i].filemark) << "object " << i << ": expected record " << want[i].record
                                  << ", read a filemark";
    fill_record(plan, want[i].record, &rec);
    ASSERT_EQ(got[i].data.size(), rec.size()) << "object " << i << " (record " << want[i].record << ")";
    ASSERT_TRUE(got[i].data == rec) << "object " << i << " (record " << want[i].record << ") differs";
  }
}

// ---- drive helpers ----------------------------------------------------------

int drive_ioctl_op(const std::string& device, short op, int count, int flags = O_RDONLY) {
  int fd = open(device.c_str(), flags);
  if (fd < 0) return errno;
  mtop m{op, count};
  int rc = ioctl(fd, MTIOCTOP, &m) == 0 ? 0 : errno;
  close(fd);
  return rc;
}

// The drive is free again once the daemon has handled the release of the
// last close (FUSE sends it after close(2) has returned).
bool wait_until_closed(const std::string& device) {
  for (int i = 0; i < 6000; ++i) {
    int fd = open(device.c_str(), O_RDONLY | O_NONBLOCK);
    if (fd >= 0) {
      close(fd);
      return true;
    }
    if (errno != EBUSY) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

// Appends a tar archive after whatever is on the tape and reads it back.
void expect_tar_round_trip(const std::string& device) {
  ASSERT_TRUE(wait_until_closed(device));
  // End of data, then a filemark: the crash may have left the last file
  // without one.  The archive is then file `fileno`.
  int fd = open(device.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << strerror(errno);
  mtop eom{MTEOM, 1};
  ASSERT_EQ(ioctl(fd, MTIOCTOP, &eom), 0) << strerror(errno);
  mtop weof{MTWEOF, 1};
  ASSERT_EQ(ioctl(fd, MTIOCTOP, &weof), 0) << strerror(errno);
  mtget g{};
  ASSERT_EQ(ioctl(fd, MTIOCGET, &g), 0) << strerror(errno);
  int file = static_cast<int>(g.mt_fileno);
  close(fd);
  ASSERT_TRUE(wait_until_closed(device));

  TempDir src, out;
  write_file_bytes(src.file("data.bin"), pattern_bytes(70000, 42));
  write_file_bytes(src.file("note.txt"), {'o', 'k', '\n'});
  auto c = run_command("tar -cf " + shell_quote(device) + " -C " + shell_quote(src.path().string()) +
                       " data.bin note.txt");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  ASSERT_TRUE(wait_until_closed(device));
  ASSERT_EQ(drive_ioctl_op(device, MTREW, 1), 0);
  ASSERT_EQ(drive_ioctl_op(device, MTFSF, file), 0) << "fsf " << file;
  auto x = run_command("tar -xf " + shell_quote(device) + " -C " + shell_quote(out.path().string()));
  ASSERT_EQ(x.exit_code, 0) << x.err;
  EXPECT_EQ(read_file_bytes(out.file("data.bin")), pattern_bytes(70000, 42));
  EXPECT_EQ(read_file_bytes(out.file("note.txt")), (std::vector<uint8_t>{'o', 'k', '\n'}));
  ASSERT_TRUE(wait_until_closed(device));
}

// ---- the crash scenarios ---------------------------------------------------

struct FormatCase {
  const char* name;  // vtape --format
  const char* ext;
  bool guarded;  // SIMH-framed: must verify straight after a crash
};

void PrintTo(const FormatCase& f, std::ostream* os) { *os << f.name; }

const FormatCase kFormats[] = {
    {"simh", "tap", true},
    {"aws", "aws", false},
    {"het", "het", false},
};

class CrashTest : public ::testing::TestWithParam<FormatCase> {
 protected:
  static constexpr int kDrive = 1;
  static constexpr const char* kVolser = "CRASH1";

  void SetUp() override { fresh_mount(); }

  // A new library and mount with the cartridge under test in kDrive.
  void fresh_mount() {
    vt_.reset();
    vt_ = std::make_unique<MountedVtapefs>(mount_args_);
    ASSERT_TRUE(vt_->ok()) << vt_->error();
    auto n = vt_->vtape(std::string("new ") + kVolser + " --format " + GetParam().name);
    ASSERT_EQ(n.exit_code, 0) << n.err;
    auto l = vt_->vtape("load " + std::to_string(kDrive) + " " + kVolser);
    ASSERT_EQ(l.exit_code, 0) << l.err;
    // The drive answers and is idle before the writer starts.
    ASSERT_EQ(drive_ioctl_op(device(), MTNOP, 1, O_RDONLY | O_NONBLOCK), 0);
    ASSERT_TRUE(wait_until_closed(device()));
  }

  std::string device() const { return vt_->drive(kDrive); }
  std::string image() const {
    return vt_->library() + "/cartridges/" + kVolser + "." + GetParam().ext;
  }

  WritePlan plan() const {
    WritePlan p;
    p.seed = 7;
    return p;
  }

  // After vt_->crash() and the writer's end: checks the image as the crash
  // left it, remounts, reads the tape back, and uses the drive again.
  // `must_have`: how many objects must be there (default: what the
  // writer's last sync point acknowledged).
  void check_after_crash(const WritePlan& p, WriterChild& w, const std::string& moment,
                         std::optional<uint64_t> must_have = std::nullopt) {
    w.reap();
    check_after_crash(p, must_have.value_or(w.acknowledged()), moment);
  }
  // The same for a writer that is not a WriterChild (vtape restore):
  // `acked` objects must be there.
  void check_after_crash(const WritePlan& p, uint64_t acked, const std::string& moment) {
    bool dirty = std::filesystem::exists(image() + ".dirty");
    auto v = run_vtape("verify " + shell_quote(image()));
    // The library knows the format, and format detection can misread an
    // image torn in its very first write (see CrashLeftovers below), so the
    // check that must pass names the format.
    auto vf = run_vtape("verify --format " + std::string(GetParam().name) + " " + shell_quote(image()));
    std::string observation = std::string(GetParam().name) + ", killed " + moment + ": " +
                              std::to_string(acked) + " objects acknowledged; image " +
                              std::to_string(std::filesystem::file_size(image())) + " bytes" +
                              (dirty ? " (.dirty)" : "") + "; vtape verify exit " +
                              std::to_string(v.exit_code) + ": " + v.out + v.err;
    if (v.exit_code != 0) {
      observation += "; with --format " + std::string(GetParam().name) + ": exit " + std::to_string(vf.exit_code) +
                     ": " + vf.out + vf.err;
    }
    for (auto& c : observation) {
      if (c == '\n') c = ' ';
    }
    std::cout << "[ observed ] " << observation << "\n";
    RecordProperty("after_crash_verify", observation);
    if (GetParam().guarded) {
      EXPECT_EQ(vf.exit_code, 0) << "straight after the crash: " << vf.out << vf.err;
    }

    ASSERT_TRUE(vt_->remount(mount_args_)) << vt_->error();
    auto st = vt_->vtape("status --json " + std::to_string(kDrive));
    ASSERT_NE(st.out.find(std::string("\"volser\":\"") + kVolser + "\""), std::string::npos)
        << "the cartridge is not back in its drive: " << st.out << st.err << vt_->log();
    EXPECT_FALSE(std::filesystem::exists(image() + ".dirty")) << "the load should have repaired the image";

    std::vector<TapeObj> got;
    ASSERT_EQ(read_all(device(), &got), 0) << vt_->log();
    {
      SCOPED_TRACE("reading back after the remount (" + moment + ")");
      expect_prefix(p, got, acked);
    }
    auto v2 = run_vtape("verify " + shell_quote(image()));
    EXPECT_EQ(v2.exit_code, 0) << "after the remount: " << v2.out << v2.err << vt_->log();

    expect_tar_round_trip(device());
    vt_->unmount();
    auto v3 = run_vtape("verify " + shell_quote(image()));
    EXPECT_EQ(v3.exit_code, 0) << "after the tar round trip: " << v3.out << v3.err;
  }

  // Kills the daemon 0 to 300 ms from now (a random moment of the writer's
  // stream), checks as check_after_crash does, and that the catalog agrees
  // with the images without a rebuild.  `moment` has a {} for the delay.
  void crash_within_300ms_and_check(const WritePlan& p, WriterChild& w, const std::string& moment) {
    std::random_device rd;
    int ms = std::uniform_int_distribution<int>(0, 300)(rd);
    std::this_thread::sleep_for(milliseconds(ms));
    vt_->crash();
    std::string at = moment;
    at.replace(at.find("{}"), 2, std::to_string(ms));
    check_after_crash(p, w, at);
    if (HasFatalFailure()) return;
    auto check = vt_->vtape("index check");
    EXPECT_EQ(check.exit_code, 0) << describe(check);
  }

  // The drive's write mode, as vtape status --json says it.
  std::string write_mode() {
    auto st = vt_->vtape("status --json " + std::to_string(kDrive));
    EXPECT_EQ(st.exit_code, 0) << describe(st);
    return json_query(st.out, "d['drives'][0].get('write_mode', 'none')");
  }

  std::string mount_args_;  // vtapefs's options (--write-through)
  std::unique_ptr<MountedVtapefs> vt_;
};

// Buffered writes (the default, st's buffer-writes): killed at a random
// moment while a writer writes records with a filemark (mt weof) every few
// hundred, every record before the last filemark is there, the image
// verifies, the catalog agrees with it and writing goes on.
TEST_P(CrashTest, BufferedKeepsEverythingBeforeTheLastFilemark) {
  EXPECT_EQ(write_mode(), "buffered");
  WritePlan p = plan();
  p.records = 200000;
  p.min_size = 1;
  p.max_size = 32 << 10;
  p.sync_every = 300;
  p.sync = SyncKind::kFilemark;
  WriterChild w(p, device());
  ASSERT_TRUE(w.wait_for([](const Note& n) { return n.kind == kSynced; })) << vt_->log();
  crash_within_300ms_and_check(p, w, "buffered, {} ms after the first filemark");
}

// Write-through (vtapefs --write-through): killed at a random moment, every
// record whose write() had returned is there.
TEST_P(CrashTest, WriteThroughKeepsEveryAcknowledgedRecord) {
  mount_args_ = "--write-through";
  fresh_mount();
  if (HasFatalFailure()) return;
  EXPECT_EQ(write_mode(), "write-through");
  WritePlan p = plan();
  p.records = 200000;
  p.min_size = 1;
  p.max_size = 64 << 10;
  p.note_each_write = true;
  WriterChild w(p, device());
  ASSERT_TRUE(w.wait_for([](const Note& n) { return n.kind == kWritten; })) << vt_->log();
  crash_within_300ms_and_check(p, w, "write-through, {} ms after the first write");
}

// Killed after a while, in the middle of a stream of records with fsync
// every few records.
TEST_P(CrashTest, KilledAfterSomeMillisecondsWithFsync) {
  for (int ms : {30, 250}) {
    if (ms != 30) fresh_mount();
    if (HasFatalFailure()) return;
    WritePlan p = plan();
    p.records = 200000;
    p.min_size = 1;
    p.max_size = 64 << 10;
    p.sync_every = 25;
    p.sync = SyncKind::kFsync;
    WriterChild w(p, device());
    ASSERT_TRUE(w.wait_for([](const Note& n) { return n.kind == kOpened; })) << vt_->log();
    std::this_thread::sleep_for(milliseconds(ms));
    while (w.next(0)) {
    }
    vt_->crash();
    check_after_crash(p, w, "after " + std::to_string(ms) + " ms of writes with fsync every 25 records");
    if (HasFatalFailure()) return;
  }
}

// Killed after a while, with a filemark every few records.
TEST_P(CrashTest, KilledAfterSomeMillisecondsWithFilemarks) {
  WritePlan p = plan();
  p.records = 200000;
  p.min_size = 80;
  p.max_size = 32 << 10;
  p.sync_every = 40;
  p.sync = SyncKind::kFilemark;
  WriterChild w(p, device());
  ASSERT_TRUE(w.wait_for([](const Note& n) { return n.kind == kOpened; })) << vt_->log();
  std::this_thread::sleep_for(milliseconds(120));
  vt_->crash();
  check_after_crash(p, w, "after 120 ms of writes with a filemark every 40 records");
}

// Killed while a 1 MiB record is on its way through FUSE (from a page-aligned
// buffer, so it is one request: see RecordLimit below).
TEST_P(CrashTest, KilledDuringALargeWrite) {
  for (uint64_t k : {3u, 37u}) {
    if (k != 3) fresh_mount();
    if (HasFatalFailure()) return;
    WritePlan p = plan();
    p.records = 1000;
    p.min_size = p.max_size = 1 << 20;
    p.sync_every = 8;
    p.sync = SyncKind::kFsync;
    p.announce_writes = true;
    WriterChild w(p, device());
    ASSERT_TRUE(w.wait_for([k](const Note& n) { return n.kind == kAboutToWrite && n.objects == k; }))
        << vt_->log();
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    vt_->crash();
    check_after_crash(p, w, "during the write of 1 MiB record " + std::to_string(k));
    if (HasFatalFailure()) return;
  }
}

// Killed as soon as MTWEOF has returned: the filemark and everything before
// it must be there.
TEST_P(CrashTest, KilledRightAfterAFilemark) {
  WritePlan p = plan();
  p.records = 100000;
  p.min_size = 1;
  p.max_size = 16 << 10;
  p.sync_every = 30;
  p.sync = SyncKind::kFilemark;
  WriterChild w(p, device());
  ASSERT_TRUE(w.wait_for([](const Note& n) { return n.kind == kSynced && n.objects >= 3 * 31; })) << vt_->log();
  vt_->crash();
  EXPECT_GE(w.acknowledged(), 3u * 31);
  check_after_crash(p, w, "right after the third filemark");
}

// Killed the moment close(2) returns.  close(2) is a sync point: every
// record written before it must be there.  The filemark written on close
// comes with the FUSE release, which the kernel sends after close(2) has
// returned, so it may or may not be there (see
// DISABLED_TheFilemarkOfACloseIsOnDiskWhenCloseReturns).
TEST_P(CrashTest, KilledRightAfterClose) {
  WritePlan p = plan();
  p.records = 350;
  p.min_size = 1;
  p.max_size = 48 << 10;
  p.sync_every = 100;
  p.sync = SyncKind::kFsync;
  WriterChild w(p, device());
  ASSERT_TRUE(w.wait_for([](const Note& n) { return n.kind == kClosed; })) << vt_->log();
  vt_->crash();
  check_after_crash(p, w, "as close() returned", p.records);
}

// Unload (vtape unload) is a sync point too: after it has returned, a crash
// cannot take anything away, and the image is a plain, unguarded image.
TEST_P(CrashTest, KilledAfterUnload) {
  WritePlan p = plan();
  p.records = 500;
  p.min_size = 1;
  p.max_size = 20 << 10;
  WriterChild w(p, device());
  ASSERT_TRUE(w.wait_for([](const Note& n) { return n.kind == kDone; })) << vt_->log();
  w.reap();
  ASSERT_TRUE(wait_until_closed(device()));
  auto u = vt_->vtape("unload " + std::to_string(kDrive));
  ASSERT_EQ(u.exit_code, 0) << u.err;
  vt_->crash();
  EXPECT_FALSE(std::filesystem::exists(image() + ".dirty"));
  auto v = run_vtape("verify " + shell_quote(image()));
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  ASSERT_TRUE(vt_->remount()) << vt_->error();
  auto l = vt_->vtape("load " + std::to_string(kDrive) + " " + kVolser);
  ASSERT_EQ(l.exit_code, 0) << l.err;
  std::vector<TapeObj> got;
  ASSERT_EQ(read_all(device(), &got), 0) << vt_->log();
  expect_prefix(p, got, expected_objects(p).size());
  EXPECT_EQ(got.size(), expected_objects(p).size());
}

// close(2) waits for the daemon to put the records on disk: with the daemon
// stopped (SIGSTOP) it must not return, and once it has returned a kill
// cannot take the records away.  (Before the daemon had a FUSE flush
// handler, close(2) returned at once here and the 40 records were lost.)
TEST_P(CrashTest, CloseIsASyncPoint) {
  WritePlan p = plan();
  p.records = 40;
  p.min_size = 1000;
  p.max_size = 20000;
  p.wait_before_close = true;
  WriterChild w(p, device());
  ASSERT_TRUE(w.wait_for([](const Note& n) { return n.kind == kReadyToClose; })) << vt_->log();
  ASSERT_EQ(kill(vt_->pid(), SIGSTOP), 0);
  if (!all_threads_stopped(vt_->pid())) {
    kill(vt_->pid(), SIGCONT);
    FAIL() << "the daemon did not stop";
  }
  w.go();
  bool returned_while_stopped = w.wait_for([](const Note& n) { return n.kind == kClosed; }, 1000);
  kill(vt_->pid(), SIGCONT);
  EXPECT_FALSE(returned_while_stopped) << "close(2) returned while the daemon could not have synced";
  if (!returned_while_stopped) {
    ASSERT_TRUE(w.wait_for([](const Note& n) { return n.kind == kClosed; })) << vt_->log();
  }
  vt_->crash();
  ASSERT_TRUE(w.closed_with().has_value()) << "close(2) failed";
  check_after_crash(p, w, "right after close(2) returned", p.records);
}

// The filemark a drive writes on close is on disk when close(2) returns.
//
// DISABLED: fails, depending on timing (in about a third of the attempts
// here).  The daemon writes the filemark in the FUSE release, which the
// kernel sends after close(2) has returned (the flush that close(2) waits
// for only syncs the records), so a kill right after close(2) often finds
// the records but not the filemark: the tape file is left open, and what is
// appended after the next mount (mt eod; tar -c) joins the same tape file.
// Ten attempts per format make a failure near certain.
TEST_P(CrashTest, TheFilemarkOfACloseIsOnDiskWhenCloseReturns) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (attempt > 0) fresh_mount();
    if (HasFatalFailure()) return;
    WritePlan p = plan();
    p.records = 50;
    p.min_size = 1;
    p.max_size = 8000;
    WriterChild w(p, device());
    ASSERT_TRUE(w.wait_for([](const Note& n) { return n.kind == kClosed; })) << vt_->log();
    vt_->crash();
    check_after_crash(p, w, "right after close(2) returned, attempt " + std::to_string(attempt + 1),
                      p.records + 1);
    if (HasFailure()) return;
  }
}

// ---- kills at random moments (issue 20) ------------------------------------

// The seed of the random moments: VTAPE_CRASH_SEED reruns a failed draw
// (the seed is in every failure message), otherwise a fresh one each run.
uint32_t crash_seed() {
  if (const char* s = std::getenv("VTAPE_CRASH_SEED")) return static_cast<uint32_t>(std::strtoul(s, nullptr, 10));
  return std::random_device{}();
}

// Kills per format and mode (VTAPE_CRASH_KILLS; 4 by default: 24 kills
// over the three formats and both modes, about 12 s each on the ASan build;
// VTAPE_CRASH_KILLS=7 makes 21 in each mode).
int crash_kills() {
  if (const char* s = std::getenv("VTAPE_CRASH_KILLS")) return std::max(1, std::atoi(s));
  return 4;
}

// Killed at random moments of a writer's stream (0 to 250 ms after it
// opened the drive: before, between and long after sync points), buffered
// and write-through, with record sizes, sync kinds and sync intervals drawn
// from the same seed: after each remount everything acknowledged is there
// (buffered: up to the last filemark or fsync; write-through: every write()
// that returned), the image verifies, the catalog agrees with it without a
// rebuild and a tar archive is written and read back.
TEST_P(CrashTest, KilledAtRandomMomentsKeepsEveryAcknowledgedRecord) {
  const uint32_t seed = crash_seed();
  std::cout << "[ seed     ] VTAPE_CRASH_SEED=" << seed << "\n";
  std::mt19937 rng(seed);
  auto draw = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (bool write_through : {false, true}) {
    mount_args_ = write_through ? "--write-through" : "";
    for (int k = 0; k < crash_kills(); ++k) {
      WritePlan p = plan();
      p.seed = static_cast<uint32_t>(rng());
      p.records = 200000;
      p.min_size = 1;
      p.max_size = static_cast<size_t>(draw(1, 64)) << 10;
      p.sync_every = draw(0, 3) == 0 ? 0 : draw(1, 200);
      p.sync = draw(0, 1) == 0 ? SyncKind::kFsync : SyncKind::kFilemark;
      if (p.sync_every == 0) p.sync = SyncKind::kNone;
      p.note_each_write = write_through;
      const int delay_us = draw(0, 250000);
      std::string moment = std::string(write_through ? "write-through" : "buffered") + ", kill " +
                           std::to_string(k + 1) + ", " + std::to_string(delay_us) + " us after open, records up to " +
                           std::to_string(p.max_size) + " bytes, " +
                           (p.sync_every == 0 ? std::string("no sync points")
                                              : "sync every " + std::to_string(p.sync_every) +
                                                    (p.sync == SyncKind::kFilemark ? " (filemark)" : " (fsync)"));
      SCOPED_TRACE("VTAPE_CRASH_SEED=" + std::to_string(seed) + ": " + moment);
      fresh_mount();
      if (HasFatalFailure()) return;
      WriterChild w(p, device());
      ASSERT_TRUE(w.wait_for([](const Note& n) { return n.kind == kOpened; })) << vt_->log();
      std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
      vt_->crash();
      check_after_crash(p, w, moment);
      if (HasFatalFailure()) return;
      auto check = vt_->vtape("index check");
      EXPECT_EQ(check.exit_code, 0) << describe(check);
      if (HasFailure()) return;  // one failure, with its seed, is enough to go on
    }
  }
}

// Killed while `vtape restore IMAGE --to-device` replays an image into the
// drive (at a random moment once a first part of it is in the image): what
// the drive holds after the remount is a prefix of the source, object for
// object and byte for byte, the image verifies, the catalog agrees without a
// rebuild, and a tar archive is written and read back.  The restore itself
// fails (its drive is gone) and says so.
TEST_P(CrashTest, KilledWhileARestoreWritesIntoTheDrive) {
  const uint32_t seed = crash_seed();
  SCOPED_TRACE("VTAPE_CRASH_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  WritePlan p = plan();
  p.seed = static_cast<uint32_t>(rng());
  p.records = 2000;
  p.min_size = 1;
  p.max_size = 32 << 10;
  p.sync_every = 50;
  p.sync = SyncKind::kFilemark;
  TempDir src;
  std::string source = src.file("SOURCE.tap");
  {
    std::vector<uint8_t> bytes;
    std::vector<uint8_t> rec;
    for (const TapeObj& o : expected_objects(p)) {
      if (o.filemark) {
        put_le32(bytes, 0);
      } else {
        fill_record(p, o.record, &rec);
        put_simh_record(bytes, rec);
      }
    }
    write_file_bytes(source, bytes);
  }
  const uint64_t kill_at = std::uniform_int_distribution<uint64_t>(256 << 10, 12 << 20)(rng);
  const uint64_t size_before = std::filesystem::file_size(image());
  auto restore = std::make_unique<Background>("VTAPE_LIBRARY=" + shell_quote(vt_->library()) + " " +
                                              shell_quote(VTAPE_BINARY) + " restore " + shell_quote(source) +
                                              " --to-device " + shell_quote(device()));
  while (!restore->done()) {
    std::error_code ec;
    auto size = std::filesystem::file_size(image(), ec);
    if (!ec && size >= size_before + kill_at) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  bool mid_way = !restore->done();
  vt_->crash();
  const CommandResult& r = restore->join();
  std::string moment = "restore into the drive, killed at " + std::to_string(kill_at) + " bytes" +
                       (mid_way ? "" : " (the restore had finished)");
  std::cout << "[ observed ] " << moment << "; restore: " << describe(r) << "\n";
  if (mid_way) {
    EXPECT_NE(r.exit_code, 0) << "a restore whose drive went away must fail: " << describe(r);
  }
  check_after_crash(p, 0, moment);
  if (HasFatalFailure()) return;
  auto check = vt_->vtape("index check");
  EXPECT_EQ(check.exit_code, 0) << describe(check);
}

INSTANTIATE_TEST_SUITE_P(Formats, CrashTest, ::testing::ValuesIn(kFormats),
                         [](const ::testing::TestParamInfo<FormatCase>& info) { return std::string(info.param.name); });

// ---- what a crash in the first write leaves ----------------------------------

// A SIMH cartridge killed while the drive wrote its first buffer holds the
// end guard at byte 0 and, behind it, whatever part of the records had
// reached the file (everything but the first record's length word, which is
// written last).  vtape verify must take that for the empty SIMH tape it is.
//
// DISABLED: fails.  Without --format, format detection prefers TPC, which
// reads a dozen "records" out of the torn bytes, and verify reports a
// damaged tpc image (exit 1); vtape verify --format simh passes, and the
// drive, which knows the format, reloads the cartridge without trouble.  The
// crash tests meet this by timing (KilledDuringALargeWrite/simh, killed in
// the first 4 MiB flush); here the bytes are laid out by hand.
TEST(CrashLeftovers, AnImageTornInItsFirstWriteIsDetectedAsSimh) {
  TempDir dir;
  std::vector<uint8_t> bytes;
  for (uint32_t i = 0; i < 20; ++i) put_simh_record(bytes, pattern_bytes(50000, 100 + i));
  bytes[0] = bytes[1] = bytes[2] = bytes[3] = 0xFF;  // the guard, not yet overwritten
  bytes.resize(512 << 10);                           // the kill cut the write short
  std::string image = dir.file("SCR001.tap");
  write_file_bytes(image, bytes);
  auto with_format = run_vtape("verify --format simh " + shell_quote(image));
  EXPECT_EQ(with_format.exit_code, 0) << with_format.out << with_format.err;
  auto detected = run_vtape("verify " + shell_quote(image));
  EXPECT_EQ(detected.exit_code, 0) << detected.out << detected.err;
}

// ---- records at the 1 MiB limit (found by KilledDuringALargeWrite) --------

// One write() of up to 1 MiB is one record, wherever the caller's buffer
// starts.
//
// DISABLED: fails.  The kernel passes a direct-I/O write to the daemon in
// requests of at most 256 pages (max_pages; /proc/sys/fs/fuse/max_pages_limit
// is 256).  A 1 MiB buffer that starts 16 bytes into a page spans 257 pages,
// so the write arrives as requests of 1048560 and 16 bytes and the tape gets
// two records.  A kill between the two requests leaves a record cut short
// that vtape verify cannot notice.  Every size above 1 MiB - 4 KiB (1044480)
// can be split this way; buffers from malloc rarely start on a page boundary.
TEST(RecordLimit, DISABLED_AOneMebibyteWriteFromAnyBufferIsOneRecord) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  PageBuffer base((2 << 20) + 4096, 0xA5);
  int fd = open(vt.drive(0).c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << strerror(errno);
  ASSERT_EQ(write(fd, base.data() + 16, 1 << 20), 1 << 20);
  ASSERT_EQ(close(fd), 0);
  ASSERT_TRUE(wait_until_closed(vt.drive(0)));
  ASSERT_EQ(drive_ioctl_op(vt.drive(0), MTREW, 1), 0);
  std::vector<TapeObj> got;
  ASSERT_EQ(read_all(vt.drive(0), &got), 0);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.size(), 2u) << "expected one record and the filemark written on close";
  EXPECT_EQ(got[0].data.size(), 1u << 20);
}

// ---- a full disk -------------------------------------------------------------

struct FullDiskRun {
  uint64_t acknowledged = 0;  // records whose write() returned success
  int failed_errno = 0;
  int close_rc = 0;
  std::vector<TapeObj> read_back;
  std::string verify;
  int verify_exit = -1;
  long position_after_close = -1;  // MTIOCPOS
};

// Fills the disk through drive 0 (SCR001, SIMH, on the 2 MiB tmpfs) with
// 32 KiB records until a write fails, closes, and reads the tape back.
void fill_the_disk(MountedOnSmallDisk& d, const WritePlan& p, FullDiskRun* run) {
  MountedVtapefs& vt = d.vt();
  std::string dev = vt.drive(0);
  // Room to give back later.
  write_file_bytes(vt.library() + "/filler", std::vector<uint8_t>(256 << 10, 0xEE));

  int fd = open(dev.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << strerror(errno);
  PageBuffer buf;
  for (uint64_t i = 0; i < p.records; ++i) {
    fill_record(p, i, &buf);
    ssize_t w = write(fd, buf.data(), buf.size());
    if (w < 0) {
      run->failed_errno = errno;
      break;
    }
    ASSERT_EQ(static_cast<size_t>(w), buf.size()) << "a short write";
    ++run->acknowledged;
  }
  run->close_rc = close(fd) == 0 ? 0 : errno;
  ASSERT_TRUE(wait_until_closed(dev));
  std::string image = vt.library() + "/cartridges/SCR001.tap";
  auto v = run_vtape("verify " + shell_quote(image));
  run->verify_exit = v.exit_code;
  run->verify = v.out + v.err;
  fd = open(dev.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0) << strerror(errno);
  mtpos pos{};
  ASSERT_EQ(ioctl(fd, MTIOCPOS, &pos), 0) << strerror(errno);
  run->position_after_close = pos.mt_blkno;
  close(fd);
  ASSERT_TRUE(wait_until_closed(dev));
  ASSERT_EQ(drive_ioctl_op(dev, MTREW, 1), 0);
  ASSERT_EQ(read_all(dev, &run->read_back), 0) << vt.log();
  std::cout << "[ observed ] full disk: " << run->acknowledged << " records of 32 KiB acknowledged, then errno "
            << run->failed_errno << " (" << strerror(run->failed_errno) << "); close " << run->close_rc
            << "; image " << std::filesystem::file_size(image) << " bytes holds " << run->read_back.size()
            << " objects; MTIOCPOS after close " << run->position_after_close << "; " << run->verify;
}

WritePlan full_disk_plan() {
  WritePlan p;
  p.records = 1000;  // 32 MiB: far more than the disk holds
  p.min_size = p.max_size = 32 << 10;
  p.seed = 99;
  return p;
}

TEST(FullDisk, WriterGetsEnospcAndTheImageStaysValid) {
  MountedOnSmallDisk d("2m");
  if (!d.skip_reason().empty()) GTEST_SKIP() << d.skip_reason();
  ASSERT_TRUE(d.started()) << d.vt().error();
  WritePlan p = full_disk_plan();
  FullDiskRun run;
  fill_the_disk(d, p, &run);
  if (HasFatalFailure()) return;
  EXPECT_EQ(run.failed_errno, ENOSPC);
  EXPECT_EQ(run.verify_exit, 0) << run.verify;
  // Whole records only, each as written, then at most the filemark written
  // on close (which may not fit either).
  std::vector<TapeObj> records = run.read_back;
  if (!records.empty() && records.back().filemark) records.pop_back();
  for (const auto& o : records) ASSERT_FALSE(o.filemark) << "a filemark in the middle";
  WritePlan no_close = p;
  no_close.close_at_end = false;
  expect_prefix(no_close, records, 0);
  if (HasFatalFailure()) return;

  // Space again: the drive works, from the end of what is there.
  std::filesystem::remove(d.vt().library() + "/filler");
  expect_tar_round_trip(d.vt().drive(0));
  d.vt().unmount();
  auto v = run_vtape("verify " + shell_quote(d.vt().library() + "/cartridges/SCR001.tap"));
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// Every record whose write() succeeded must be on the tape: a writer that
// gets ENOSPC (GNU tar -M) carries on with the failed record on the next
// volume, so a record that was acknowledged and then dropped is lost.
TEST(FullDisk, EveryAcknowledgedRecordIsOnTheTape) {
  // A write-through promise: a buffered drive acknowledges records before
  // they reach the disk (see the buffered variant below).
  MountedOnSmallDisk d("2m", "--write-through");
  if (!d.skip_reason().empty()) GTEST_SKIP() << d.skip_reason();
  ASSERT_TRUE(d.started()) << d.vt().error();
  WritePlan p = full_disk_plan();
  FullDiskRun run;
  fill_the_disk(d, p, &run);
  if (HasFatalFailure()) return;
  ASSERT_EQ(run.failed_errno, ENOSPC);
  std::vector<TapeObj> records = run.read_back;
  if (!records.empty() && records.back().filemark) records.pop_back();
  EXPECT_EQ(records.size(), run.acknowledged);
  EXPECT_EQ(run.position_after_close, static_cast<long>(run.read_back.size()))
      << "MTIOCPOS after close should count the objects on the tape";
}


// Buffered (the default), the same disk: the ENOSPC comes at the write()
// that finds the drive's buffer full, or at close, as st reports a failed
// write-out of its buffer.  The records of that buffer which did not fit
// are lost with it (the error told the writer); every record on the tape
// was acknowledged, the whole records that fitted are kept, and the drive
// counts what is on the tape.
TEST(FullDisk, BufferedWriterGetsEnospcAndEveryRecordOnTheTapeWasAcknowledged) {
  MountedOnSmallDisk d("2m");
  if (!d.skip_reason().empty()) GTEST_SKIP() << d.skip_reason();
  ASSERT_TRUE(d.started()) << d.vt().error();
  WritePlan p = full_disk_plan();
  FullDiskRun run;
  fill_the_disk(d, p, &run);
  if (HasFatalFailure()) return;
  ASSERT_EQ(run.failed_errno, ENOSPC);
  EXPECT_EQ(run.verify_exit, 0) << run.verify;
  std::vector<TapeObj> records = run.read_back;
  if (!records.empty() && records.back().filemark) records.pop_back();
  EXPECT_LE(records.size(), run.acknowledged);
  EXPECT_GT(records.size(), 0u) << "the whole records that fitted on the disk are kept";
  EXPECT_EQ(run.position_after_close, static_cast<long>(run.read_back.size()))
      << "MTIOCPOS after close should count the objects on the tape";
}

// ---- the repair after a crash cuts only the torn tail (issue 13) ------------

// Offsets of the SIMH objects (records and filemarks) in an image, in order.
std::vector<uint64_t> simh_object_offsets(const std::vector<uint8_t>& b) {
  std::vector<uint64_t> out;
  uint64_t at = 0;
  while (at + 4 <= b.size()) {
    uint32_t w = uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 | uint32_t(b[at + 3]) << 24;
    if (w == 0xFFFFFFFF) break;
    out.push_back(at);
    at += w == 0 ? 4 : 8 + ((w & 0x00FFFFFF) + 1) / 2 * 2;
  }
  return out;
}

class CrashRepair : public ::testing::Test {
 protected:
  static constexpr int kDrive = 1;
  static constexpr const char* kVolser = "DMG001";

  void SetUp() override {
    ASSERT_TRUE(vt_.ok()) << vt_.error();
    ASSERT_EQ(vt_.vtape(std::string("new ") + kVolser + " --format simh").exit_code, 0);
    ASSERT_EQ(vt_.vtape("load " + std::to_string(kDrive) + " " + kVolser).exit_code, 0);
  }

  std::string device() const { return vt_.drive(kDrive); }
  std::string image() const { return vt_.library() + "/cartridges/" + kVolser + ".tap"; }
  std::string marker() const { return image() + ".dirty"; }

  // Three tar archives of about 570 KiB each, written by tar, each closed
  // (a sync point) and ended by its filemark.
  void write_three_archives() {
    for (int i = 0; i < 3; ++i) {
      TempDir src;
      write_file_bytes(src.file("data.bin"), pattern_bytes(570000, 10 + i));
      auto c = run_command("tar -cf " + shell_quote(device()) + " -C " + shell_quote(src.path().string()) +
                           " data.bin");
      ASSERT_EQ(c.exit_code, 0) << c.err;
      ASSERT_TRUE(wait_until_closed(device()));
    }
  }

  // A fourth archive is being written (one record, in the image but not
  // synced) when the daemon is killed: the image has a marker, and
  // everything before the fourth archive was acknowledged.
  void crash_while_writing() {
    int fd = open(device().c_str(), O_WRONLY);
    ASSERT_GE(fd, 0) << strerror(errno);
    std::vector<uint8_t> record = pattern_bytes(10240, 77);
    ASSERT_EQ(write(fd, record.data(), record.size()), static_cast<ssize_t>(record.size())) << strerror(errno);
    // A position query writes the drive's buffer out (as st's does), without
    // a sync: the record is in the image.
    mtget g{};
    ASSERT_EQ(ioctl(fd, MTIOCGET, &g), 0) << strerror(errno);
    ASSERT_TRUE(std::filesystem::exists(marker()));
    vt_.crash();
    close(fd);
  }

  MountedVtapefs vt_;
};

// One damaged length word in the middle of the second archive of an image
// that has a .dirty marker: the load after the crash may cut only what was
// written after the last sync point (the fourth archive's torn record), so
// the damage is reported and the cartridge write-protected, and not a byte
// of the 1.7 MB is cut.  (It used to cut the tape at the damage, leaving
// one archive and a piece, and log "recovered after an interrupted write".)
TEST_F(CrashRepair, DamageBeforeTheLastSyncPointIsReportedNeverCut) {
  write_three_archives();
  if (HasFatalFailure()) return;
  crash_while_writing();
  if (HasFatalFailure()) return;
  auto bytes = read_file_bytes(image());
  auto objects = simh_object_offsets(bytes);
  ASSERT_GT(objects.size(), 100u);
  uint64_t victim = objects[objects.size() / 2];  // a record of the second archive
  ASSERT_GT(victim, 600000u);
  ASSERT_LT(victim, 1200000u);
  bytes[victim + 2] ^= 0x21;
  write_file_bytes(image(), bytes);

  ASSERT_TRUE(vt_.remount()) << vt_.error();
  EXPECT_TRUE(read_file_bytes(image()) == bytes) << "the repair changed the image";
  EXPECT_TRUE(std::filesystem::exists(marker())) << "the marker must stay until the image is repaired";
  EXPECT_NE(vt_.log().find(std::string(kVolser) + ": damaged before its last sync point"), std::string::npos)
      << vt_.log();
  EXPECT_EQ(vt_.log().find("recovered after an interrupted write"), std::string::npos) << vt_.log();
  auto st = vt_.vtape("status --json " + std::to_string(kDrive));
  EXPECT_NE(st.out.find("\"write_protected\":true"), std::string::npos) << st.out << st.err;
  EXPECT_EQ(open(device().c_str(), O_WRONLY), -1) << "a damaged cartridge must not be written";
  // The first archive reads back through the drive; salvage finds the rest.
  TempDir out;
  auto x = run_command("tar -xf " + shell_quote(device()) + " -C " + shell_quote(out.path().string()));
  EXPECT_EQ(x.exit_code, 0) << x.err;
  EXPECT_TRUE(read_file_bytes(out.file("data.bin")) == pattern_bytes(570000, 10));
  // The next mount finds the marker and the damage again: the cartridge
  // stays write-protected until the image is repaired.
  ASSERT_TRUE(wait_until_closed(device()));
  ASSERT_TRUE(vt_.remount()) << vt_.error();
  EXPECT_TRUE(read_file_bytes(image()) == bytes) << "the repair changed the image";
  EXPECT_TRUE(std::filesystem::exists(marker()));
  EXPECT_EQ(open(device().c_str(), O_WRONLY), -1) << "a damaged cartridge must not be written";
  vt_.unmount();
  EXPECT_TRUE(std::filesystem::exists(marker()));
  // Everything but the damaged record is still there for salvage: the
  // three archives, and nothing invented.
  auto v = run_vtape("verify --salvage " + shell_quote(image()));
  EXPECT_NE(v.out.find("1 damaged region(s); readable: 4 tape files"), std::string::npos) << v.out << v.err;
}

// A marker that names no sync point (an older vtapefs's, or one made by
// hand) allows no cut at all: the same damage is reported, nothing is cut.
TEST_F(CrashRepair, AMarkerWithoutASyncPointAllowsNoCut) {
  write_three_archives();
  if (HasFatalFailure()) return;
  vt_.unmount();
  auto bytes = read_file_bytes(image());
  auto objects = simh_object_offsets(bytes);
  ASSERT_GT(objects.size(), 100u);
  bytes[objects[objects.size() / 2] + 2] ^= 0x21;
  write_file_bytes(image(), bytes);
  write_file_bytes(marker(), {});
  ASSERT_TRUE(vt_.remount()) << vt_.error();
  EXPECT_TRUE(read_file_bytes(image()) == bytes) << "the repair changed the image";
  EXPECT_NE(vt_.log().find("damaged before its last sync point"), std::string::npos) << vt_.log();
  EXPECT_EQ(open(device().c_str(), O_WRONLY), -1) << "a damaged cartridge must not be written";
}

// Whenever the image on disk holds the end guard, the marker exists: MTWEOF
// puts the guard on (as a write does) and the daemon is killed before the
// release that takes it off (what `mt weof` followed by kill -9 can do,
// made certain here by holding the descriptor open).  The next load removes
// the guard, and the filemark is there.
TEST_F(CrashRepair, AnEndGuardOnDiskAlwaysHasItsMarker) {
  write_three_archives();
  if (HasFatalFailure()) return;
  int fd = open(device().c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << strerror(errno);
  mtop weof{MTWEOF, 1};
  ASSERT_EQ(ioctl(fd, MTIOCTOP, &weof), 0) << strerror(errno);
  auto ends_in_guard = [&] {
    auto b = read_file_bytes(image());
    return b.size() >= 4 && std::vector<uint8_t>(b.end() - 4, b.end()) == std::vector<uint8_t>(4, 0xFF);
  };
  bool guarded = ends_in_guard();
  EXPECT_TRUE(!guarded || std::filesystem::exists(marker())) << "an end guard without a .dirty marker";
  vt_.crash();
  close(fd);
  guarded = ends_in_guard();
  EXPECT_TRUE(guarded);
  EXPECT_TRUE(!guarded || std::filesystem::exists(marker())) << "an end guard without a .dirty marker";
  auto size_at_crash = read_file_bytes(image()).size();

  ASSERT_TRUE(vt_.remount()) << vt_.error();
  EXPECT_FALSE(std::filesystem::exists(marker()));
  auto b = read_file_bytes(image());
  EXPECT_EQ(b.size(), size_at_crash - 4) << "the guard, and only the guard, is cut";
  EXPECT_EQ(std::vector<uint8_t>(b.end() - 8, b.end()), std::vector<uint8_t>(8, 0))
      << "the image ends in the archive's filemark and the one MTWEOF wrote";
  vt_.unmount();
  auto v = run_vtape("verify " + shell_quote(image()));
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("4 tape files"), std::string::npos) << v.out;
}

}  // namespace
}  // namespace vtape::testing
