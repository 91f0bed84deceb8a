// The proof of `vtape mtx` (the program vtape-mtx): real Amanda 3.5
// (Debian's amanda-server and amanda-client), running as its own user
// `backup` in the library's group through -o allow_other, drives the
// library with its robot changer chg-robot pointed at vtape-mtx:
// amtapetype -p finds the drive's filemark behaviour, amlabel labels
// cartridges in slots, amcheck finds the label through the changer, amtape
// moves cartridges (the drives' status agrees), and amdump backs a tree up
// that amfetchdump gets back.  Amanda's configuration directory is
// /etc/amanda/NAME: a name of this test's own, removed afterwards with
// Amanda's debug logs and its record of the dumped directory.

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string q(const std::string& s) { return shell_quote(s); }

// The recipe of man/vtape-changer.1: a chg-robot changer whose mtx is
// vtape-mtx, on the mount, with a tape device per drive.
std::string amanda_conf(const std::string& work, const std::string& mount) {
  return "org \"vtapefs\"\n"
         "mailto \"\"\n"
         "dumpuser \"backup\"\n"
         "dumpcycle 0\n"
         "runspercycle 1\n"
         "tapecycle 4\n"
         "runtapes 1\n"
         "labelstr \"^VT[0-9][0-9][0-9][0-9]$\"\n"
         "logdir \"" + work + "/log\"\n"
         "infofile \"" + work + "/curinfo\"\n"
         "indexdir \"" + work + "/index\"\n"
         "tapelist \"" + work + "/tapelist\"\n"
         "define changer vtape {\n"
         "  tpchanger \"chg-robot:" + mount + "\"\n"
         "  property \"mtx\" \"" + VTAPE_MTX_BINARY + "\"\n"
         "  property \"tape-device\" \"0=tape:" + mount + "/drives/nst0\" \"1=tape:" + mount + "/drives/nst1\"\n"
         "  changerfile \"" + work + "/changer-state\"\n"
         "}\n"
         "tpchanger \"vtape\"\n"
         "define tapetype VTAPE {\n"
         "  length 1024 mbytes\n"
         "}\n"
         "tapetype \"VTAPE\"\n"
         "define dumptype vtape-tar {\n"
         "  program \"GNUTAR\"\n"
         "  auth \"local\"\n"
         "  compress none\n"
         "  index yes\n"
         "  holdingdisk never\n"
         "  estimate server\n"
         "}\n";
}

