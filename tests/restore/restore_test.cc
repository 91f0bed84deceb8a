// vtape restore against a real vtapefs mount, driven by the programs users
// run (tar, dd, mt, hetmap): cartridge onto another drive, members into a
// directory, a crafted hostile tar, dry runs, a flipped byte, AWS for
// Hercules, pipes, --resume and --overwrite.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "tests/interop/json_reader.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string q(const std::string& s) { return shell_quote(s); }

struct SourceTree {
  TempDir dir;
  SourceTree() {
    fs::create_directories(dir.path() / "src" / "sub" / "deeper");
    write_file_bytes(src() + "/a.txt", std::vector<uint8_t>(1234, 'a'));
    write_file_bytes(src() + "/sub/nums", pattern_bytes(300000, 7));
    write_file_bytes(src() + "/sub/deeper/empty", {});
    write_file_bytes(src() + "/run.sh", {'#', '!', '/', 'b', 'i', 'n', '/', 's', 'h', '\n'});
    chmod((src() + "/run.sh").c_str(), 0750);
    EXPECT_EQ(run_command("touch -d '2001-02-03 12:00:00 UTC' " + q(src() + "/a.txt")).exit_code, 0);
    EXPECT_EQ(::symlink("a.txt", (src() + "/link").c_str()), 0);
  }
  std::string src() const { return dir.file("src"); }
};

void tar_to(const SourceTree& t, const std::string& device, const std::string& blocking = "20") {
  CommandResult r = run_command("tar -b " + blocking + " -cf " + q(device) + " -C " + q(t.src()) + " .");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(device);
}

using interop::Json;
using interop::parse_json;

// Records and filemarks of an image, a line per tape file: "file N: len len
// ... FM" (from vtape dump --records).
std::string record_layout(const std::string& image) {
  CommandResult r = run_vtape("dump --records --json " + q(image));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  Json doc = parse_json(r.out);
  std::string layout;
  int64_t file = -1;
  for (size_t i = 0; i < doc["objects"].size(); ++i) {
    const Json& o = doc["objects"][i];
    if (static_cast<int64_t>(o["file"].u64()) != file) {
      if (file >= 0) layout += "\n";
      file = static_cast<int64_t>(o["file"].u64());
      layout += "file " + std::to_string(file) + ":";
    }
    layout += o["type"].str() == "record" ? " " + std::to_string(o["length"].u64()) : " FM";
  }
  return layout + "\n";
}

// Image offset of record `block` of tape file `file`.
uint64_t record_offset(const std::string& image, uint64_t file, uint64_t block) {
  Json doc = parse_json(run_vtape("dump --records --json " + q(image)).out);
  for (size_t i = 0; i < doc["objects"].size(); ++i) {
    const Json& o = doc["objects"][i];
    if (o["file"].u64() == file && o["type"].str() == "record" && o["block"].u64() == block) return o["offset"].u64();
  }
  ADD_FAILURE() << "no record " << block << " in file " << file << " of " << image;
  return 0;
}

