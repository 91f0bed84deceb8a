// saved/ in a real mount: archives written through a drive are browsed as
// files (tape file data, tar and cpio members) with cp, diff, grep, cmp, dd
// and find, read-only, hostile member names included.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "index/catalog.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string q(const std::string& s) { return shell_quote(s); }

bool have_programs(std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (!have_program(n)) return false;
  }
  return true;
}

// The catalog is written when the drive writes the filemark, which FUSE's
// release does after the writing program has exited.
bool wait_for(const std::function<bool()>& ready, int seconds = 60) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ready();
}

bool wait_for_size(const std::string& path, uint64_t size) {
  return wait_for([&] {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == size;
  });
}

bool wait_for_path(const std::string& path) {
  return wait_for([&] {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
  });
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string read_text(const std::string& path) {
  auto b = read_file_bytes(path);
  return std::string(b.begin(), b.end());
}

// A tree with nested directories, a 3 MB random file, small text files, an
// empty file, an empty directory and a relative symlink; fixed mtimes.
void make_tree(const std::string& root) {
  fs::create_directories(root + "/dir1/sub/deeper");
  fs::create_directories(root + "/dir2");
  write_file_bytes(root + "/big.bin", pattern_bytes(3 << 20, 21));
  write_file_bytes(root + "/top.txt", {'t', 'o', 'p', '\n'});
  write_file_bytes(root + "/empty", {});
  std::string note = "a line\nthe needle-4711 is here\nanother line\n";
  write_file_bytes(root + "/dir1/sub/deeper/note.txt", std::vector<uint8_t>(note.begin(), note.end()));
  write_file_bytes(root + "/dir1/a.txt", {'a', '\n'});
  write_file_bytes(root + "/dir1/sub/odd.bin", pattern_bytes(12'345, 22));
  fs::create_symlink("a.txt", root + "/dir1/link");
  int64_t t = 1'600'000'000;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_symlink()) continue;
    timespec times[2] = {{t, 0}, {t, 0}};
    ::utimensat(AT_FDCWD, it->path().c_str(), times, AT_SYMLINK_NOFOLLOW);
    t += 1000;
  }
}

// Every regular file and directory under `src` has the same size and mtime
// (seconds) at the same place under `shown`.
::testing::AssertionResult same_sizes_and_mtimes(const std::string& src, const std::string& shown) {
  for (auto it = fs::recursive_directory_iterator(src); it != fs::recursive_directory_iterator(); ++it) {
    std::string rel = it->path().lexically_relative(src).string();
    struct stat a {}, b {};
    if (::lstat(it->path().c_str(), &a) != 0) return ::testing::AssertionFailure() << "lstat " << it->path();
    std::string other = shown + "/" + rel;
    if (::lstat(other.c_str(), &b) != 0) return ::testing::AssertionFailure() << rel << " is not shown";
    if ((a.st_mode & S_IFMT) != (b.st_mode & S_IFMT)) return ::testing::AssertionFailure() << rel << ": file type";
    if (S_ISREG(a.st_mode) && a.st_size != b.st_size) {
      return ::testing::AssertionFailure() << rel << ": size " << b.st_size << ", expected " << a.st_size;
    }
    if (!S_ISLNK(a.st_mode) && a.st_mtim.tv_sec != b.st_mtim.tv_sec) {
      return ::testing::AssertionFailure() << rel << ": mtime " << b.st_mtim.tv_sec << ", expected " << a.st_mtim.tv_sec;
    }
    if (S_ISREG(b.st_mode) && (b.st_mode & 0222) != 0) return ::testing::AssertionFailure() << rel << " is writable";
  }
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------
// tar through a drive, at several blocking factors

class BrowseMount : public ::testing::TestWithParam<int> {};

TEST_P(BrowseMount, TarMembersAndDataAreServedStraightFromTheImage) {
  ASSERT_TRUE(have_programs({"tar", "mt", "cp", "diff", "grep", "cmp", "dd", "ls"}));
  const int blocking = GetParam();
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string src = work.file("src");
  make_tree(src);
  std::string bf = " -b " + std::to_string(blocking) + " ";
  auto r = run_command("tar -cf " + q(vt.drive(0)) + bf + "-C " + q(src) + " .");
  ASSERT_EQ(r.exit_code, 0) << describe(r) << vt.log();
  std::string ref = work.file("ref.tar");
  r = run_command("tar -cf " + q(ref) + bf + "-C " + q(src) + " .");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::vector<uint8_t> ref_bytes = read_file_bytes(ref);

  std::string saved = vt.mount_point() + "/saved";
  std::string file0 = saved + "/SCR001/0000";
  ASSERT_TRUE(wait_for_size(file0 + "/data", ref_bytes.size())) << vt.log();

  // Layout.
  r = run_command("LC_ALL=C ls " + q(saved));
  EXPECT_EQ(r.out, "SCR001\nspool\n") << describe(r);  // spool: the spool views (vtape-spool(1))
  r = run_command("LC_ALL=C ls " + q(saved + "/SCR001"));
  EXPECT_EQ(r.out, "0000\n") << describe(r);
  r = run_command("LC_ALL=C ls " + q(file0));
  EXPECT_EQ(r.out, "data\nmembers\n") << describe(r);
  r = run_command("LC_ALL=C ls " + q(file0 + "/members"));
  EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"big.bin", "dir1", "dir2", "empty", "top.txt"})) << describe(r);
  r = run_command("LC_ALL=C ls " + q(file0 + "/members/dir1/sub/deeper"));
  EXPECT_EQ(r.out, "note.txt\n") << describe(r);
  EXPECT_EQ(fs::read_symlink(file0 + "/members/dir1/link"), "a.txt");
  EXPECT_EQ(read_text(file0 + "/members/dir1/link"), "a\n");

  // cp -r out and diff -r against the originals; sizes and mtimes as stat shows them.
  std::string out = work.file("out");
  r = run_command("cp -r " + q(file0 + "/members") + " " + q(out));
  ASSERT_EQ(r.exit_code, 0) << describe(r) << vt.log();
  r = run_command("diff -r " + q(src) + " " + q(out));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(out + "/big.bin"), pattern_bytes(3 << 20, 21));
  EXPECT_TRUE(fs::is_symlink(out + "/dir1/link"));
  EXPECT_TRUE(same_sizes_and_mtimes(src, file0 + "/members"));
  r = run_command("diff -r " + q(src) + " " + q(file0 + "/members"));
  EXPECT_EQ(r.exit_code, 0) << describe(r);

  // grep -r finds a string inside a member.
  r = run_command("grep -r -l needle-4711 " + q(file0 + "/members"));
  EXPECT_EQ(r.out, file0 + "/members/dir1/sub/deeper/note.txt\n") << describe(r);
  r = run_command("cd " + q(saved) + " && grep -r -c needle-4711 . | grep -v ':0$' | sort");
  EXPECT_EQ(r.out, "./SCR001/0000/data:1\n./SCR001/0000/members/dir1/sub/deeper/note.txt:1\n") << describe(r);

  // The data stream is the archive, byte for byte.
  r = run_command("cmp " + q(file0 + "/data") + " " + q(ref));
  EXPECT_EQ(r.exit_code, 0) << describe(r) << vt.log();

  // Reads at random offsets: dd skip= and pread.
  std::mt19937_64 rng(static_cast<uint64_t>(blocking));
  for (int i = 0; i < 12; ++i) {
    uint64_t off = rng() % ref_bytes.size();
    uint64_t n = 1 + rng() % 200'000;
    r = run_command("dd status=none if=" + q(file0 + "/data") + " iflag=skip_bytes,count_bytes bs=65536 skip=" +
                    std::to_string(off) + " count=" + std::to_string(n) + " of=" + q(work.file("piece")));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    uint64_t expect = std::min<uint64_t>(n, ref_bytes.size() - off);
    std::vector<uint8_t> want(ref_bytes.begin() + static_cast<long>(off),
                              ref_bytes.begin() + static_cast<long>(off + expect));
    EXPECT_EQ(read_file_bytes(work.file("piece")), want) << "dd skip=" << off << " count=" << n;
  }
  int fd = ::open((file0 + "/data").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::vector<uint8_t> buf(300'000);
  for (int i = 0; i < 40; ++i) {
    uint64_t off = rng() % (ref_bytes.size() + 1000);
    size_t n = 1 + rng() % buf.size();
    ssize_t got = ::pread(fd, buf.data(), n, static_cast<off_t>(off));
    uint64_t expect = off >= ref_bytes.size() ? 0 : std::min<uint64_t>(n, ref_bytes.size() - off);
    ASSERT_EQ(got, static_cast<ssize_t>(expect)) << "pread at " << off;
    EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + got, ref_bytes.begin() + static_cast<long>(off)))
        << "pread at " << off;
  }
  ::close(fd);

  // Members read at an offset too.
  fd = ::open((file0 + "/members/big.bin").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> big = pattern_bytes(3 << 20, 21);
  for (uint64_t off : {uint64_t{0}, uint64_t{511}, uint64_t{1'000'000}, uint64_t{(3 << 20) - 7}}) {
    ssize_t got = ::pread(fd, buf.data(), 100'000, static_cast<off_t>(off));
    uint64_t expect = std::min<uint64_t>(100'000, big.size() - off);
    ASSERT_EQ(got, static_cast<ssize_t>(expect));
    EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + got, big.begin() + static_cast<long>(off)));
  }
  ::close(fd);

  // The drive still reads the tape as before.
  ASSERT_EQ(run_command("mt -f " + q(vt.drive(0)) + " rewind").exit_code, 0);
  r = run_command("tar -tf " + q(vt.drive(0)) + bf + "| sort");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("./dir1/sub/deeper/note.txt"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Blocking, BrowseMount, ::testing::Values(20, 1, 2048),
                         [](const ::testing::TestParamInfo<int>& info) { return "b" + std::to_string(info.param); });

TEST(BrowseMountMore, CpioMembersAppearUnderMembers) {
  ASSERT_TRUE(have_programs({"cpio", "find", "diff", "cmp"}));
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string src = work.file("src");
  make_tree(src);
  const std::vector<std::string> formats = {"newc", "crc", "odc", "bin"};
  for (const auto& f : formats) {
    auto r = run_command("cd " + q(src) + " && find . | cpio --quiet -o -H " + f + " -O " + q(vt.drive(0)));
    ASSERT_EQ(r.exit_code, 0) << f << ": " << describe(r) << vt.log();
    r = run_command("cd " + q(src) + " && find . | cpio --quiet -o -H " + f + " -O " + q(work.file(f + ".cpio")));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
  }
  std::string vol = vt.mount_point() + "/saved/SCR001";
  ASSERT_TRUE(wait_for_path(vol + "/0003/members")) << vt.log();
  for (size_t i = 0; i < formats.size(); ++i) {
    std::string file = vol + "/000" + std::to_string(i);
    const std::string& f = formats[i];
    auto r = run_command("cmp " + q(file + "/data") + " " + q(work.file(f + ".cpio")));
    EXPECT_EQ(r.exit_code, 0) << f << ": " << describe(r);
    r = run_command("LC_ALL=C ls " + q(file + "/members"));
    EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"big.bin", "dir1", "dir2", "empty", "top.txt"}))
        << f << ": " << describe(r);
    // The symlink's target is cpio member data.
    EXPECT_EQ(fs::read_symlink(file + "/members/dir1/link"), "a.txt") << f;
    std::string out = work.file("out-" + f);
    r = run_command("cp -r " + q(file + "/members") + " " + q(out) + " && diff -r " + q(src) + " " + q(out));
    EXPECT_EQ(r.exit_code, 0) << f << ": " << describe(r) << vt.log();
    EXPECT_TRUE(same_sizes_and_mtimes(src, file + "/members")) << f;
    r = run_command("grep -r -l needle-4711 " + q(file + "/members"));
    EXPECT_EQ(r.out, file + "/members/dir1/sub/deeper/note.txt\n") << f << ": " << describe(r);
  }
}

