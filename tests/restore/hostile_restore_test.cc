// Hostile archives and hostile file systems against the real `vtape restore`
// and `vtape convert` (issue 13, items 7 to 9): tar archives made with
// Python's tarfile (which writes names and links as given), written to an
// image with `vtape write` and imported into a library of their own; links
// planted where a restore creates its partial files.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/interop/json_reader.h"
#include "tests/test_support.h"
#include "tools/safe_tree.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;
using interop::Json;
using interop::parse_json;

std::string q(const std::string& s) { return shell_quote(s); }

std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// A library holding one cartridge EVIL whose tape file 0 is the tar archive
// the Python lines `adds` build with add(name, data, kind, link, mode).
class HostileArchive {
 public:
  explicit HostileArchive(const std::string& adds) {
    std::string tar = dir_.file("evil.tar");
    std::string script =
        "import tarfile, io\n"
        "t = tarfile.open('" + tar + "', 'w', format=tarfile.GNU_FORMAT)\n"
        "def add(name, data=b'x', kind=tarfile.REGTYPE, link='', mode=0o644):\n"
        "    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.mode = mode\n"
        "    i.size = len(data) if kind == tarfile.REGTYPE else 0\n"
        "    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)\n"
        "D, L, H = tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE\n" +
        adds + "t.close()\n";
    write_file_bytes(dir_.file("make.py"), bytes_of(script));
    CommandResult r = run_command("python3 " + q(dir_.file("make.py")));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    r = run_vtape("write " + q(dir_.file("evil.tap")) + " " + q(tar));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    r = run_vtape("import " + q(dir_.file("evil.tap")) + " --volser EVIL --library " + q(library()));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
  }
  std::string library() const { return dir_.file("lib"); }
  // vtape restore 'EVIL/0:*' --to-dir TARGET ARGS --json
  CommandResult restore_all(const std::string& target, const std::string& args = "") const {
    return run_vtape("restore 'EVIL/0:*' --library " + q(library()) + " --to-dir " + q(target) + " --json " + args);
  }

 private:
  TempDir dir_;
};

std::string refused_list(const CommandResult& r) {
  Json doc = parse_json(r.out);
  std::string refused;
  for (size_t i = 0; i < doc["refused"].size(); ++i) refused += doc["refused"][i].str() + "\n";
  return refused;
}