std::vector<uint8_t> bytes_of_string(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::string cartridge_image(const MountedVtapefs& vt, const std::string& volser) {
  for (const auto& e : fs::directory_iterator(vt.library() + "/cartridges")) {
    if (e.path().stem() == volser && e.path().extension() != ".cartridge") return e.path().string();
  }
  return "";
}

// A mount with a second cartridge VOL002 in drive 1.
struct TwoDrives {
  MountedVtapefs vt{"--drives 2"};
  TwoDrives() {
    EXPECT_TRUE(vt.ok()) << vt.error();
    CommandResult r = vt.vtape("new VOL002");
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    r = vt.vtape("load 1 VOL002");
    EXPECT_EQ(r.exit_code, 0) << describe(r);
  }
};

TEST(Restore, ACartridgeRestoredOntoAnotherDriveHoldsTheSameRecordsAndFilemarks) {
  TwoDrives d;
  MountedVtapefs& vt = d.vt;
  SourceTree t;
  tar_to(t, vt.drive(0));
  tar_to(t, vt.drive(0), "128");
  // Records of odd sizes in a third tape file.
  for (int size : {1, 513, 65537}) {
    CommandResult r = run_command("head -c " + std::to_string(size) + " /dev/urandom | dd of=" + q(vt.drive(0)) +
                                  " bs=" + std::to_string(size) + " iflag=fullblock 2>&1");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
  }
  settle_drive(vt.drive(0));

  CommandResult r = vt.vtape("restore SCR001 --to-device " + q(vt.drive(1)) + " --rewind --verify");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("verified"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("5 filemarks"), std::string::npos) << r.out;
  settle_drive(vt.drive(1));

  std::string a = record_layout(cartridge_image(vt, "SCR001"));
  std::string b = record_layout(cartridge_image(vt, "VOL002"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("file 4: 65537"), std::string::npos) << a;
  // The same bytes: the catalog's checksum of every tape file agrees.
  Json la = parse_json(vt.vtape("ls SCR001 --json").out);
  Json lb = parse_json(vt.vtape("ls VOL002 --json").out);
  ASSERT_EQ(la["files"].size(), 5u);
  ASSERT_EQ(lb["files"].size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(la["files"][i]["digest"].str(), lb["files"][i]["digest"].str()) << "file " << i;
  }
  // And tar reads the copy.
  r = run_command("mt -f " + q(vt.drive(1)) + " rewind && mt -f " + q(vt.drive(1)) + " fsf 1 && tar -tf " +
                  q(vt.drive(1)) + " -b 128");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("./sub/nums"), std::string::npos) << r.out;
}

TEST(Restore, OneTapeFileGoesOntoADriveAtItsPositionEndedByAFilemark) {
  TwoDrives d;
  MountedVtapefs& vt = d.vt;
  SourceTree t;
  tar_to(t, vt.drive(0));
  tar_to(t, vt.drive(0));
  // Drive 1 already holds one tape file; the restore appends after it.
  CommandResult r = run_command("printf first | dd of=" + q(vt.drive(1)) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = vt.vtape("restore SCR001/1 --to-device " + q(vt.drive(1)) + " --verify");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(vt.drive(1));
  std::string layout = record_layout(cartridge_image(vt, "VOL002"));
  std::string source = record_layout(cartridge_image(vt, "SCR001"));
  std::string second_file = source.substr(source.find("file 1:"));
  EXPECT_EQ(layout, "file 0: 5 FM\n" + second_file);
}

TEST(Restore, AMemberRestoredByNameIsByteIdenticalWithItsModeAndTime) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  TempDir out;
  CommandResult r = vt.vtape("restore SCR001/0:sub/nums --to-dir " + q(out.file("x")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(out.file("x/sub/nums")), read_file_bytes(t.src() + "/sub/nums"));
  EXPECT_FALSE(fs::exists(out.file("x/a.txt")));
  r = vt.vtape("restore 'SCR001/0:*.txt' --to-dir " + q(out.file("y")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(out.file("y/a.txt")), read_file_bytes(t.src() + "/a.txt"));
  struct stat st{};
  ASSERT_EQ(stat(out.file("y/a.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 981201600);  // 2001-02-03 12:00:00 UTC
  // A directory selects all under it; the whole archive compares with diff.
  r = vt.vtape("restore 'SCR001/0:*' --to-dir " + q(out.file("all")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_command("diff -r --no-dereference " + q(t.src()) + " " + q(out.file("all")));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_EQ(stat(out.file("all/run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(fs::read_symlink(out.file("all/link")), "a.txt");
  // No member matches: an error naming the pattern.
  r = vt.vtape("restore 'SCR001/0:nothing*' --to-dir " + q(out.file("z")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nothing*"), std::string::npos) << r.err;
}

TEST(Restore, ACraftedTarRestoresNothingOutsideTheTarget) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir work;
  std::string tar = work.file("evil.tar");
  // Python's tarfile writes the names as given, which GNU tar would not.
  std::string script =
      "import tarfile, io\n"
      "t = tarfile.open('" + tar + "', 'w', format=tarfile.GNU_FORMAT)\n"
      "def add(name, data=b'x', kind=tarfile.REGTYPE, link=''):\n"
      "    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.size = len(data) if kind == tarfile.REGTYPE else 0\n"
      "    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)\n"
      "add('ok.txt', b'fine')\n"
      "add('../escape.txt')\n"
      "add('/tmp/absolute-" + std::to_string(getpid()) + ".txt')\n"
      "add('sub/../../up.txt')\n"
      "add('out', kind=tarfile.SYMTYPE, link='..')\n"
      "add('out/through-link.txt')\n"
      "add('abs', kind=tarfile.SYMTYPE, link='/etc')\n"
      "add('hard', kind=tarfile.LNKTYPE, link='../escape.txt')\n"
      "add('dir/inner.txt', b'inner')\n"
      "t.close()\n";
  write_file_bytes(work.file("make.py"), std::vector<uint8_t>(script.begin(), script.end()));
  CommandResult r = run_command("python3 " + q(work.file("make.py")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_command("dd if=" + q(tar) + " of=" + q(vt.drive(0)) + " bs=10240 2>&1");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(vt.drive(0));

  std::string target = work.file("restore/inside");
  r = vt.vtape("restore 'SCR001/0:*' --to-dir " + q(target) + " --json");
  EXPECT_EQ(r.exit_code, 1) << describe(r);  // something was refused
  EXPECT_EQ(read_file_bytes(target + "/ok.txt"), (std::vector<uint8_t>{'f', 'i', 'n', 'e'}));
  EXPECT_EQ(read_file_bytes(target + "/dir/inner.txt"), (std::vector<uint8_t>{'i', 'n', 'n', 'e', 'r'}));
  // Nothing outside: the parent holds only `inside`.
  std::vector<std::string> beside;
  for (const auto& e : fs::directory_iterator(work.file("restore"))) beside.push_back(e.path().filename());
  EXPECT_EQ(beside, std::vector<std::string>{"inside"});
  EXPECT_FALSE(fs::exists("/tmp/absolute-" + std::to_string(getpid()) + ".txt"));
  EXPECT_FALSE(fs::exists(work.file("escape.txt")));
  EXPECT_FALSE(fs::exists(work.file("up.txt")));
  // The refused link is not made, so out/ is a plain directory inside.
  EXPECT_FALSE(fs::is_symlink(target + "/out"));
  EXPECT_TRUE(fs::is_regular_file(target + "/out/through-link.txt"));
  EXPECT_FALSE(fs::exists(target + "/abs"));
  Json doc = parse_json(r.out);
  std::string refused;
  for (size_t i = 0; i < doc["refused"].size(); ++i) refused += doc["refused"][i].str() + "\n";
  for (const char* name : {"../escape.txt", "/tmp/absolute", "sub/../../up.txt", "out:", "abs:", "hard:"}) {
    EXPECT_NE(refused.find(name), std::string::npos) << name << " not listed in:\n" << refused;
  }
  EXPECT_NE(r.err.find("not restored: ../escape.txt: a '..' component"), std::string::npos) << r.err;
}

TEST(Restore, ASymlinkAlreadyInTheTargetIsNotFollowed) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  TempDir work;
  fs::create_directories(work.file("target"));
  fs::create_directories(work.file("elsewhere"));
  // ./sub in the target is a link out; sub/nums must not land in elsewhere/.
  ASSERT_EQ(::symlink(work.file("elsewhere").c_str(), work.file("target/sub").c_str()), 0);
  CommandResult r = vt.vtape("restore SCR001/0:sub/nums --to-dir " + q(work.file("target")));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(fs::is_empty(work.file("elsewhere")));
  EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
}

TEST(Restore, ADryRunReadsAndChecksButWritesNothing) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  TempDir work;
  // Tape files to a directory, an image, and the archive's members.
  struct Case {
    std::string source, target;
    uint64_t at_least;
  } cases[] = {{"SCR001", "--to-dir " + q(work.file("d")), 300000},
               {"SCR001", "--to-image " + q(work.file("x.aws")), 300000},
               {"'SCR001/0:*'", "--to-dir " + q(work.file("m")), 50000}};
  for (const Case& c : cases) {
    CommandResult r = vt.vtape("restore " + c.source + " --dry-run --json " + c.target);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    Json doc = parse_json(r.out);
    EXPECT_TRUE(doc["dry_run"].flag());
    EXPECT_EQ(doc["tape_files"].u64(), 1u);
    EXPECT_GT(doc["bytes_needed"].u64(), c.at_least) << c.source;
    EXPECT_GT(doc["bytes_free"].u64(), 0u);
  }
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(work.path())) left.push_back(e.path().filename());
  EXPECT_TRUE(left.empty()) << left.front();
  // Not enough room on the target: the dry run says so.
  CommandResult r = run_command("mkdir -p " + q(work.file("tiny")) + " && mount -t tmpfs -o size=64k tmpfs " +
                                q(work.file("tiny")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = vt.vtape("restore SCR001 --dry-run --to-dir " + q(work.file("tiny/d")));
  run_command("umount " + q(work.file("tiny")));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("free there"), std::string::npos) << r.err;
}

TEST(Restore, AFlippedByteIsAChecksumMismatchNamingVolumeFileAndRecord) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  tar_to(t, vt.drive(0));
  CommandResult r = vt.vtape("unload 0");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::string image = cartridge_image(vt, "SCR001");
  // Record 3 of tape file 1: find its offset with vtape dump.
  uint64_t offset = record_offset(image, 1, 3);
  auto bytes = read_file_bytes(image);
  bytes[offset + 100] ^= 0x20;
  write_file_bytes(image, bytes);

  TempDir work;
  r = vt.vtape("restore SCR001 --to-dir " + q(work.file("d")));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("checksum mismatch: SCR001 file 1 record 3: the record at image byte " + std::to_string(offset)),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("file 0"), std::string::npos) << r.err;  // file 0 is sound
  r = vt.vtape("restore SCR001/1 --dry-run --json");
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  Json doc = parse_json(r.out);
  ASSERT_EQ(doc["mismatches"].size(), 1u);
  EXPECT_EQ(doc["mismatches"][size_t{0}]["record"].u64(), 3u);
}

TEST(Restore, AnAwsImageItWritesIsReadByHetmap) {
  if (!have_program("hetmap")) GTEST_SKIP() << "hetmap (hercules) is not installed";
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  tar_to(t, vt.drive(0), "64");  // 32 KiB records: Hercules reads blocks up to 64 KiB - 1
  TempDir work;
  for (std::string format : {"aws", "het"}) {
    std::string out = work.file("copy." + format);
    CommandResult r = vt.vtape("restore SCR001 --to-image " + q(out));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    r = run_command("hetmap " + q(out));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex("Summary[^]*Files\\s*:\\s*(\\d+)\\s*\\nBlocks\\s*:\\s*(\\d+)")))
        << r.out;
    Json ls = parse_json(vt.vtape("ls SCR001 --json").out);
    uint64_t records = 0;
    for (size_t i = 0; i < ls["files"].size(); ++i) records += ls["files"][i]["records"].u64();
    EXPECT_EQ(m[1], "2") << r.out;
    EXPECT_EQ(m[2], std::to_string(records)) << r.out;
    // Record for record the same as the cartridge.
    EXPECT_EQ(record_layout(out), record_layout(cartridge_image(vt, "SCR001")));
  }
}

TEST(Restore, OneTapeFileGoesToStandardOutputForAPipe) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  TempDir work;
  CommandResult r = run_command("cd " + q(work.path()) + " && VTAPE_LIBRARY=" + q(vt.library()) + " " +
                                VTAPE_BINARY + " restore SCR001/0 --to-stdout | tar -xf - ./sub/nums");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(work.file("sub/nums")), read_file_bytes(t.src() + "/sub/nums"));
  EXPECT_NE(r.err.find("standard output"), std::string::npos) << r.err;  // the summary goes to stderr
  // A member's data alone, as tar -O gives it.
  r = vt.vtape("restore SCR001/0:a.txt --to-stdout");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, std::string(1234, 'a'));
  // A whole cartridge is not one stream.
  r = vt.vtape("restore SCR001 --to-stdout");
  EXPECT_EQ(r.exit_code, 2) << describe(r);
}

TEST(Restore, ResumeContinuesAnInterruptedImageRestore) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  tar_to(t, vt.drive(0));
  TempDir work;
  std::string full = work.file("full.tap");
  CommandResult r = vt.vtape("restore SCR001 --to-image " + q(full));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  // An interrupted run: the partial image stops in the middle of a record.
  auto bytes = read_file_bytes(full);
  std::string out = work.file("resumed.tap");
  write_file_bytes(out + ".vtape-partial", std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2 + 3));
  r = vt.vtape("restore SCR001 --to-image " + q(out) + " --resume");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(out), bytes);
  EXPECT_FALSE(fs::exists(out + ".vtape-partial"));
  // The target exists: never replaced by default, replaced with always.
  r = vt.vtape("restore SCR001 --to-image " + q(out));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.err.find("exists"), std::string::npos) << r.err;
  r = vt.vtape("restore SCR001/0 --to-image " + q(out) + " --overwrite=always");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_LT(read_file_bytes(out).size(), bytes.size());
}

TEST(Restore, ResumeAndOverwriteInADirectory) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  TempDir work;
  std::string d = work.file("d");
  CommandResult r = vt.vtape("restore 'SCR001/0:*' --to-dir " + q(d) + " --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  // Interrupted: one file missing, one cut short.
  fs::remove(d + "/sub/nums");
  write_file_bytes(d + "/a.txt", std::vector<uint8_t>(10, 'a'));
  r = vt.vtape("restore 'SCR001/0:*' --to-dir " + q(d) + " --resume --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  Json doc = parse_json(r.out);
  EXPECT_GE(doc["resumed"].u64(), 2u);  // run.sh and empty were complete
  EXPECT_EQ(read_file_bytes(d + "/sub/nums"), read_file_bytes(t.src() + "/sub/nums"));
  EXPECT_EQ(read_file_bytes(d + "/a.txt"), read_file_bytes(t.src() + "/a.txt"));
  // --overwrite=never (the default) leaves a changed file alone and says so.
  write_file_bytes(d + "/a.txt", {'m', 'i', 'n', 'e'});
  r = vt.vtape("restore SCR001/0:a.txt --to-dir " + q(d));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(d + "/a.txt"), (std::vector<uint8_t>{'m', 'i', 'n', 'e'}));
  EXPECT_NE(r.err.find("left as they were"), std::string::npos) << r.err;
  // ask without a terminal answers no.
  r = vt.vtape("restore SCR001/0:a.txt --to-dir " + q(d) + " --overwrite=ask < /dev/null");
  EXPECT_EQ(read_file_bytes(d + "/a.txt"), (std::vector<uint8_t>{'m', 'i', 'n', 'e'}));
  r = vt.vtape("restore SCR001/0:a.txt --to-dir " + q(d) + " --overwrite=always");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(d + "/a.txt"), read_file_bytes(t.src() + "/a.txt"));
}

