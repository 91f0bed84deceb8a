// The drive's states (DriveState) without FUSE: every operation the FUSE
// adapter and the control socket can call, in every state, keeps the
// invariants of the state it leaves the drive in (TapeDrive::check_invariants,
// which debug builds also check after every call); a failed write puts the
// drive in kError, which refuses work until a rewind; and the observers
// (DriveObserver) hear every event of the tape in order.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/mtio.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "library/mtio_mapping.h"
#include "library/drive_observer.h"
#include "library/tape_drive.h"
#include "library/tape_library.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

#ifndef MTWEOFI
#define MTWEOFI 35
#endif

constexpr DriveOpenMode kReadOnly{false, false, false};
constexpr DriveOpenMode kWritable{false, true, false};
constexpr DriveOpenMode kRewindWritable{true, true, false};
constexpr DriveOpenMode kNonblockingWritable{false, true, true};

// Writes down every event, as "name arguments".
class RecordingObserver : public DriveObserver {
 public:
  std::vector<std::string> events;
  Status fail_changing = Status::ok();

  void loaded(const Cartridge& c) override { events.push_back("loaded " + c.volser); }
  void unloading() override { events.push_back("unloading"); }
  Status changing() override {
    events.push_back("changing");
    return fail_changing;
  }
  void tape_file_begins(const TapePosition& at) override {
    events.push_back("begins " + std::to_string(at.file) + "/" + std::to_string(at.block));
  }
  void record(std::span<const uint8_t> data) override { events.push_back("record " + std::to_string(data.size())); }
  Status filemark(const TapePosition& after, uint64_t) override {
    events.push_back("filemark " + std::to_string(after.file));
    return Status::ok();
  }
  Status stopped(uint64_t) override {
    events.push_back("stopped");
    return Status::ok();
  }
  Status erased(const TapePosition& at, uint64_t) override {
    events.push_back("erased " + std::to_string(at.file) + "/" + std::to_string(at.block));
    return Status::ok();
  }
  void event(const std::string& kind, const std::string&) override { events.push_back("event " + kind); }
};

// One drive on its own library, brought into a state.  The library of a
// drive that is to reach kError is on a small disk that a write fills.
class Rig {
 public:
  explicit Rig(bool small_disk = false) {
    if (small_disk) disk_ = std::make_unique<SmallTmpfs>(dir_.file("lib"), "1m");
    if (disk_ && !disk_->error().empty()) return;
    Status s = TapeLibrary::open(dir_.file("lib"), true, &lib_);
    EXPECT_TRUE(s.is_ok()) << s.message();
    drive_.add_observer(observer_);
  }

  // Why this rig cannot be made here (empty: it can).
  std::string skip_reason() const { return disk_ ? disk_->error() : ""; }

  TapeDrive& drive() { return drive_; }
  uint64_t handle() const { return handle_; }
  RecordingObserver& observer() { return *observer_; }

  Cartridge cartridge(const std::string& volser) {
    Cartridge c;
    Status s = lib_->create_cartridge(volser, Format::kSimh, kDefaultCapacity, &c);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return c;
  }

  void load() {
    Status s = drive_.load(cartridge("ST0001"));
    ASSERT_TRUE(s.is_ok()) << s.message();
  }

  // An open with a record written, a filemark, another record: reading
  // and spacing find something both ways.
  void open_with_data() {
    load();
    ASSERT_EQ(drive_.open(kWritable, &handle_), DriveError::kNone);
    ASSERT_EQ(drive_.write(pattern_bytes(100, 1)), DriveError::kNone);
    ASSERT_EQ(mt_operation(drive_, MTWEOF, 1), DriveError::kNone);
    ASSERT_EQ(drive_.write(pattern_bytes(200, 2)), DriveError::kNone);
  }

  void reach(DriveState state) {
    switch (state) {
      case DriveState::kEmpty: break;
      case DriveState::kOpenNoMedium:
        ASSERT_EQ(drive_.open(kNonblockingWritable, &handle_), DriveError::kNone);
        break;
      case DriveState::kLoaded:
        load();
        break;
      case DriveState::kOpenIdle:
        open_with_data();
        ASSERT_EQ(mt_operation(drive_, MTBSR, 1), DriveError::kNone);  // after writing: a filemark, then back
        break;
      case DriveState::kOpenWriting:
        open_with_data();
        break;
      case DriveState::kClosing:
        open_with_data();
        ASSERT_EQ(drive_.flush(handle_), DriveError::kNone);
        break;
      case DriveState::kError:
        open_with_data();
        fail_a_write();
        break;
    }
    ASSERT_EQ(drive_.state(), state) << describe(drive_.state());
    ASSERT_EQ(drive_.check_invariants(), "");
  }

