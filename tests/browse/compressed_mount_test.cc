// Compressed archives written to a drive of a real mount by the real tar
// (-z, -j, -J, --zstd): found by `vtape find`, listed with their
// compression by `vtape ls --json`, browsed under saved/.../members/ and
// restored by member, byte for byte.  A damaged compressed tape file keeps
// what comes before the damage.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string q(const std::string& s) { return shell_quote(s); }

// The catalog is written when the drive writes the filemark, after the
// writing program has exited.
bool wait_for_path(const std::string& path) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  struct stat st {};
  while (std::chrono::steady_clock::now() < until) {
    if (::lstat(path.c_str(), &st) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ::lstat(path.c_str(), &st) == 0;
}

struct Kind {
  const char* name;        // as vtape ls names it
  const char* tar_option;
  const char* program;
};

class CompressedMount : public ::testing::TestWithParam<Kind> {};

TEST_P(CompressedMount, FoundBrowsedAndRestoredByMember) {
  const Kind& k = GetParam();
  ASSERT_TRUE(have_program("tar") && have_program("cmp") && have_program(k.program)) << k.program;
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string dir = work.file("dir");
  fs::create_directories(dir + "/deep/er");
  write_file_bytes(dir + "/deep/er/needle-" + k.name + ".bin", pattern_bytes(700'000, 11));
  write_file_bytes(dir + "/hay.txt", std::vector<uint8_t>(90'000, 'h'));
  write_file_bytes(dir + "/later.bin", pattern_bytes(150'000, 12));

  // A plain archive first, so the compressed one is tape file 1.
  ASSERT_EQ(run_command("tar -cf " + q(vt.drive(0)) + " -C " + q(work.path()) + " dir/hay.txt").exit_code, 0);
  auto w = run_command("tar -c " + std::string(k.tar_option) + " -f " + q(vt.drive(0)) + " -C " + q(work.path()) +
                       " dir");
  ASSERT_EQ(w.exit_code, 0) << w.err << vt.log();
  std::string file = vt.mount_point() + "/saved/SCR001/0001";
  ASSERT_TRUE(wait_for_path(file + "/members")) << vt.log();

  auto found = vt.vtape("find 'needle-*'");
  EXPECT_EQ(found.exit_code, 0) << found.err;
  EXPECT_NE(found.out.find("SCR001/1"), std::string::npos) << found.out;
  EXPECT_NE(found.out.find(std::string("dir/deep/er/needle-") + k.name + ".bin"), std::string::npos) << found.out;

  auto ls = vt.vtape("ls SCR001 --json");
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find(std::string("\"content\":\"tar\",\"members\":6,\"compression\":\"") + k.name + "\""),
            std::string::npos)
      << ls.out;
  EXPECT_NE(ls.out.find("\"compression\":null"), std::string::npos) << ls.out;  // the plain archive

  std::string needle = "dir/deep/er/needle-" + std::string(k.name) + ".bin";
  auto cmp = run_command("cmp " + q(file + "/members/" + needle) + " " + q(work.file(needle)));
  EXPECT_EQ(cmp.exit_code, 0) << cmp.out << cmp.err << vt.log();
  cmp = run_command("cmp " + q(file + "/members/dir/later.bin") + " " + q(work.file("dir/later.bin")));
  EXPECT_EQ(cmp.exit_code, 0) << cmp.out << cmp.err << vt.log();
  // Read again, backwards: the member before is served after the one after.
  cmp = run_command("cmp " + q(file + "/members/dir/hay.txt") + " " + q(work.file("dir/hay.txt")));
  EXPECT_EQ(cmp.exit_code, 0) << cmp.out << cmp.err << vt.log();

  std::string out = work.file("out");
  fs::create_directories(out);
  auto r = vt.vtape("restore 'SCR001/1:dir/deep/*' --to-dir " + q(out));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(read_file_bytes(out + "/" + needle), pattern_bytes(700'000, 11));
  EXPECT_FALSE(fs::exists(out + "/dir/later.bin"));
}

const Kind kKinds[] = {
    {"gzip", "-z", "gzip"}, {"bzip2", "-j", "bzip2"}, {"xz", "-J", "xz"}, {"zstd", "--zstd", "zstd"}};
INSTANTIATE_TEST_SUITE_P(Compressions, CompressedMount, ::testing::ValuesIn(kKinds),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(CompressedMountMore, ATruncatedArchiveKeepsTheMembersBeforeTheDamage) {
  ASSERT_TRUE(have_program("tar") && have_program("xz") && have_program("dd"));
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string dir = work.file("dir");
  fs::create_directories(dir);
  write_file_bytes(dir + "/a-first.bin", pattern_bytes(400'000, 21));
  write_file_bytes(dir + "/b-second.bin", pattern_bytes(400'000, 22));
  ASSERT_EQ(run_command("tar -cJf " + q(work.file("x.tar.xz")) + " -C " + q(dir) + " a-first.bin b-second.bin")
                .exit_code,
            0);
  // The first 600 kB of the compressed archive: the first member whole,
  // the second cut.
  auto w = run_command("head -c 600000 " + q(work.file("x.tar.xz")) + " | dd status=none bs=10240 of=" +
                       q(vt.drive(0)));
  ASSERT_EQ(w.exit_code, 0) << w.err;
  std::string file = vt.mount_point() + "/saved/SCR001/0000";
  ASSERT_TRUE(wait_for_path(file + "/members")) << vt.log();
  auto ls = vt.vtape("ls SCR001 --json");
  EXPECT_NE(ls.out.find("\"compression\":\"xz\""), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("xz data ends early"), std::string::npos) << ls.out;
  EXPECT_EQ(read_file_bytes(file + "/members/a-first.bin"), pattern_bytes(400'000, 21));
  // The cut member: reading past the damage is an I/O error, not made-up bytes.
  auto cat = run_command("cat " + q(file + "/members/b-second.bin") + " > /dev/null");
  EXPECT_NE(cat.exit_code, 0);
  std::string out = work.file("out");
  fs::create_directories(out);
  auto r = vt.vtape("restore 'SCR001/0:*' --to-dir " + q(out));
  EXPECT_EQ(read_file_bytes(out + "/a-first.bin"), pattern_bytes(400'000, 21)) << r.err;
  EXPECT_FALSE(fs::exists(out + "/b-second.bin"));
  EXPECT_NE(r.err.find("b-second.bin"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vtape::testing