// An Amanda configuration of this test's own: /etc/amanda/NAME (Amanda's
// configuration directory is fixed when it is built), its work directory
// (logs, tape list, changer state) in `work`, both the user backup's.  The
// destructor removes it, Amanda's debug logs of it, and what Amanda's
// client noted of `source` (GNU tar's listed-incremental file, amandates).
class AmandaConfig {
 public:
  AmandaConfig(const std::string& work, const std::string& mount, const std::string& source)
      : work_(work), source_(source) {
    static std::atomic<int> counter{0};
    name_ = "vtapefs-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    dir_ = "/etc/amanda/" + name_;
    fs::create_directories(dir_);
    for (const char* d : {"log", "curinfo", "index"}) fs::create_directories(work + "/" + d);
    write_text(work + "/tapelist", "");
    write_text(dir_ + "/amanda.conf", amanda_conf(work, mount));
    write_text(dir_ + "/disklist", "localhost " + source + " vtape-tar\n");
    ok_ = run_command("chown -R backup:backup " + q(dir_) + " " + q(work)).exit_code == 0;
  }
  ~AmandaConfig() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::remove_all("/var/log/amanda/server/" + name_, ec);
    fs::remove_all("/var/log/amanda/client/" + name_, ec);
    std::string listed = "localhost" + std::regex_replace(source_, std::regex("/"), "_") + "_";
    for (const auto& e : fs::directory_iterator("/var/lib/amanda/gnutar-lists", ec)) {
      if (e.path().filename().string().rfind(listed, 0) == 0) fs::remove(e.path(), ec);
    }
    run_command("sed -i '\\#^" + source_ + " #d' /var/lib/amanda/amandates");
  }
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  // An Amanda command line run as Amanda's user, from its work directory.
  CommandResult run(const std::string& command_line) const {
    return run_command("cd " + q(work_) + " && runuser -u backup -- " + command_line + " </dev/null");
  }

 private:
  std::string work_, source_, name_, dir_;
  bool ok_ = false;
};

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(AmandaChanger, LabelsChecksMovesDumpsAndRestoresThroughVtapeMtx) {
  for (const char* p : {"amtapetype", "amlabel", "amcheck", "amtape", "amdump", "amfetchdump", "runuser"}) {
    ASSERT_TRUE(have_program(p)) << p << " is not installed (scripts/install_deps.sh)";
  }
  ASSERT_EQ(run_command("id backup").exit_code, 0) << "Amanda's user backup is missing";
  // Amanda's user gets at the library as a member of its group, and at the
  // drives through allow_other (declared before the mount: removed after it).
  TestGroup group;
  ASSERT_TRUE(group.ok()) << "groupadd failed";
  // (usermod fails while a test running beside this one holds /etc/group's lock.)
  CommandResult r;
  for (int i = 0; i < 50 && r.exit_code != 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    r = run_command("usermod -aG " + q(group.name()) + " backup");
  }
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  MountedVtapefs vt("--drives 2 --group " + q(group.name()) + " -o allow_other");
  ASSERT_TRUE(vt.ok()) << vt.error();
  open_to_other_users(vt);
  for (const char* v : {"VT0001", "VT0002"}) {
    r = vt.vtape(std::string("new ") + v);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
  }

  TempDir dir;
  fs::permissions(dir.path(), fs::perms(0755));
  std::string source = dir.file("source");
  fs::create_directories(source + "/sub");
  write_text(source + "/a.txt", "hello, amanda\n");
  write_file_bytes(source + "/sub/data.bin", pattern_bytes(300000, 16));
  run_command("chmod -R a+rX " + q(source));
  AmandaConfig amanda(dir.file("work"), vt.mount_point(), source);
  ASSERT_TRUE(amanda.ok());
  const std::string& conf = amanda.name();

  // Root looks first (and so makes the changer's lock): the library's
  // group may take the lock after it.
  std::string mtx = q(VTAPE_MTX_BINARY) + " -f " + q(vt.mount_point()) + " ";
  r = run_command(mtx + "status");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "  Storage Changer " + vt.mount_point() + ":2 Drives, 5 Slots ( 1 Import/Export )\n"
                   "Data Transfer Element 0:Full (Storage Element 1 Loaded):VolumeTag = SCR001\n"
                   "Data Transfer Element 1:Empty\n"
                   "      Storage Element 1:Empty\n"
                   "      Storage Element 2:Full :VolumeTag=VT0001\n"
                   "      Storage Element 3:Full :VolumeTag=VT0002\n"
                   "      Storage Element 4:Empty\n"
                   "      Storage Element 5 IMPORT/EXPORT:Empty\n");
  EXPECT_EQ(mode_of(vt.library() + "/changer.lock"), 0660u);

  // amtapetype -p on drive 0 (the blank SCR001): a filemark is passed when
  // read, as st does, so Amanda needs no FSF after it.
  r = amanda.run("amtapetype -p " + conf + " tape:" + q(vt.drive(0)));
  ASSERT_EQ(r.exit_code, 0) << describe(r) << vt.log();
  EXPECT_EQ(r.out, "device-property \"FSF_AFTER_FILEMARK\" \"false\"\n") << describe(r);

  // amlabel loads each cartridge through chg-robot (vtape-mtx) and labels it.
  for (const auto& [label, slot] : {std::pair{"VT0001", "2"}, std::pair{"VT0002", "3"}}) {
    r = amanda.run(std::string("amlabel ") + conf + " " + label + " slot " + slot);
    ASSERT_EQ(r.exit_code, 0) << describe(r) << vt.log();
    EXPECT_NE(r.out.find(std::string("Writing label '") + label + "'"), std::string::npos) << describe(r);
  }
  r = amanda.run("amtape " + conf + " show");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::string shown = r.out + r.err;
  EXPECT_TRUE(std::regex_search(shown, std::regex(R"(slot +2: .*label VT0001)"))) << shown;
  EXPECT_TRUE(std::regex_search(shown, std::regex(R"(slot +3: .*label VT0002)"))) << shown;
  EXPECT_TRUE(std::regex_search(shown, std::regex(R"(slot +4: empty)"))) << shown;

  // amcheck finds a labeled volume through the changer and can write it.
  r = amanda.run("amcheck -t -w " + conf);
  std::string checked = r.out + r.err;
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(std::regex_search(checked, std::regex(R"(Will write to volume 'VT000[12]' in slot [23]\.)")))
      << checked;
  EXPECT_TRUE(std::regex_search(checked, std::regex(R"(Volume 'VT000[12]' is writeable\.)"))) << checked;
  EXPECT_EQ(checked.find("ERROR"), std::string::npos) << checked;

  // amtape slot 3 puts VT0002 in a drive; the daemon and the changer agree.
  r = amanda.run("amtape " + conf + " slot 3");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE((r.out + r.err).find("label VT0002"), std::string::npos) << describe(r);
  r = vt.vtape("status --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "sum(1 for x in d['drives'] if x.get('volser') == 'VT0002')"), "1") << r.out;
  r = run_command(mtx + "status");
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(Data Transfer Element [01]:Full \(Storage Element 3 )"
                                                  R"(Loaded\):VolumeTag = VT0002\n)")))
      << r.out;
  EXPECT_NE(r.out.find("      Storage Element 3:Empty\n"), std::string::npos) << r.out;

  // A small amdump onto the changer's volume, and amfetchdump gets it back.
  r = amanda.run("amdump " + conf);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  r = amanda.run("amreport " + conf);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(taper: tape (VT000[12]) kb \d+ fm 1 \[OK\])"))) << describe(r);
  std::string volume = m[1];
  std::string restore = dir.file("work/restore");
  fs::create_directories(restore);
  r = amanda.run("sh -c " + q("amfetchdump -a -p " + conf + " localhost " + q(source) + " > restore.tar"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_command("tar -xf " + q(dir.file("work/restore.tar")) + " -C " + q(restore) + " && diff -r " + q(source) +
                  " " + q(restore));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  // On the cartridge: Amanda's label file, then the dump.
  r = vt.vtape("ls " + volume + " --json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_query(r.out, "len(d['files'])"), "2") << r.out;
  // vtape knows both: the label names the volume, and the uncompressed GNU
  // tar dump is read for its members (index/amanda_content.cc), so a file
  // comes back with vtape alone, past Amanda's 32 KiB header.
  EXPECT_EQ(json_query(r.out, "[(f['file'], f['content'], f['damage']) for f in d['files']]"),
            "[(0, 'amanda', None), (1, 'amanda-tar', None)]")
      << r.out;
  std::string own = dir.file("work/own-restore");
  fs::create_directories(own);
  r = vt.vtape("restore " + q(volume + "/1:./sub/data.bin") + " --to-dir " + q(own));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_file_bytes(own + "/sub/data.bin"), pattern_bytes(300000, 16));
}

}  // namespace
}  // namespace vtape::testing
