// CartridgeStreamTarget (library/cartridge_stream_target.h) on a real
// library: the overwrite policies, and the two ends of a stream: complete
// (st's close: a filemark after records) and broken (synced, no filemark,
// so a resumed stream continues right after the last record).

#include <sys/stat.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "library/cartridge_stream_target.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

class CartridgeStreamTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = dir_.file("lib");
    ASSERT_EQ(::mkdir(lib_.c_str(), 0700), 0);
    ASSERT_EQ(run_vtape("new --library " + shell_quote(lib_) + " VOL001").exit_code, 0);
  }
  Status open(const std::string& volser, StreamOverwrite o, std::unique_ptr<CartridgeStreamTarget>* t) {
    return CartridgeStreamTarget::open(lib_, volser, std::nullopt, o, "test", t);
  }
  std::string dump(const std::string& volser) {
    return run_vtape("dump " + shell_quote(lib_ + "/cartridges/" + volser + ".tap")).out;
  }
  TempDir dir_;
  std::string lib_;
};

TEST_F(CartridgeStreamTargetTest, ABrokenStreamEndsWithoutAFilemarkAndAppendContinuesThere) {
  std::vector<uint8_t> rec = pattern_bytes(1000, 1);
  {
    std::unique_ptr<CartridgeStreamTarget> t;
    ASSERT_TRUE(open("MIG001", StreamOverwrite::kNever, &t).is_ok());
    EXPECT_EQ(t->objects_before(), 0u);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(t->record(rec, false).is_ok());
    ASSERT_TRUE(t->sync().is_ok());
    EXPECT_EQ(t->objects_written(), 3u);
    ASSERT_TRUE(t->finish(false).is_ok());
  }
  EXPECT_NE(dump("MIG001").find(", 0 filemarks"), std::string::npos) << dump("MIG001");
  {
    // Never refuses it now; append goes on after the third record.
    std::unique_ptr<CartridgeStreamTarget> t;
    Status s = open("MIG001", StreamOverwrite::kNever, &t);
    EXPECT_NE(s.message().find("MIG001 holds 3 records and filemarks already"), std::string::npos) << s.message();
    ASSERT_TRUE(open("MIG001", StreamOverwrite::kAppend, &t).is_ok());
    EXPECT_EQ(t->objects_before(), 3u);
    ASSERT_TRUE(t->record(rec, false).is_ok());
    ASSERT_TRUE(t->finish(true).is_ok());
  }
  // Four records in one tape file, ended by the close's filemark.
  std::string d = dump("MIG001");
  EXPECT_NE(d.find(", 1 filemarks"), std::string::npos) << d;
  EXPECT_NE(d.find(", 4 records"), std::string::npos) << d;
  CommandResult ls = run_vtape("ls --library " + shell_quote(lib_) + " MIG001");
  EXPECT_NE(ls.out.find("4000"), std::string::npos) << ls.out;
  {
    // Always writes from the beginning.
    std::unique_ptr<CartridgeStreamTarget> t;
    ASSERT_TRUE(open("MIG001", StreamOverwrite::kAlways, &t).is_ok());
    EXPECT_EQ(t->objects_before(), 0u);
    ASSERT_TRUE(t->filemark().is_ok());
    ASSERT_TRUE(t->finish(true).is_ok());
  }
  d = dump("MIG001");
  EXPECT_NE(d.find(", 0 records"), std::string::npos) << d;
  EXPECT_NE(d.find(", 1 filemarks"), std::string::npos) << d;
}

}  // namespace
}  // namespace vtape::testing