  // The disk fills in the middle of writing (ENOSPC from the image file,
  // as on a full file system); the filler then gives room back.
  void fail_a_write() {
    ASSERT_TRUE(disk_) << "a rig without a small disk";
    std::string filler = dir_.file("lib") + "/filler";
    write_file_bytes(filler, std::vector<uint8_t>(128 << 10, 0xEE));
    DriveError e = DriveError::kNone;
    for (int i = 0; i < 100 && e == DriveError::kNone; ++i) e = drive_.write(pattern_bytes(64 << 10, 3));
    std::filesystem::remove(filler);
    ASSERT_EQ(e, DriveError::kNoSpace) << "the full disk was not met";
  }

 private:
  TempDir dir_;
  std::unique_ptr<SmallTmpfs> disk_;  // a library on 1 MiB; unmounted after the drive and library
  std::unique_ptr<TapeLibrary> lib_;
  TapeDrive drive_{0};
  std::shared_ptr<RecordingObserver> observer_ = std::make_shared<RecordingObserver>();
  uint64_t handle_ = 0;
};

struct Op {
  std::string name;
  std::function<void(Rig&)> run;
};

std::vector<Op> every_operation() {
  std::vector<Op> ops = {
      {"open read-only", [](Rig& r) { (void)r.drive().open(kReadOnly); }},
      {"open writable", [](Rig& r) { (void)r.drive().open(kWritable); }},
      {"open nonblocking", [](Rig& r) { (void)r.drive().open(kNonblockingWritable); }},
      {"open rewinding", [](Rig& r) { (void)r.drive().open(kRewindWritable); }},
      {"read", [](Rig& r) { std::vector<uint8_t> b; (void)r.drive().read(1 << 20, &b); }},
      {"read short", [](Rig& r) { std::vector<uint8_t> b; (void)r.drive().read(10, &b); }},
      {"write", [](Rig& r) { (void)r.drive().write(pattern_bytes(300, 9)); }},
      {"fsync", [](Rig& r) { (void)r.drive().fsync(); }},
      {"flush", [](Rig& r) { (void)r.drive().flush(r.handle()); }},
      {"release handle", [](Rig& r) { r.drive().release(r.handle()); }},
      {"release", [](Rig& r) { (void)r.drive().release(); }},
      {"load", [](Rig& r) { (void)r.drive().load(r.cartridge("ST0002")); }},
      {"unload", [](Rig& r) { (void)r.drive().unload(); }},
      {"status", [](Rig& r) { (void)r.drive().status(); }},
      {"protect", [](Rig& r) { r.drive().set_write_protected(true); }},
  };
  const std::vector<std::pair<const char*, int>> mt = {
      {"MTRESET", MTRESET}, {"MTFSF", MTFSF}, {"MTBSF", MTBSF}, {"MTFSR", MTFSR}, {"MTBSR", MTBSR},
      {"MTWEOF", MTWEOF}, {"MTREW", MTREW}, {"MTOFFL", MTOFFL}, {"MTNOP", MTNOP}, {"MTRETEN", MTRETEN},
      {"MTBSFM", MTBSFM}, {"MTFSFM", MTFSFM}, {"MTEOM", MTEOM}, {"MTERASE", MTERASE}, {"MTRAS1", MTRAS1},
      {"MTRAS2", MTRAS2}, {"MTRAS3", MTRAS3}, {"MTSETBLK", MTSETBLK}, {"MTSETDENSITY", MTSETDENSITY},
      {"MTSEEK", MTSEEK}, {"MTTELL", MTTELL}, {"MTSETDRVBUFFER", MTSETDRVBUFFER}, {"MTFSS", MTFSS},
      {"MTBSS", MTBSS}, {"MTWSM", MTWSM}, {"MTLOCK", MTLOCK}, {"MTUNLOCK", MTUNLOCK}, {"MTLOAD", MTLOAD},
      {"MTUNLOAD", MTUNLOAD}, {"MTCOMPRESSION", MTCOMPRESSION}, {"MTSETPART", MTSETPART},
      {"MTMKPART", MTMKPART}, {"MTWEOFI", MTWEOFI}};
  for (const auto& [name, op] : mt) {
    ops.push_back({name, [op = op](Rig& r) { (void)mt_operation(r.drive(), op, 1); }});
  }
  return ops;
}

const DriveState kEveryState[] = {DriveState::kEmpty,       DriveState::kOpenNoMedium, DriveState::kLoaded,
                                  DriveState::kOpenIdle,    DriveState::kOpenWriting,  DriveState::kClosing,
                                  DriveState::kError};

TEST(DriveStates, EveryOperationInEveryStateKeepsTheInvariants) {
  for (DriveState state : kEveryState) {
    for (const Op& op : every_operation()) {
      SCOPED_TRACE(std::string(describe(state)) + ", then " + op.name);
      Rig rig(state == DriveState::kError);
      if (!rig.skip_reason().empty()) GTEST_SKIP() << rig.skip_reason();
      rig.reach(state);
      if (::testing::Test::HasFatalFailure()) return;
      op.run(rig);
      EXPECT_EQ(rig.drive().check_invariants(), "");
      // And a second step from wherever it went, then the end of the open.
      rig.drive().release(rig.handle());
      (void)rig.drive().release();
      EXPECT_EQ(rig.drive().check_invariants(), "");
    }
  }
}

