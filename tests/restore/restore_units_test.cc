// The parts of vtape restore that need no mount: which names are safe to
// write, which members a pattern selects, how a source is parsed, and the
// record checksum.

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "index/crc32c.h"
#include "tests/test_support.h"
#include "tools/restore_plan.h"
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
  for (size_t n : {1u, 7u, 8u, 9u, 63u, 64u, 4097u, 65536u}) {
    auto data = pattern_bytes(n, static_cast<uint32_t>(n));
    EXPECT_EQ(crc32c(data), crc32c_portable(data)) << n;
  }
}

}  // namespace
}  // namespace vtape::testing
