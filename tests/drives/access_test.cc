// Who may use a library and a mount (man/vtapefs.8, "ACCESS"): the attacks
// of other local users, made with useradd, against a library and a mount
// of root's.
//
//   LibraryAccess: the library's files (images, catalog, spool cartridge,
//     control socket) are its owner's (and its group's with --group), and
//     a library directory that others can write is refused.
//   MountAccess: mounted with -o allow_other, the kernel checks every
//     access (default_permissions) against owners and modes that say whose
//     each thing is: saved/ members their archived owner's, tape files and
//     drives the library's, spool queues and files their spool user's.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string q(const std::string& s) { return shell_quote(s); }

void write_text(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Every file and directory in the library, the library itself included,
// and what others may do with it.
std::string open_to_others(const std::string& library) {
  std::string found;
  auto check = [&](const fs::path& p) {
    mode_t m = mode_of(p.string());
    if ((m & S_IRWXO) != 0) found += p.string() + " " + std::to_string(m) + "\n";
  };
  check(library);
  for (const auto& e : fs::recursive_directory_iterator(library)) check(e.path());
  return found;
}

// Root archives a 0600 file to drive 0 and prints a listing on the spool;
// another user then tries to read both straight from the library's files.
TEST(LibraryAccess, OtherUsersCannotReadTheLibraryItsCatalogOrItsSpool) {
  MountedVtapefs m;
  ASSERT_TRUE(m.ok()) << m.error();
  open_to_other_users(m);
  TestUser other('o');
  ASSERT_TRUE(other.ok()) << "useradd failed";

  TempDir src;
  write_text(src.file("secret.txt"), "ROOT-ONLY-SECRET-7731\n", 0600);
  CommandResult r = run_command("tar -cf " + q(m.drive(0)) + " -C " + q(src.path().string()) + " secret.txt");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(m.drive(0));
  write_text(src.file("report.listing"), "PAYROLL-PRINTOUT-4417\n", 0600);
  r = run_command("cp " + q(src.file("report.listing")) + " " + q(m.mount_point() + "/spool/ROOT/prt/"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_TRUE(fs::exists(m.library() + "/cartridges/SPOOL1.tap"));

  // Nothing in the library grants others anything; the directory is 0700.
  EXPECT_EQ(mode_of(m.library()), 0700u);
  EXPECT_EQ(open_to_others(m.library()), "");
  EXPECT_EQ(mode_of(m.library() + "/catalog.db"), 0600u);
  EXPECT_EQ(mode_of(m.library() + "/cartridges/SCR001.tap"), 0600u);
  EXPECT_EQ(mode_of(m.library() + "/cartridges/SPOOL1.tap"), 0600u);
  EXPECT_EQ(mode_of(m.library() + "/vtapefs.sock"), 0600u);

  // The attacks: restore root's file, read the images, grep the spool
  // cartridge, query the catalog.
  r = other.run("VTAPE_LIBRARY=" + q(m.library()) + " " + q(VTAPE_BINARY) + " restore SCR001/0:secret.txt --to-stdout");
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out.find("ROOT-ONLY-SECRET"), std::string::npos) << describe(r);
  r = other.run("cat " + q(m.library() + "/cartridges/SCR001.tap"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out.find("ROOT-ONLY-SECRET"), std::string::npos);
  r = other.run("grep -a PAYROLL " + q(m.library() + "/cartridges/SPOOL1.tap"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out.find("PAYROLL-PRINTOUT"), std::string::npos);
  r = other.run("sqlite3 " + q(m.library() + "/catalog.db") + " 'SELECT path FROM members'");
  EXPECT_EQ(r.out.find("secret.txt"), std::string::npos) << describe(r);

  // Root's own use is unchanged.
  r = m.vtape("restore SCR001/0:secret.txt --to-stdout");
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "ROOT-ONLY-SECRET-7731\n");
}

// vtape new --group G makes a library its group may use (02770, files
// 0660) and nobody else.
TEST(LibraryAccess, GroupSharesTheLibraryWithItsMembersOnly) {
  TestGroup group;
  ASSERT_TRUE(group.ok()) << "groupadd failed";
  TestUser member('m', group.name());
  TestUser outsider('x');
  ASSERT_TRUE(member.ok() && outsider.ok()) << "useradd failed";
  TempDir dir;
  fs::permissions(dir.path(), fs::perms(0755));
  std::string lib = dir.file("shared");

  CommandResult r = run_vtape("new VOL002 --library " + q(lib) + " --group " + q(group.name()));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  struct stat st {};
  ASSERT_EQ(stat(lib.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 02770u);
  EXPECT_EQ(st.st_gid, static_cast<gid_t>(std::stoul(run_command("getent group " + q(group.name()) +
                                                                  " | cut -d: -f3").out)));
  EXPECT_EQ(mode_of(lib + "/cartridges/VOL002.tap"), 0660u);
  EXPECT_EQ(mode_of(lib + "/catalog.db"), 0660u);
  EXPECT_EQ(open_to_others(lib), "");

  // A member uses it: lists it, makes a cartridge (its files get the group).
  std::string vtape = q(VTAPE_BINARY) + " ";
  r = member.run(vtape + "new VOL003 --library " + q(lib));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  r = member.run(vtape + "ls --library " + q(lib));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("VOL003"), std::string::npos) << describe(r);
  ASSERT_EQ(stat((lib + "/cartridges/VOL003.tap").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_uid, member.uid());
  // Anybody else gets nothing.
  r = outsider.run(vtape + "ls --library " + q(lib));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  r = outsider.run("cat " + q(lib + "/cartridges/VOL002.tap") + " >/dev/null");
  EXPECT_NE(r.exit_code, 0) << describe(r);
  // --group on a library that is not shared with that group is refused.
  TempDir other_dir;
  r = run_vtape("new VOL001 --library " + q(other_dir.file("private")));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_vtape("new VOL002 --library " + q(other_dir.file("private")) + " --group " + q(group.name()));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find("not shared with group " + group.name()), std::string::npos) << describe(r);
}

// Shared use: a member of the library's group loads a cartridge with no
// daemon running (the library's lock, made by another user, is shared), and
// a reader who may only read the catalog (the group without write access)
// runs ls, find, events and index check, with and without a running
// vtapefs; they used to fail with "attempt to write a readonly database".
TEST(LibraryAccess, GroupMembersShareTheLockAndReadOnlyReadersReadTheCatalog) {
  TestGroup group;
  ASSERT_TRUE(group.ok()) << "groupadd failed";
  TestUser member('m', group.name());
  ASSERT_TRUE(member.ok()) << "useradd failed";
  TempDir dir;
  fs::permissions(dir.path(), fs::perms(0755));
  std::string lib = dir.file("shared"), mnt = dir.file("mnt");
  fs::create_directories(mnt);
  // The mounts below are cleared even when the test fails half-way.
  struct Unmount {
    std::string mount_point;
    ~Unmount() { run_command("fusermount3 -u -z " + q(mount_point) + " 2>/dev/null"); }
  } unmount{mnt};
  ASSERT_EQ(run_vtape("new VOL002 --library " + q(lib) + " --group " + q(group.name())).exit_code, 0);
  // The owner takes the lock first (an offline load), then the member.
  ASSERT_EQ(run_vtape("load 1 VOL002 --library " + q(lib)).exit_code, 0);
  EXPECT_EQ(mode_of(lib + "/vtapefs.lock"), 0660u);
  std::string vtape = q(VTAPE_BINARY) + " ";
  CommandResult r = member.run(vtape + "unload 1 --library " + q(lib));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  r = member.run(vtape + "load 1 VOL002 --library " + q(lib));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("VOL002 will be in drive 1"), std::string::npos) << describe(r);

  // Something to find: a tar archive through a mount, then unmounted (the
  // catalog's -wal and -shm files go with the last writer).
  r = run_command(q(VTAPEFS_BINARY) + " --library " + q(lib) + " " + q(mnt));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  r = run_command("tar -cf " + q(mnt + "/drives/nst1") + " -C /etc hostname && fusermount3 -u " + q(mnt));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (int i = 0; i < 1200 && fs::exists(lib + "/catalog.db-wal"); ++i) usleep(50000);
  ASSERT_FALSE(fs::exists(lib + "/catalog.db-wal"));

  // The group may now only read the library and its catalog.
  ASSERT_EQ(chmod(lib.c_str(), 02750), 0);
  ASSERT_EQ(chmod((lib + "/catalog.db").c_str(), 0640), 0);
  auto reads = [&](const std::string& when) {
    CommandResult f = member.run(vtape + "find 'host*' --library " + q(lib));
    EXPECT_EQ(f.exit_code, 0) << when << ": " << describe(f);
    EXPECT_NE(f.out.find("VOL002/0"), std::string::npos) << when << ": " << describe(f);
    CommandResult l = member.run(vtape + "ls VOL002 --library " + q(lib));
    EXPECT_EQ(l.exit_code, 0) << when << ": " << describe(l);
    EXPECT_NE(l.out.find("tar"), std::string::npos) << when << ": " << describe(l);
    CommandResult e = member.run(vtape + "events --library " + q(lib));
    EXPECT_NE(e.out.find("VOL002  write"), std::string::npos) << when << ": " << describe(e);
    CommandResult c = member.run(vtape + "index check --library " + q(lib));
    EXPECT_EQ(c.exit_code, 0) << when << ": " << describe(c);
  };
  reads("no daemon");
  // With the owner's vtapefs running (the -wal and -shm files exist, with
  // the catalog's mode).
  ASSERT_EQ(chmod(lib.c_str(), 02770), 0);
  r = run_command(q(VTAPEFS_BINARY) + " --library " + q(lib) + " " + q(mnt));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_EQ(chmod(lib.c_str(), 02750), 0);
  reads("daemon running");
  ASSERT_EQ(chmod(lib.c_str(), 02770), 0);
  run_command("fusermount3 -u " + q(mnt));
  // Nothing of the catalog changed hands: it is still the owner's.
  struct stat st {};
  ASSERT_EQ(stat((lib + "/catalog.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, getuid());
}

// A library directory others can write is refused by vtape and vtapefs,
// naming it: whoever can write there can swap a cartridge or plant links.
TEST(LibraryAccess, ALibraryDirectoryOthersCanWriteIsRefused) {
  TempDir dir;
  std::string lib = dir.file("lib");
  CommandResult r = run_vtape("new VOL001 --library " + q(lib));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_EQ(chmod(lib.c_str(), 0777), 0);
  r = run_vtape("ls --library " + q(lib));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find(lib + " is writable by others"), std::string::npos) << describe(r);
  r = run_vtape("new VOL002 --library " + q(lib));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_FALSE(fs::exists(lib + "/cartridges/VOL002.tap"));
  std::string mnt = dir.file("mnt");
  fs::create_directories(mnt);
  r = run_command("timeout 20 " + q(VTAPEFS_BINARY) + " -f --library " + q(lib) + " " + q(mnt));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find(lib + " is writable by others"), std::string::npos) << describe(r);
  run_command("fusermount3 -u -z " + q(mnt));
  // A directory others can write is not made a library either (nor closed).
  std::string open_dir = dir.file("open");
  fs::create_directories(open_dir);
  ASSERT_EQ(chmod(open_dir.c_str(), 01777), 0);
  r = run_vtape("new VOL001 --library " + q(open_dir));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find(open_dir + " is writable by others"), std::string::npos) << describe(r);
  EXPECT_EQ(mode_of(open_dir), 01777u);
  EXPECT_FALSE(fs::exists(open_dir + "/cartridges"));
}

// A member of a shared library's group uses the drives of a mount with
// -o allow_other (as Bacula's or Amanda's own user would), and runs vtape
// status, ls and find on the library; a user outside the group gets
// nothing.
TEST(MountAccess, AGroupMemberWritesADriveAndRunsVtapeThroughAllowOther) {
  TestGroup group;
  ASSERT_TRUE(group.ok()) << "groupadd failed";
  TestUser member('b', group.name());
  TestUser outsider('o');
  ASSERT_TRUE(member.ok() && outsider.ok()) << "useradd failed";
  MountedVtapefs m("--group " + q(group.name()) + " -o allow_other");
  ASSERT_TRUE(m.ok()) << m.error();
  open_to_other_users(m);
  TempDir src;
  fs::permissions(src.path(), fs::perms(0755));
  write_text(src.file("job.txt"), "BACKUP-OF-THE-DAY\n", 0644);
  std::string vtape = q(VTAPE_BINARY) + " ";
  std::string lib = " --library " + q(m.library());
  CommandResult r = member.run("tar -cf " + q(m.drive(0)) + " -C " + q(src.path().string()) + " job.txt");
  ASSERT_EQ(r.exit_code, 0) << describe(r) << m.log();
  settle_drive(m.drive(0));
  r = member.run("mt -f " + q(m.drive(0)) + " rewind && tar -xOf " + q(m.drive(0)));
  EXPECT_EQ(r.out, "BACKUP-OF-THE-DAY\n") << describe(r);
  r = member.run(vtape + "status 0" + lib);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("drive 0: SCR001"), std::string::npos) << describe(r);
  r = member.run(vtape + "find 'job*'" + lib);
  EXPECT_NE(r.out.find("SCR001/0"), std::string::npos) << describe(r);
  r = member.run(vtape + "ls SCR001" + lib);
  EXPECT_NE(r.out.find("tar"), std::string::npos) << describe(r);
  // Outside the group: no drive, no status.
  r = outsider.run("dd if=" + q(m.drive(1)) + " of=/dev/null count=1");
  EXPECT_NE(r.exit_code, 0) << describe(r);
  r = outsider.run(vtape + "status" + lib);
  EXPECT_NE(r.exit_code, 0) << describe(r);
}

// With -o allow_other, root archives its own 0600 file and a user's 0600
// file; another user can read neither through saved/, nor the whole tape
// file, the image or the drive.  The user reads their own member.
TEST(MountAccess, SavedMembersAreTheirArchivedOwnersOnly) {
  MountedVtapefs m("-o allow_other");
  ASSERT_TRUE(m.ok()) << m.error();
  open_to_other_users(m);
  TestUser victim('v');
  TestUser attacker('a');
  ASSERT_TRUE(victim.ok() && attacker.ok()) << "useradd failed";

  TempDir src;
  fs::create_directories(src.file("home/victim"));
  write_text(src.file("home/victim/diary.txt"), "VICTIM-DIARY-2208\n", 0600);
  ASSERT_EQ(chown(src.file("home/victim").c_str(), victim.uid(), static_cast<gid_t>(-1)), 0);
  ASSERT_EQ(chown(src.file("home/victim/diary.txt").c_str(), victim.uid(), static_cast<gid_t>(-1)), 0);
  ASSERT_EQ(chmod(src.file("home/victim").c_str(), 0700), 0);
  write_text(src.file("home/shadow"), "ROOT-SHADOW-9902\n", 0600);
  CommandResult r = run_command("tar -cf " + q(m.drive(0)) + " -C " + q(src.path().string()) + " home");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  settle_drive(m.drive(0));

  std::string file = m.mount_point() + "/saved/SCR001/0000";
  std::string diary = file + "/members/home/victim/diary.txt";
  struct stat st {};
  ASSERT_EQ(stat(diary.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, victim.uid());
  EXPECT_EQ(st.st_mode & 0777, 0400u);

  for (const std::string& path : {diary, file + "/members/home/shadow", file + "/data",
                                  m.mount_point() + "/library/SCR001.tap", m.drive(0)}) {
    r = attacker.run("cat " + q(path));
    EXPECT_NE(r.exit_code, 0) << path << "\n" << describe(r);
    EXPECT_EQ(r.out, "") << path;
  }
  r = attacker.run("ls " + q(file + "/members/home/victim"));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  r = attacker.run("dd if=" + q(m.drive(1)) + " of=/dev/null count=1");
  EXPECT_NE(r.exit_code, 0) << describe(r);

  // The owner reads their own file; root reads everything.
  r = victim.run("cat " + q(diary));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "VICTIM-DIARY-2208\n");
  r = victim.run("cat " + q(file + "/members/home/shadow"));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  r = run_command("cat " + q(file + "/members/home/shadow"));
  EXPECT_EQ(r.out, "ROOT-SHADOW-9902\n") << describe(r);
}

// With -o allow_other, a user prints on their own printer; another user
// tries to list, read, hold and purge that spool file, and to forge one in
// the victim's printer, through spool/ and saved/spool/.
TEST(MountAccess, SpoolQueuesAndFilesAreTheirUsersOnly) {
  MountedVtapefs m("-o allow_other");
  ASSERT_TRUE(m.ok()) << m.error();
  open_to_other_users(m);
  TestUser victim('v');
  TestUser attacker('a');
  ASSERT_TRUE(victim.ok() && attacker.ok()) << "useradd failed";
  std::string mine = m.mount_point() + "/spool/" + victim.spool_user();
  CommandResult r = victim.run("echo VICTIM-PAYSLIP-5150 > " + q(mine + "/prt/payslip.listing"));
  ASSERT_EQ(r.exit_code, 0) << describe(r);

  std::string spooled = mine + "/prt/0001.payslip.listing";
  struct stat st {};
  ASSERT_EQ(stat(spooled.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, victim.uid());
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(mine.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, victim.uid());
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  std::string by_owner = m.mount_point() + "/saved/spool/by-owner/" + victim.spool_user() + "/0001.payslip.listing";
  for (const std::string& path : {spooled, by_owner, m.mount_point() + "/saved/spool/by-id/0001.payslip.listing"}) {
    r = attacker.run("cat " + q(path));
    EXPECT_NE(r.exit_code, 0) << path << "\n" << describe(r);
    EXPECT_EQ(r.out.find("payslip"), std::string::npos) << path;
  }
  r = attacker.run("ls " + q(mine + "/prt"));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  r = attacker.run("setfattr -n user.spool.hold -v user " + q(spooled));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  r = attacker.run("rm -f " + q(spooled));
  EXPECT_NE(r.exit_code, 0) << describe(r);
  r = attacker.run("echo FORGED > " + q(mine + "/prt/forged.listing"));
  EXPECT_NE(r.exit_code, 0) << describe(r);

  // The victim's spool is as they left it: one file, not purged (list
  // leaves purged files out), nothing forged, not held.
  r = m.vtape("spool list --owner " + victim.spool_user());
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("payslip"), std::string::npos) << r.out;
  r = m.vtape("spool list --include-purged");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out.find("forged"), std::string::npos) << r.out;
  r = victim.run("getfattr --only-values -n user.spool.hold " + q(spooled));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "none") << describe(r);
  r = victim.run("cat " + q(spooled));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "VICTIM-PAYSLIP-5150\n");
}

}  // namespace
}  // namespace vtape::testing