TEST(DriveStates, AFailedWriteRefusesWorkUntilARewind) {
  Rig rig(true);
  if (!rig.skip_reason().empty()) GTEST_SKIP() << rig.skip_reason();
  rig.reach(DriveState::kError);
  if (HasFatalFailure()) return;
  TapeDrive& d = rig.drive();
  std::vector<uint8_t> b;
  EXPECT_EQ(d.write(pattern_bytes(10, 1)), DriveError::kIo);
  EXPECT_EQ(d.read(1 << 20, &b), DriveError::kIo);
  EXPECT_EQ(d.fsync(), DriveError::kIo);
  for (int op : {MTWEOF, MTFSF, MTBSF, MTFSR, MTBSR, MTNOP, MTERASE, MTSETBLK, MTLOAD}) {
    EXPECT_EQ(mt_operation(d, op, 1), DriveError::kIo) << "op " << op;
  }
  EXPECT_EQ(d.state(), DriveState::kError);
  EXPECT_TRUE(d.status().loaded);  // MTIOCGET still answers
  // A close of the no-rewind device writes no filemark and keeps the error.
  EXPECT_EQ(d.flush(rig.handle()), DriveError::kNone);
  d.release(rig.handle());
  EXPECT_EQ(d.state(), DriveState::kError);
  ASSERT_EQ(d.open(kReadOnly), DriveError::kNone);
  EXPECT_EQ(d.read(1 << 20, &b), DriveError::kIo);
  // The rewind finds the position again: the first record reads back.
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  EXPECT_EQ(d.state(), DriveState::kOpenIdle);
  ASSERT_EQ(d.read(1 << 20, &b), DriveError::kNone);
  EXPECT_EQ(b, pattern_bytes(100, 1));
  EXPECT_EQ(d.release(), DriveError::kNone);
}

TEST(DriveStates, TheRewindAtCloseOfTheRewindDeviceClearsTheError) {
  Rig rig(true);
  if (!rig.skip_reason().empty()) GTEST_SKIP() << rig.skip_reason();
  rig.load();
  TapeDrive& d = rig.drive();
  uint64_t h = 0;
  ASSERT_EQ(d.open(kRewindWritable, &h), DriveError::kNone);
  ASSERT_EQ(d.write(pattern_bytes(100, 1)), DriveError::kNone);
  rig.fail_a_write();
  if (HasFatalFailure()) return;
  EXPECT_EQ(d.state(), DriveState::kError);
  (void)d.flush(h);
  d.release(h);
  EXPECT_EQ(d.state(), DriveState::kLoaded);
  EXPECT_TRUE(mt_gstat(d.status()) & 0x40000000u) << "at BOT";
}

TEST(DriveObservers, HearEveryEventOfTheTapeInOrder) {
  Rig rig;
  rig.load();
  TapeDrive& d = rig.drive();
  uint64_t h = 0;
  ASSERT_EQ(d.open(kWritable, &h), DriveError::kNone);
  ASSERT_EQ(d.write(pattern_bytes(10, 1)), DriveError::kNone);
  ASSERT_EQ(d.write(pattern_bytes(20, 2)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTWEOF, 1), DriveError::kNone);
  ASSERT_EQ(d.write(pattern_bytes(30, 3)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTBSR, 1), DriveError::kNone);  // writing stops without a filemark
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTFSR, 1), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTERASE, 1), DriveError::kNone);
  ASSERT_EQ(d.write(pattern_bytes(40, 4)), DriveError::kNone);
  ASSERT_EQ(mt_operation(d, MTREW, 1), DriveError::kNone);  // a filemark first, as st
  ASSERT_EQ(d.release(), DriveError::kNone);
  ASSERT_TRUE(d.unload().is_ok());
  std::vector<std::string> expected = {
      "loaded ST0001", "begins 0/0", "changing",   "record 10", "changing",  "record 20",  "changing",
      "filemark 1",    "changing",   "record 30",  "stopped",   "changing",  "erased 0/1", "begins 0/1",
      "changing",      "record 40",  "filemark 1", "stopped",   "unloading"};
  EXPECT_EQ(rig.observer().events, expected);
}

TEST(DriveObservers, AnObserverThatCannotFollowAChangeFailsIt) {
  Rig rig;
  rig.load();
  TapeDrive& d = rig.drive();
  ASSERT_EQ(d.open(kWritable), DriveError::kNone);
  rig.observer().fail_changing = Status::no_space("the catalog's disk is full");
  EXPECT_EQ(d.write(pattern_bytes(10, 1)), DriveError::kNoSpace);
  EXPECT_EQ(d.status().block_address, 0u) << "nothing was written";
  rig.observer().fail_changing = Status::ok();
  EXPECT_EQ(d.write(pattern_bytes(10, 1)), DriveError::kNone);
  EXPECT_EQ(d.release(), DriveError::kNone);
}

}  // namespace
}  // namespace vtape::testing