TEST(Restore, TapeFilesGoToADirectoryAsNumberedFiles) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  CommandResult r = run_command("printf 'second file' | dd of=" + q(vt.drive(0)) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(vt.drive(0));
  TempDir work;
  r = vt.vtape("restore SCR001 --to-dir " + q(work.file("d")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(work.file("d/0001.dat")), bytes_of_string("second file"));
  // The catalog's event log has the restore.
  r = run_command("sqlite3 " + q(vt.library() + "/catalog.db") +
                  " \"SELECT volser, detail FROM events WHERE kind = 'restore'\"");
  EXPECT_NE(r.out.find("SCR001|SCR001 -> directory " + work.file("d") + ": 31 records, 2 filemarks"),
            std::string::npos)
      << describe(r);
  r = run_command("tar -tf " + q(work.file("d/0000.dat")));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("./sub/nums"), std::string::npos);
}

TEST(Restore, OneTapeFileBecomesAnImageOfItsOwnInAnyFormat) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  tar_to(t, vt.drive(0), "64");
  std::string source = record_layout(cartridge_image(vt, "SCR001"));
  std::string second = source.substr(source.find("file 1:") + 7);
  TempDir work;
  // .tap copies the bytes as they are; .aws and .het are encoded again.
  for (std::string name : {"one.tap", "one.aws", "one.het", "one.e11"}) {
    CommandResult r = vt.vtape("restore SCR001/1 --to-image " + q(work.file(name)));
    ASSERT_EQ(r.exit_code, 0) << name << "\n" << describe(r);
    EXPECT_EQ(record_layout(work.file(name)), "file 0:" + second) << name;
    r = run_vtape("verify " + q(work.file(name)));
    EXPECT_EQ(r.exit_code, 0) << name << "\n" << describe(r);
  }
  // An image given by path restores like a cartridge.
  CommandResult r = run_vtape("restore " + q(work.file("one.aws")) + " --to-dir " + q(work.file("d")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(work.file("d/0000.dat")).size(), 32768u * 10);  // tar -b 64 of ~300 KB: 10 records
}

TEST(Restore, BadSourcesAndOptionsAreClearErrors) {
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  SourceTree t;
  tar_to(t, vt.drive(0));
  struct Case {
    std::string args;
    int code;
    std::string message;
  } cases[] = {
      {"restore NOSUCH --to-dir /tmp/x", 1, "NOSUCH"},
      {"restore SCR001/7 --to-stdout", 1, "no tape file 7"},
      {"restore SCR001/x --to-stdout", 1, "expected a tape file number"},
      {"restore SCR001", 2, "say where to"},
      {"restore SCR001 --to-dir a --to-image b", 2, "only one of"},
      {"restore SCR001/0:a.txt --to-image x.tap", 2, "members go --to-dir or --to-stdout"},
      {"restore SCR001 --to-dir d --overwrite=maybe", 2, "--overwrite takes"},
      {"restore SCR001 --to-device /dev/null", 1, "not a tape device"},
      {"restore SCR001 --to-image x.tap --verify", 2, "--verify go with --to-device"},
  };
  for (const auto& c : cases) {
    CommandResult r = vt.vtape(c.args);
    EXPECT_EQ(r.exit_code, c.code) << c.args << "\n" << describe(r);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
}

}  // namespace
}  // namespace vtape::testing