uint32_t mode_of(const std::string& path) {
  struct stat st{};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Every link left in `target` that, followed, leads outside it.
std::vector<std::string> links_leading_outside(const std::string& target) {
  std::vector<std::string> out;
  fs::path top = fs::canonical(target);
  for (const auto& e : fs::recursive_directory_iterator(target)) {
    if (!e.is_symlink()) continue;
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(e.path(), ec);
    auto rel = resolved.lexically_relative(top);
    if (ec || rel.empty() || *rel.begin() == "..") out.push_back(e.path().string() + " -> " + resolved.string());
  }
  return out;
}

// Item 7: x/l1 -> .. is harmless alone, and d -> x/l1/../../outside/victimdir
// looks lexically inside; on disk it leads two levels above the target.  The
// directory d (0777) was once made, then replaced by that link, and the
// directory's mode was applied by name, following the link.
TEST(HostileRestore, ALinkChainDoesNotChangeAModeOutsideTheTarget) {
  HostileArchive evil(
      "add('x/', kind=D, mode=0o755)\n"
      "add('x/l1', kind=L, link='..')\n"
      "add('d/', kind=D, mode=0o777)\n"
      "add('d', kind=L, link='x/l1/../../outside/victimdir')\n");
  TempDir work;
  std::string victim = work.file("outside/victimdir");
  fs::create_directories(victim);
  ASSERT_EQ(chmod(victim.c_str(), 0755), 0);
  std::string target = work.file("a/target");  // x/l1/../.. is work/

  CommandResult r = evil.restore_all(target, "--overwrite=always");
  EXPECT_EQ(r.exit_code, 1) << describe(r);  // the link is refused
  EXPECT_EQ(mode_of(victim), 0755u) << "a directory outside the target was changed";
  EXPECT_FALSE(fs::is_symlink(target + "/d"));
  EXPECT_EQ(links_leading_outside(target), std::vector<std::string>{});
  std::string refused = refused_list(r);
  EXPECT_NE(refused.find("d: a link that leads outside the restore directory"), std::string::npos) << refused;
  EXPECT_TRUE(fs::is_symlink(target + "/x/l1"));  // inside: kept
}

// Item 7 without --overwrite: a link that leads outside through another link,
// a hard link to it, and a link that only leads outside once a later member
// (a link made after it) is on disk.  None of them stays in the target.
TEST(HostileRestore, NoLinkLeftInTheTargetLeadsOutsideIt) {
  HostileArchive evil(
      "add('early', kind=L, link='y/s/../outside')\n"  // y/s does not exist yet
      "add('x/', kind=D, mode=0o755)\n"
      "add('x/l1', kind=L, link='..')\n"
      "add('esc', kind=L, link='x/l1/../outside')\n"
      "add('hard', kind=H, link='esc')\n"
      "add('y/', kind=D, mode=0o755)\n"
      "add('y/s', kind=L, link='..')\n"
      "add('fine', kind=L, link='x/l1/x')\n"
      "add('ok.txt', b'ok')\n");
  TempDir work;
  fs::create_directories(work.file("outside"));
  write_file_bytes(work.file("outside/secret"), bytes_of("secret"));
  std::string target = work.file("target");

  CommandResult r = evil.restore_all(target);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(links_leading_outside(target), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(fs::symlink_status(target + "/esc")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(target + "/hard")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(target + "/early")));
  EXPECT_FALSE(fs::exists(target + "/esc/secret"));
  // What stays inside is restored.
  EXPECT_TRUE(fs::is_symlink(target + "/fine"));
  EXPECT_EQ(read_file_bytes(target + "/ok.txt"), bytes_of("ok"));
  std::string refused = refused_list(r);
  for (const char* name : {"early:", "esc:", "hard:"}) {
    EXPECT_NE(refused.find(name), std::string::npos) << name << " not listed in:\n" << refused;
  }
  EXPECT_NE(r.err.find("not restored: esc: a link that leads outside"), std::string::npos) << r.err;
}

// Item 8: as root, an archive's setuid program would become a setuid-root
// program (the owner is not restored, so it belongs to whoever restores).
TEST(HostileRestore, SetuidAndSetgidBitsAreDroppedAndSaid) {
  HostileArchive evil(
      "add('suid_shell', b'#!/bin/sh\\n', mode=0o4755)\n"
      "add('sgid_tool', b'#!/bin/sh\\n', mode=0o2711)\n"
      "add('shared/', kind=D, mode=0o2775)\n"
      "add('plain', b'p', mode=0o750)\n");
  TempDir work;
  std::string target = work.file("target");
  CommandResult r = evil.restore_all(target);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(mode_of(target + "/suid_shell"), 0755u);
  EXPECT_EQ(mode_of(target + "/sgid_tool"), 0711u);
  EXPECT_EQ(mode_of(target + "/shared"), 0775u);
  EXPECT_EQ(mode_of(target + "/plain"), 0750u);
  EXPECT_NE(r.err.find("note: suid_shell: setuid/setgid bit dropped: owner not restored"), std::string::npos)
      << r.err;
  Json doc = parse_json(r.out);
  EXPECT_EQ(doc["notes"].size(), 3u) << r.out;
}

// Item 9: OUT's directory is writable by everyone (no sticky bit, so the
// kernel's protected_symlinks does not help), and another user planted
// OUT.vtape-partial -> a file of root's.  Root's restore --to-image (both
// the same-format copy and the re-encoding), its --resume, and convert must
// not write through it.
TEST(HostileRestore, ALinkPlantedAtThePartialNameIsNeverWrittenThrough) {
  TempDir work;
  write_file_bytes(work.file("data"), pattern_bytes(50000, 3));
  CommandResult r = run_vtape("write " + q(work.file("src.tap")) + " " + q(work.file("data")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::string shared = work.file("shared");
  fs::create_directories(shared);
  ASSERT_EQ(chmod(shared.c_str(), 0777), 0);
  std::string victim = work.file("victim");
  const std::vector<uint8_t> precious = bytes_of("root's precious file\n");
  write_file_bytes(victim, precious);

  auto plant = [&](const std::string& out) {
    std::string partial = out + ".vtape-partial";
    fs::remove(partial);
    ASSERT_EQ(symlink(victim.c_str(), partial.c_str()), 0);
    ASSERT_EQ(lchown(partial.c_str(), 65534, 65534), 0);  // nobody's link
  };
  struct Case {
    std::string what, out, command;
  };
  std::vector<Case> cases = {
      {"restore, same format", shared + "/same.tap", "restore " + q(work.file("src.tap")) + " --to-image "},
      {"restore, as AWS", shared + "/other.aws", "restore " + q(work.file("src.tap")) + " --to-image "},
      {"restore --resume", shared + "/resumed.aws",
       "restore " + q(work.file("src.tap")) + " --resume --to-image "},
      {"convert", shared + "/converted.aws", "convert " + q(work.file("src.tap")) + " "},
  };
  for (const Case& c : cases) {
    plant(c.out);
    r = run_vtape(c.command + q(c.out));
    EXPECT_NE(r.exit_code, 0) << c.what << ": " << describe(r);
    EXPECT_EQ(read_file_bytes(victim), precious) << c.what << " wrote through the planted link";
    EXPECT_NE(r.err.find(c.out + ".vtape-partial exists and is a symbolic link"), std::string::npos)
        << c.what << ": " << r.err;
    EXPECT_FALSE(fs::exists(c.out)) << c.what;
    EXPECT_TRUE(fs::is_symlink(c.out + ".vtape-partial")) << c.what;  // left for the admin to see
  }

  // --resume over a hard link to root's file (a name with two links).
  std::string out = shared + "/linked.aws";
  ASSERT_EQ(link(victim.c_str(), (out + ".vtape-partial").c_str()), 0);
  r = run_vtape("restore " + q(work.file("src.tap")) + " --resume --to-image " + q(out));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(victim), precious);
  EXPECT_NE(r.err.find("a hard link"), std::string::npos) << r.err;

  // Our own leftover partial file is still replaced, and --resume still continues ours.
  out = shared + "/mine.aws";
  write_file_bytes(out + ".vtape-partial", bytes_of("torn"));
  r = run_vtape("restore " + q(work.file("src.tap")) + " --to-image " + q(out));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_vtape("verify " + q(out));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
}

// The walk used where the kernel has no openat2 agrees with openat2.
TEST(HostileRestore, TheWalkWithoutOpenat2FindsTheSameEscapes) {
  TempDir work;
  std::string top = work.file("a/top");
  fs::create_directories(top + "/x");
  fs::create_directories(work.file("outside"));
  fs::create_symlink("..", top + "/x/l1");
  fs::create_symlink("x/l1/../outside", top + "/esc");
  fs::create_symlink("x/l1/x", top + "/fine");
  fs::create_symlink("/etc", top + "/abs");
  fs::create_symlink("nothing/here", top + "/dangling");
  fs::create_symlink("loop2", top + "/loop1");
  fs::create_symlink("loop1", top + "/loop2");
  int fd = open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(walk_beneath(fd, "x/l1"), 0);
  EXPECT_EQ(walk_beneath(fd, "fine"), 0);
  EXPECT_EQ(walk_beneath(fd, "esc"), EXDEV);
  EXPECT_EQ(walk_beneath(fd, "abs"), EXDEV);
  EXPECT_EQ(walk_beneath(fd, "x/l1/.."), EXDEV);
  EXPECT_EQ(walk_beneath(fd, "dangling"), ENOENT);
  EXPECT_EQ(walk_beneath(fd, "loop1"), ELOOP);
  close(fd);
  SafeTree tree;
  ASSERT_TRUE(SafeTree::open(top, &tree).is_ok());
  EXPECT_EQ(tree.link_escape_reason("fine"), "");
  EXPECT_EQ(tree.link_escape_reason("dangling"), "");
  EXPECT_NE(tree.link_escape_reason("esc"), "");
  EXPECT_NE(tree.link_escape_reason("abs"), "");
}

}  // namespace
}  // namespace vtape::testing
