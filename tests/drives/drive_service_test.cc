// The drive service without FUSE: one door at a time on a drive, whoever
// the doors are, and the control socket says which door holds it.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "library/control_protocol.h"
#include "library/drive_service.h"
#include "library/tape_library.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

constexpr DriveOpenMode kReadOnly{false, false, false};
constexpr DriveOpenMode kWritable{false, true, false};

class DriveServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<TapeLibrary> lib;
    Status s = TapeLibrary::open(dir_.file("lib"), true, &lib);  // SCR001 in drive 0
    ASSERT_TRUE(s.is_ok()) << s.message();
    socket_ = lib->socket_path();
    service_ = std::make_unique<DriveService>(std::move(lib), 2);
    s = service_->start();
    ASSERT_TRUE(s.is_ok()) << s.message();
  }
  void TearDown() override {
    if (service_) service_->stop();
  }
  // The control socket's answer to `request` (a real client).
  std::string control(const std::string& request) {
    std::string payload;
    Status s = control_request(socket_, request, &payload);
    EXPECT_TRUE(s.is_ok()) << request << ": " << s.message();
    return payload;
  }

  TempDir dir_;
  std::string socket_;
  std::unique_ptr<DriveService> service_;
};

TEST_F(DriveServiceTest, OneDoorAtATime) {
  DriveLease rmt;
  ASSERT_EQ(service_->acquire(0, kWritable, "rmt session 1", &rmt), DriveError::kNone);
  ASSERT_TRUE(rmt.held());
  EXPECT_EQ(rmt.number(), 0);

  // Another door, read-only or not, gets EBUSY while the first holds it.
  DriveLease mount;
  EXPECT_EQ(service_->acquire(0, kReadOnly, "mount (pid 7)", &mount), DriveError::kBusy);
  EXPECT_EQ(service_->acquire(0, kWritable, "mount (pid 7)", &mount), DriveError::kBusy);
  EXPECT_FALSE(mount.held());
  // The other drive is empty, and there is no drive 2.
  DriveLease other;
  EXPECT_EQ(service_->acquire(1, kReadOnly, "mount (pid 7)", &other), DriveError::kNoMedium);
  EXPECT_EQ(service_->acquire(2, kReadOnly, "mount (pid 7)", &other), DriveError::kInvalidArgument);

  // Status, in the service and over the control socket, names the holder.
  std::vector<DriveStatus> st = service_->status(0);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_TRUE(st[0].open);
  EXPECT_EQ(st[0].held_by, "rmt session 1");
  std::string json = control("status json 0");
  EXPECT_NE(json.find("\"open\":true,\"held_by\":\"rmt session 1\""), std::string::npos) << json;
  std::string text = control("status text 0");
  EXPECT_NE(text.find("SCR001 (simh), open by rmt session 1"), std::string::npos) << text;

  // The first door writes a record and closes: the filemark goes on the tape.
  std::vector<uint8_t> record(512, 'x');
  ASSERT_EQ(rmt.drive().write(record), DriveError::kNone);
  ASSERT_EQ(rmt.close(), DriveError::kNone);
  EXPECT_FALSE(rmt.held());
  EXPECT_EQ(service_->status(0)[0].file, 1);

  // Now the second door gets the drive, and status says so.
  ASSERT_EQ(service_->acquire(0, kReadOnly, "mount (pid 7)", &mount), DriveError::kNone);
  st = service_->status(0);
  EXPECT_TRUE(st[0].open);
  EXPECT_EQ(st[0].held_by, "mount (pid 7)");
  json = control("status json");
  EXPECT_NE(json.find("\"held_by\":\"mount (pid 7)\""), std::string::npos) << json;
  EXPECT_EQ(json.find("rmt session 1"), std::string::npos) << json;
  // The first door cannot have it back meanwhile.
  EXPECT_EQ(service_->acquire(0, kReadOnly, "rmt session 2", &rmt), DriveError::kBusy);

  // A lease given up by destruction frees the drive too.
  { DriveLease gone = std::move(mount); }
  EXPECT_FALSE(mount.held());
  st = service_->status(0);
  EXPECT_FALSE(st[0].open);
  EXPECT_EQ(st[0].held_by, "");
  json = control("status json 0");
  EXPECT_EQ(json.find("held_by"), std::string::npos) << json;
  ASSERT_EQ(service_->acquire(0, kReadOnly, "rmt session 2", &rmt), DriveError::kNone);
  EXPECT_EQ(service_->status(0)[0].held_by, "rmt session 2");
}

}  // namespace
}  // namespace vtape::testing
