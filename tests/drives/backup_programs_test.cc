// Backup programs whose tapes the catalog names by their own content
// detectors (index/bacula_content.cc, index/dump_content.cc): Bacula's btape
// labels a volume on a mounted drive, and dump(8) writes a level 0 dump of
// a small ext2 file system to one.  Each test mounts its own vtapefs.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

std::string q(const std::string& s) { return shell_quote(s); }

// ---------------------------------------------------------------------------
// Bacula

// A storage daemon configuration with one tape Device on the drive: what
// btape needs (no director, no database).
std::string bacula_sd_conf(const TempDir& dir, const std::string& drive) {
  return "Storage {\n"
         "  Name = vtape-sd\n"
         "  WorkingDirectory = \"" + dir.path().string() + "\"\n"
         "  Pid Directory = \"" + dir.path().string() + "\"\n"
         "}\n"
         "Director {\n"
         "  Name = vtape-dir\n"
         "  Password = \"unused\"\n"
         "}\n"
         "Messages {\n"
         "  Name = Standard\n"
         "  director = vtape-dir = all\n"
         "}\n"
         "Device {\n"
         "  Name = VTapeDrive\n" +
         bacula_tape_device_settings(drive) +
         "}\n";
}

TEST(BackupPrograms, BtapeLabelIsCatalogedAsABaculaVolume) {
  ASSERT_TRUE(have_program("btape")) << "btape is not installed (package bacula-sd)";
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir dir;
  write_text(dir.file("bacula-sd.conf"), bacula_sd_conf(dir, vt.drive(0)));
  CommandResult r = run_command("printf 'label\\nBACKUP-0001\\nquit\\n' | btape -c " + q(dir.file("bacula-sd.conf")) +
                                " VTapeDrive");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_NE(r.out.find("Wrote Volume label for volume \"BACKUP-0001\""), std::string::npos) << describe(r);
  settle_drive(vt.drive(0));

  r = vt.vtape("ls SCR001 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(f['file'], f['content'], f['damage']) for f in d['files']][:1]"), "[(0, 'bacula', None)]");
  r = vt.vtape("ls SCR001/0 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(m['kind'], m['path']) for m in d['members']]"),
            "[('bacula-volume', 'BACKUP-0001'), ('bacula-pool', 'Default'), ('bacula-media-type', 'LTO-8')]");
  // The volume name is the volume's label, as a VOL1 label's volser is.
  r = vt.vtape("ls --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(v['volser'], v['label_volser']) for v in d['volumes']]"), "[('SCR001', 'BACKUP-0001')]");
}

// ---------------------------------------------------------------------------
// dump

// A loop device on an image file, detached when the test ends.
class LoopDevice {
 public:
  explicit LoopDevice(const std::string& image) {
    CommandResult r = run_command("losetup -f --show " + shell_quote(image));
    if (r.exit_code == 0) {
      device_ = r.out.substr(0, r.out.find('\n'));
    } else {
      error_ = describe(r);
    }
  }
  ~LoopDevice() {
    if (!device_.empty()) run_command("losetup -d " + shell_quote(device_));
  }
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;
  const std::string& device() const { return device_; }
  const std::string& error() const { return error_; }

 private:
  std::string device_, error_;
};

TEST(BackupPrograms, DumpLevelZeroIsCatalogedWithItsFiles) {
  for (const char* p : {"dump", "mke2fs", "debugfs", "losetup"}) ASSERT_TRUE(have_program(p)) << p << " is missing";
  MountedVtapefs vt;
  ASSERT_TRUE(vt.ok()) << vt.error();
  TempDir dir;
  // A small ext2 file system, filled with debugfs (no mount needed).
  std::string image = dir.file("fs.img");
  write_text(dir.file("hello.txt"), "hello, dump\n");
  write_file_bytes(dir.file("data.bin"), pattern_bytes(50'000, 7));
  CommandResult r = run_command("mke2fs -q -F -t ext2 -L vtapetest " + q(image) + " 4M");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::vector<std::string> requests{"mkdir docs", "mkdir docs/deep", "write " + dir.file("hello.txt") + " hello.txt",
                                    "write " + dir.file("data.bin") + " docs/deep/data.bin"};
  for (const std::string& request : requests) {
    r = run_command("debugfs -w -R " + q(request) + " " + q(image));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
  }
  // dump reads a file system from a block device; a plain file it takes
  // for a directory of the mounted root.
  LoopDevice loop(image);
  ASSERT_FALSE(loop.device().empty()) << "no loop device: " << loop.error();
  r = run_command("dump -0 -f " + q(vt.drive(0)) + " " + q(loop.device()));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(vt.drive(0));

  r = vt.vtape("ls SCR001 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(f['file'], f['content'], f['damage']) for f in d['files']][:1]"), "[(0, 'dump', None)]");
  r = vt.vtape("ls SCR001/0 --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "[(m['kind'], m['path']) for m in d['members'] if m['kind'] in "
                      "('dump-device', 'dump-level')]"),
            "[('dump-device', '" + loop.device() + "'), ('dump-level', '0')]");
  EXPECT_EQ(json_query(r.out, "[m['kind'] for m in d['members'] if m['kind'] == 'dump-filesystem']"), "['dump-filesystem']");
  EXPECT_EQ(json_query(r.out, "sorted((m['kind'], m['path'], m['size']) for m in d['members'] "
                      "if not m['kind'].startswith('dump-') and 'lost+found' not in m['path'])"),
            "[('directory', './docs', 0), ('directory', './docs/deep', 0), ('file', './docs/deep/data.bin', 50000), "
            "('file', './hello.txt', 12)]");
  // The dump's date is a recent one.
  EXPECT_EQ(json_query(r.out, "[abs(m['mtime'] - __import__('time').time()) < 3600 for m in d['members'] "
                      "if m['kind'] == 'dump-date']"),
            "[True]");

  r = vt.vtape("find data.bin");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("SCR001/0  50000  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("./docs/deep/data.bin"), std::string::npos) << r.out;

  // A dump's file blocks are not one run of the byte stream: restoring a
  // member is refused, never bytes from elsewhere written under its name.
  TempDir out;
  r = vt.vtape("restore 'SCR001/0:./hello.txt' --to-dir " + q(out.path().string()));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("have no data of their own"), std::string::npos) << describe(r);
  EXPECT_FALSE(std::filesystem::exists(out.file("hello.txt")));
}

}  // namespace
}  // namespace vtape::testing