TEST(BrowseMountMore, EveryTarFormatWithLongNamesAndLinks) {
  ASSERT_TRUE(have_programs({"tar", "diff"}));
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string src = work.file("src");
  // Paths past 100 bytes (ustar prefix, GNU long names, pax path records),
  // a hard link and a UTF-8 name.
  std::string deep = src + "/" + std::string(60, 'd') + "/" + std::string(70, 'e');
  fs::create_directories(deep);
  write_file_bytes(deep + "/" + std::string(90, 'f') + ".txt", pattern_bytes(70'000, 5));
  write_file_bytes(src + "/caf\xc3\xa9.txt", {'u', '\n'});
  write_file_bytes(src + "/orig.bin", pattern_bytes(20'000, 6));
  fs::create_hard_link(src + "/orig.bin", src + "/hardlink.bin");
  const std::vector<std::string> formats = {"gnu", "pax", "ustar", "v7"};
  std::string d = q(vt.drive(0));
  for (const auto& f : formats) {
    // v7 has no room for the long names: leave them out there.
    std::string what = f == "v7" ? "orig.bin hardlink.bin" : ".";
    auto r = run_command("tar -cf " + d + " --format=" + f + " -C " + q(src) + " " + what);
    ASSERT_EQ(r.exit_code, 0) << f << ": " << describe(r) << vt.log();
  }
  std::string vol = vt.mount_point() + "/saved/SCR001";
  ASSERT_TRUE(wait_for_path(vol + "/0003/members")) << vt.log();
  for (size_t i = 0; i < formats.size(); ++i) {
    std::string members = vol + "/000" + std::to_string(i) + "/members";
    if (formats[i] == "v7") {
      EXPECT_EQ(read_file_bytes(members + "/orig.bin"), pattern_bytes(20'000, 6));
      EXPECT_EQ(read_file_bytes(members + "/hardlink.bin"), pattern_bytes(20'000, 6));
      continue;
    }
    auto r = run_command("diff -r " + q(src) + " " + q(members));
    EXPECT_EQ(r.exit_code, 0) << formats[i] << ": " << describe(r);
    EXPECT_TRUE(same_sizes_and_mtimes(src, members)) << formats[i];
  }
}

TEST(BrowseMountMore, EveryTapeFileIsShownAndARewrittenOneShowsItsNewContent) {
  ASSERT_TRUE(have_programs({"tar", "mt", "dd"}));
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string a = work.file("a"), b = work.file("b");
  fs::create_directories(a);
  fs::create_directories(b);
  write_file_bytes(a + "/first.txt", {'1', '\n'});
  write_file_bytes(b + "/second.txt", {'2', '\n'});
  std::string d = q(vt.drive(0));
  ASSERT_EQ(run_command("tar -cf " + d + " -C " + q(a) + " first.txt").exit_code, 0);
  ASSERT_EQ(run_command("tar -cf " + d + " -C " + q(b) + " second.txt").exit_code, 0);
  // A tape file that is neither tar nor cpio has data only.
  write_file_bytes(work.file("raw"), pattern_bytes(5000, 3));
  ASSERT_EQ(run_command("dd status=none bs=1000 if=" + q(work.file("raw")) + " of=" + d).exit_code, 0);
  std::string vol = vt.mount_point() + "/saved/SCR001";
  ASSERT_TRUE(wait_for_path(vol + "/0002/data")) << vt.log();
  EXPECT_EQ(lines_of(run_command("LC_ALL=C ls " + q(vol)).out), (std::vector<std::string>{"0000", "0001", "0002"}));
  EXPECT_EQ(read_text(vol + "/0000/members/first.txt"), "1\n");
  EXPECT_EQ(read_text(vol + "/0001/members/second.txt"), "2\n");
  EXPECT_EQ(run_command("LC_ALL=C ls " + q(vol + "/0002")).out, "data\n");
  EXPECT_EQ(read_file_bytes(vol + "/0002/data"), pattern_bytes(5000, 3));
  EXPECT_FALSE(fs::exists(vol + "/0003"));
  EXPECT_FALSE(fs::exists(vol + "/000"));
  EXPECT_FALSE(fs::exists(vol + "/00000"));
  EXPECT_FALSE(fs::exists(vt.mount_point() + "/saved/NOSUCH"));

  // Keep a member open while its tape file is overwritten.
  int fd = ::open((vol + "/0000/members/first.txt").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(run_command("mt -f " + d + " rewind").exit_code, 0);
  ASSERT_EQ(run_command("tar -cf " + d + " -C " + q(b) + " second.txt").exit_code, 0);
  ASSERT_TRUE(wait_for_path(vol + "/0000/members/second.txt")) << vt.log();
  EXPECT_FALSE(fs::exists(vol + "/0000/members/first.txt"));
  EXPECT_FALSE(fs::exists(vol + "/0001"));  // the tape ends after the new file 0
  EXPECT_EQ(read_text(vol + "/0000/members/second.txt"), "2\n");
  char c[8] = {};
  ssize_t n = ::pread(fd, c, sizeof c, 0);  // the old view: whatever the image holds now, or EIO
  EXPECT_TRUE(n >= 0 || errno == EIO) << std::strerror(errno);
  ::close(fd);
}

TEST(BrowseMountMore, NothingCanBeWrittenMadeOrRemoved) {
  ASSERT_TRUE(have_programs({"tar", "touch"}));
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  write_file_bytes(work.file("f.txt"), {'f', '\n'});
  ASSERT_EQ(run_command("tar -cf " + q(vt.drive(0)) + " -C " + q(work.path().string()) + " f.txt").exit_code, 0);
  std::string file0 = vt.mount_point() + "/saved/SCR001/0000";
  ASSERT_TRUE(wait_for_path(file0 + "/members/f.txt")) << vt.log();
  std::string member = file0 + "/members/f.txt";
  auto expect_erofs = [](int rc, const std::string& what) {
    EXPECT_EQ(rc, -1) << what;
    EXPECT_EQ(errno, EROFS) << what << ": " << std::strerror(errno);
  };
  errno = 0;
  expect_erofs(::open(member.c_str(), O_WRONLY), "open for writing");
  expect_erofs(::open(member.c_str(), O_RDWR), "open read-write");
  expect_erofs(::open((file0 + "/data").c_str(), O_WRONLY | O_TRUNC), "open data for writing");
  expect_erofs(::open((file0 + "/members/new").c_str(), O_WRONLY | O_CREAT, 0644), "create");
  expect_erofs(::mkdir((file0 + "/members/newdir").c_str(), 0755), "mkdir");
  expect_erofs(::unlink(member.c_str()), "unlink");
  expect_erofs(::unlink((file0 + "/data").c_str()), "unlink data");
  expect_erofs(::rmdir((file0 + "/members").c_str()), "rmdir");
  expect_erofs(::rename(member.c_str(), (file0 + "/members/g.txt").c_str()), "rename");
  expect_erofs(::symlink("f.txt", (file0 + "/members/s").c_str()), "symlink");
  expect_erofs(::link(member.c_str(), (file0 + "/members/h").c_str()), "link");
  expect_erofs(::truncate(member.c_str(), 0), "truncate");
  expect_erofs(::chmod(member.c_str(), 0777), "chmod");
  auto r = run_command("touch " + q(member));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << describe(r);
  EXPECT_EQ(read_text(member), "f\n");
}

TEST(BrowseMountMore, ParallelReadersGetTheSameBytes) {
  ASSERT_TRUE(have_programs({"tar", "cmp"}));
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string src = work.file("src");
  make_tree(src);
  ASSERT_EQ(run_command("tar -cf " + q(vt.drive(0)) + " -b 1 -C " + q(src) + " .").exit_code, 0);
  ASSERT_EQ(run_command("tar -cf " + q(work.file("ref.tar")) + " -b 1 -C " + q(src) + " .").exit_code, 0);
  std::string file0 = vt.mount_point() + "/saved/SCR001/0000";
  ASSERT_TRUE(wait_for_size(file0 + "/data", read_file_bytes(work.file("ref.tar")).size())) << vt.log();
  std::string cmds;
  for (int i = 0; i < 6; ++i) {
    cmds += "cmp " + q(file0 + "/data") + " " + q(work.file("ref.tar")) + " || echo FAIL data &\n";
    cmds += "cmp " + q(file0 + "/members/big.bin") + " " + q(src + "/big.bin") + " || echo FAIL big &\n";
  }
  cmds += "wait\n";
  auto r = run_command(cmds);
  EXPECT_EQ(r.out, "") << describe(r) << vt.log();
}

// ---------------------------------------------------------------------------
// A hostile tar archive, made header by header

void put_octal(std::vector<uint8_t>& h, size_t at, size_t width, uint64_t v) {
  std::string s(width - 1, '0');
  for (size_t i = width - 1; i-- > 0 && v != 0; v >>= 3) s[i] = static_cast<char>('0' + (v & 7));
  std::memcpy(h.data() + at, s.data(), s.size());
  h[at + width - 1] = 0;
}

std::vector<uint8_t> tar_header(const std::string& name, char type, uint64_t size, const std::string& link) {
  std::vector<uint8_t> h(512, 0);
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  put_octal(h, 100, 8, 0644);
  put_octal(h, 108, 8, 1000);
  put_octal(h, 116, 8, 1000);
  put_octal(h, 124, 12, size);
  put_octal(h, 136, 12, 1'500'000'000);
  h[156] = static_cast<uint8_t>(type);
  std::memcpy(h.data() + 157, link.data(), std::min<size_t>(link.size(), 100));
  std::memcpy(h.data() + 257, "ustar  ", 8);  // GNU magic and version
  std::memset(h.data() + 148, ' ', 8);
  uint64_t sum = 0;
  for (uint8_t c : h) sum += c;
  put_octal(h, 148, 7, sum);  // six digits and NUL
  h[155] = ' ';
  return h;
}

void pad_block(std::vector<uint8_t>& v) { v.resize((v.size() + 511) / 512 * 512, 0); }

void add_member(std::vector<uint8_t>& tar, const std::string& name, char type, const std::string& content,
                const std::string& link = "") {
  if (name.size() > 100) {  // GNU long name
    auto l = tar_header("././@LongLink", 'L', name.size() + 1, "");
    tar.insert(tar.end(), l.begin(), l.end());
    tar.insert(tar.end(), name.begin(), name.end());
    tar.push_back(0);
    pad_block(tar);
  }
  auto h = tar_header(name, type, content.size(), link);
  tar.insert(tar.end(), h.begin(), h.end());
  tar.insert(tar.end(), content.begin(), content.end());
  pad_block(tar);
}

TEST(BrowseHostile, HostileMemberNamesAreShownEscapedInsideSaved) {
  ASSERT_TRUE(have_programs({"dd", "find", "cp", "tar"}));
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string long_name = "long/" + std::string(295, 'x');
  ASSERT_EQ(long_name.size(), 300u);
  std::vector<uint8_t> tar;
  add_member(tar, "../escape", '0', "escaped?\n");
  add_member(tar, "/etc/evil", '0', "evil\n");
  add_member(tar, "a/../../b", '0', "bee\n");
  add_member(tar, long_name, '0', "long\n");
  add_member(tar, "ctl\nname\x01", '0', "ctl\n");
  add_member(tar, "100%.txt", '0', "percent\n");
  add_member(tar, "dup.txt", '0', "one\n");
  add_member(tar, "dup.txt", '0', "two\n");
  add_member(tar, "sub/ok.txt", '0', "ok\n");
  add_member(tar, "ok-link", '2', "", "sub/ok.txt");
  add_member(tar, "sub/up", '2', "", "../sub/ok.txt");
  add_member(tar, "abs-link", '2', "", "/etc/passwd");
  add_member(tar, "up-link", '2', "", "../../../../../etc/passwd");
  add_member(tar, "hard", '1', "", "../escape");
  tar.resize(tar.size() + 1024, 0);
  tar.resize((tar.size() + 10239) / 10240 * 10240, 0);
  write_file_bytes(work.file("hostile.tar"), tar);
  // GNU tar reads it as we meant it.
  auto r = run_command("tar -tf " + q(work.file("hostile.tar")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("../escape"), std::string::npos) << r.out;

  r = run_command("dd status=none bs=10240 if=" + q(work.file("hostile.tar")) + " of=" + q(vt.drive(0)));
  ASSERT_EQ(r.exit_code, 0) << describe(r) << vt.log();
  std::string saved = vt.mount_point() + "/saved";
  std::string members = saved + "/SCR001/0000/members";
  ASSERT_TRUE(wait_for_path(members + "/hard")) << vt.log();

  r = run_command("LC_ALL=C ls " + q(members));
  EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"%2E%2E", "100%25.txt", "a", "abs-link",
                                                       "ctl%0Aname%01", "dup.txt", "dup.txt~1", "etc", "hard",
                                                       "long", "ok-link", "sub", "up-link"}))
      << describe(r);
  EXPECT_EQ(read_text(members + "/%2E%2E/escape"), "escaped?\n");
  EXPECT_EQ(read_text(members + "/etc/evil"), "evil\n");
  EXPECT_EQ(read_text(members + "/a/%2E%2E/%2E%2E/b"), "bee\n");
  EXPECT_EQ(read_text(members + "/ctl%0Aname%01"), "ctl\n");
  EXPECT_EQ(read_text(members + "/100%25.txt"), "percent\n");
  EXPECT_EQ(read_text(members + "/dup.txt"), "one\n");
  EXPECT_EQ(read_text(members + "/dup.txt~1"), "two\n");
  EXPECT_EQ(read_text(members + "/hard"), "escaped?\n");
  std::vector<std::string> longs;
  for (const auto& e : fs::directory_iterator(members + "/long")) longs.push_back(e.path().filename().string());
  ASSERT_EQ(longs.size(), 1u);
  EXPECT_LE(longs[0].size(), 255u);
  EXPECT_EQ(longs[0].substr(0, 200), std::string(200, 'x'));
  EXPECT_NE(longs[0].find("~h"), std::string::npos) << longs[0];
  EXPECT_EQ(read_text(members + "/long/" + longs[0]), "long\n");

  // Links: inside ones are symlinks, the others are files holding their target.
  EXPECT_EQ(fs::read_symlink(members + "/ok-link"), "sub/ok.txt");
  EXPECT_EQ(read_text(members + "/ok-link"), "ok\n");
  EXPECT_EQ(fs::read_symlink(members + "/sub/up"), "../sub/ok.txt");
  EXPECT_EQ(read_text(members + "/sub/up"), "ok\n");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(members + "/abs-link")));
  EXPECT_EQ(read_text(members + "/abs-link"), "/etc/passwd");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(members + "/up-link")));
  EXPECT_EQ(read_text(members + "/up-link"), "../../../../../etc/passwd");

  // find sees it inside; nothing is outside saved/.../members.
  r = run_command("cd " + q(vt.mount_point()) + " && find saved -name '*escape*'");
  EXPECT_EQ(r.out, "saved/SCR001/0000/members/%2E%2E/escape\n") << describe(r);
  r = run_command("cd " + q(vt.mount_point()) + " && find saved");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  fs::path inside = fs::path(members);
  for (const auto& line : lines_of(r.out)) {
    if (line.rfind("saved/SCR001/0000/members/", 0) != 0) {
      EXPECT_TRUE(line == "saved" || line == "saved/SCR001" || line == "saved/SCR001/0000" ||
                  line == "saved/SCR001/0000/data" || line == "saved/SCR001/0000/members" ||
                  line == "saved/spool" || line.rfind("saved/spool/by-", 0) == 0)  // the spool views, empty
          << line;
      continue;
    }
    fs::path resolved = fs::weakly_canonical(fs::path(vt.mount_point()) / line);
    std::string rel = resolved.lexically_relative(inside).string();
    EXPECT_TRUE(!rel.empty() && rel.rfind("..", 0) != 0) << line << " resolves to " << resolved;
  }
  for (const char* outside : {"/saved/SCR001/0000/escape", "/saved/SCR001/0000/b", "/saved/SCR001/escape",
                              "/saved/escape", "/escape", "/etc", "/saved/SCR001/0000/etc"}) {
    EXPECT_FALSE(fs::exists(vt.mount_point() + outside)) << outside;
  }
  EXPECT_FALSE(fs::exists(fs::path(vt.mount_point()).parent_path() / "escape"));

  // cp -r makes the same safe tree, and nothing next to it.
  std::string out = work.file("out");
  r = run_command("cp -r " + q(members) + " " + q(out));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_text(out + "/%2E%2E/escape"), "escaped?\n");
  EXPECT_EQ(read_text(out + "/a/%2E%2E/%2E%2E/b"), "bee\n");
  EXPECT_FALSE(fs::exists(work.file("escape")));
  EXPECT_FALSE(fs::exists(work.file("b")));
  // The catalog keeps the names as they were recorded.
  std::unique_ptr<Catalog> catalog;
  ASSERT_TRUE(Catalog::open(vt.library() + "/catalog.db", &catalog).is_ok());
  std::vector<TapeMember> recorded;
  ASSERT_TRUE(catalog->members("SCR001", 0, &recorded).is_ok());
  std::set<std::string> paths;
  for (const auto& m : recorded) paths.insert(m.path);
  for (const char* p : {"../escape", "/etc/evil", "a/../../b", "ctl\nname\x01"}) EXPECT_EQ(paths.count(p), 1u) << p;
  EXPECT_EQ(paths.count(long_name), 1u);
}

}  // namespace
}  // namespace vtape::testing
