// The mount itself: layout, a first write and read through a drive with tar.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

TEST(MountSmoke, FreshLibraryHasAScratchCartridgeInDriveZero) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  for (const char* p : {"/drives/nst0", "/drives/st0", "/drives/nst1", "/drives/st1", "/library/SCR001.tap"}) {
    EXPECT_TRUE(std::filesystem::exists(vt.mount_point() + p)) << p;
  }
  auto st = vt.vtape("status --json 0");
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_NE(st.out.find("\"volser\":\"SCR001\""), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("\"BOT\""), std::string::npos) << st.out;
}

TEST(MountSmoke, TarWritesAndReadsBackThroughADrive) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir src;
  write_file_bytes(src.file("a.bin"), pattern_bytes(100000, 1));
  write_file_bytes(src.file("b.txt"), {'h', 'i', '\n'});
  std::string d = shell_quote(vt.drive(0));
  auto c = run_command("tar -cf " + d + " -C " + shell_quote(src.path().string()) + " a.bin b.txt");
  ASSERT_EQ(c.exit_code, 0) << c.err << vt.log();
  ASSERT_EQ(run_command("mt -f " + d + " rewind").exit_code, 0);
  TempDir out;
  auto x = run_command("tar -xf " + d + " -C " + shell_quote(out.path().string()));
  ASSERT_EQ(x.exit_code, 0) << x.err << vt.log();
  EXPECT_EQ(read_file_bytes(out.file("a.bin")), pattern_bytes(100000, 1));
  EXPECT_EQ(read_file_bytes(out.file("b.txt")), (std::vector<uint8_t>{'h', 'i', '\n'}));
}

}  // namespace
}  // namespace vtape::testing
