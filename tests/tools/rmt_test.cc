// vtape rmt with real clients: GNU tar, cpio and mt-gnu through a local
// rsh script that starts `vtape rmt` (as a forced command does), the same
// through a real sshd on 127.0.0.1, and a hostile client's raw bytes on
// vtape rmt's standard input.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/test_support.h"
#include "tests/tools/rmt_shell.h"
#include "tests/test_support/ssh_fixture.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string sq(const std::string& s) { return shell_quote(s); }

// Every path under `dir`, for "nothing else was touched".
std::set<std::string> tree(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.insert(e.path().string());
  return out;
}

class RmtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = dir_.file("lib");
    ASSERT_EQ(::mkdir(lib_.c_str(), 0700), 0);
    CommandResult r = run_vtape("new --library " + sq(lib_) + " VOL001");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    server_ = rmt_server_command(lib_);
    // What ssh does with a forced command: whatever the client asks to run
    // (tar's --rmt-command, cpio's and mt-gnu's /usr/sbin/rmt), the
    // server runs vtape rmt.
    rsh_ = dir_.file("rsh.sh");
    write_rmt_shell(rsh_, lib_, "echo \"$*\" >> " + sq(dir_.file("asked.log")) + "\n");
    src_ = dir_.file("src");
    fs::create_directories(src_ + "/sub");
    write_file_bytes(src_ + "/big.bin", pattern_bytes(5 << 20, 17));
    write_text(src_ + "/sub/notes.txt", "remote tape over ssh\n");
  }

  std::string client(const std::string& host_volser) const {
    return "-f " + sq("localhost:" + host_volser) + " --rsh-command=" + sq(rsh_);
  }

  TempDir dir_;
  std::string lib_, server_, rsh_, src_;
};

TEST_F(RmtTest, TarWritesFourMiBRecordsThatListExtractAndCatalog) {
  // -b 8192: records of 4 MiB, four times what the mount takes.
  CommandResult w = run_command("cd " + sq(dir_.path()) + " && tar -c -b 8192 " + client("VOL002") + " src");
  ASSERT_EQ(w.exit_code, 0) << describe(w);
  CommandResult t = run_command("tar -t -b 8192 " + client("VOL002"));
  ASSERT_EQ(t.exit_code, 0) << describe(t);
  EXPECT_NE(t.out.find("src/big.bin"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("src/sub/notes.txt"), std::string::npos) << t.out;
  fs::create_directories(dir_.file("out"));
  CommandResult x = run_command("cd " + sq(dir_.file("out")) + " && tar -x -b 8192 " + client("VOL002"));
  ASSERT_EQ(x.exit_code, 0) << describe(x);
  CommandResult cmp = run_command("diff -r " + sq(src_) + " " + sq(dir_.file("out/src")));
  EXPECT_EQ(cmp.exit_code, 0) << describe(cmp);

  // One tape file of whole 4 MiB records, cataloged as tar, and the image valid.
  CommandResult ls = run_vtape("ls --library " + sq(lib_) + " VOL002");
  ASSERT_EQ(ls.exit_code, 0) << describe(ls);
  EXPECT_NE(ls.out.find("4194304  4194304  tar"), std::string::npos) << ls.out;
  CommandResult v = run_vtape("verify " + sq(lib_ + "/cartridges/VOL002.tap"));
  EXPECT_EQ(v.exit_code, 0) << describe(v);
  EXPECT_NE(v.out.find("1 tape files"), std::string::npos) << v.out;
}

TEST_F(RmtTest, CpioWithABlockSizeAndMtGnuMoveTheTape) {
  CommandResult o = run_command("cd " + sq(dir_.path()) + " && find src | cpio -o -H newc -C 10240 -F " +
                                sq("localhost:VOL003") + " --rsh-command=" + sq(rsh_));
  ASSERT_EQ(o.exit_code, 0) << describe(o);
  fs::create_directories(dir_.file("out"));
  CommandResult i = run_command("cd " + sq(dir_.file("out")) + " && cpio -i -d -C 10240 -F " +
                              sq("localhost:VOL003") + " --rsh-command=" + sq(rsh_));
  ASSERT_EQ(i.exit_code, 0) << describe(i);
  CommandResult cmp = run_command("diff -r " + sq(src_) + " " + sq(dir_.file("out/src")));
  EXPECT_EQ(cmp.exit_code, 0) << describe(cmp);
  CommandResult ls = run_vtape("ls --library " + sq(lib_) + " VOL003");
  EXPECT_NE(ls.out.find("10240  cpio"), std::string::npos) << ls.out;

  // mt-gnu over rmt: weof writes two filemarks at the start of VOL001, rewind
  // and fsf move over them, eom goes to the end; each is a session of its
  // own, which starts at the beginning of the tape (the cartridge is
  // loaded for the session).
  std::string mt = "mt-gnu -f " + sq("localhost:VOL001") + " --rsh-command=" + sq(rsh_) + " ";
  for (const char* op : {"weof 2", "rewind", "fsf 1", "fsf 2", "eom"}) {
    CommandResult r = run_command(mt + op);
    EXPECT_EQ(r.exit_code, 0) << op << ": " << describe(r);
  }
  CommandResult dump = run_vtape("dump " + sq(lib_ + "/cartridges/VOL001.tap"));
  EXPECT_NE(dump.out.find("2 filemarks"), std::string::npos) << dump.out;
  // fsf past the end is st's EIO, passed back to the client.
  CommandResult past = run_command(mt + "fsf 5");
  EXPECT_NE(past.exit_code, 0) << describe(past);
  EXPECT_NE(past.err.find("Input/output error"), std::string::npos) << describe(past);
  // The clients asked for their own rmt; the forced command served them.
  EXPECT_NE(read_text(dir_.file("asked.log")).find("/usr/sbin/rmt"), std::string::npos);
}

TEST_F(RmtTest, DumpAndRestoreOfAnExt2Image) {
  for (const char* p : {"dump", "restore", "mke2fs", "losetup"}) ASSERT_TRUE(have_program(p)) << p << " is missing";
  std::string image = dir_.file("fs.img");
  CommandResult r = run_command("mke2fs -q -F -t ext2 -d " + sq(src_) + " " + sq(image) + " 16M");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  // dump reads a file system from a block device.
  r = run_command("losetup -f --show " + sq(image));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::string loop = r.out.substr(0, r.out.find('\n'));
  struct Detach {
    std::string device;
    ~Detach() { run_command("losetup -d " + sq(device)); }
  } detach{loop};
  // dump and restore find their remote shell in $RSH and ask for /etc/rmt.
  std::string rsh = "RSH=" + sq(rsh_) + " ";
  r = run_command(rsh + "dump -0 -f localhost:VOL006 " + sq(loop));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  fs::create_directories(dir_.file("out"));
  // restore asks which volume to start with and whether to set the owner of '.'.
  r = run_command("cd " + sq(dir_.file("out")) + " && printf '1\\nn\\n' | " + rsh + "restore -x -f localhost:VOL006");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  CommandResult cmp = run_command("cmp " + sq(src_ + "/big.bin") + " " + sq(dir_.file("out/big.bin")) + " && cmp " +
                                  sq(src_ + "/sub/notes.txt") + " " + sq(dir_.file("out/sub/notes.txt")));
  EXPECT_EQ(cmp.exit_code, 0) << describe(cmp);
  CommandResult ls = run_vtape("ls --library " + sq(lib_) + " VOL006");
  EXPECT_NE(ls.out.find("dump"), std::string::npos) << ls.out;
  CommandResult v = run_vtape("verify " + sq(lib_ + "/cartridges/VOL006.tap"));
  EXPECT_EQ(v.exit_code, 0) << describe(v);
}

// The raw protocol: what `vtape rmt` answers to `input` on its stdin.
CommandResult raw_session(const TempDir& dir, const std::string& server, const std::string& input) {
  std::string in = dir.file("in.bin");
  write_text(in, input);
  return run_command(server + " < " + sq(in));
}

TEST_F(RmtTest, HostileClientGetsErrorRepliesAndTouchesNothingOutside) {
  write_text(dir_.file("secret"), "keep\n");
  std::set<std::string> before = tree(dir_.path().string());
  std::string huge = std::to_string((16u << 20) + 1);
  std::string input =
      "O../secret\n66 O_RDWR|O_CREAT\n"   // traversal
      "O/etc/passwd\n0\n"                 // an absolute path
      "O" + dir_.file("secret") + "\n2\n" // a path to a file of ours
      "OVOL1234567\n0\n"                  // too long for a serial
      "ONOSUCH\n0\n"                      // no such cartridge, no O_CREAT
      "R100\n"                            // nothing open
      "Zgarbage\n"                        // an unknown command
      "\x01\xff\xfe\n"
      "W" + huge + "\n" + std::string((16u << 20) + 1, 'I') +  // oversized: dropped, not run
      "OVOL004\n66 O_RDWR|O_CREAT\n"
      "W5\nfirst"
      "W6\nsecond"
      "I-1\n0\n"                          // RMT V1 from here: 0 is a filemark
      "I0\n1\n"
      "S"
      "sF"
      "L0\n1\n"
      "I5\n1\n"                           // V1 rewind
      "R65536\n"
      "W1000\nonly part of a record";     // then the client is gone
  CommandResult r = raw_session(dir_, server_, input);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const std::string& out = r.out;
  size_t pos = 0;
  // One reply: A is one line, E two (the errno, then the message).
  auto expect_reply = [&](const std::string& prefix) {
    ASSERT_EQ(out.compare(pos, prefix.size(), prefix), 0)
        << "expected '" << prefix << "' at " << pos << " of: " << out.substr(pos, 200);
    size_t end = out.find('\n', pos);
    if (out[pos] == 'E') end = out.find('\n', end + 1);
    pos = end + 1;
  };
  expect_reply("E13\nopen '../secret'");
  expect_reply("E13\nopen '/etc/passwd'");
  expect_reply("E13\nopen '" + dir_.file("secret") + "'");
  expect_reply("E13\nopen 'VOL1234567'");
  expect_reply("E2\nopen NOSUCH");
  expect_reply("E9\n");
  expect_reply("E22\nunknown command 'Z'");
  expect_reply("E22\nunknown command '\\x01'");
  expect_reply("E75\na record of " + huge);
  expect_reply("A0\n");   // open VOL004
  expect_reply("A5\n");
  expect_reply("A6\n");
  expect_reply("A1\n");   // I-1: version 1
  expect_reply("A1\n");   // the filemark
  ASSERT_EQ(out.compare(pos, 4, "A48\n"), 0) << out.substr(pos);
  pos += 4 + 48;          // struct mtget, x86-64
  expect_reply("A1\n");   // sF: file 1, after the filemark
  expect_reply("E29\n");  // lseek: a tape is not seekable, as st
  expect_reply("A1\n");   // rewind
  ASSERT_EQ(out.compare(pos, 8, "A5\nfirst"), 0) << out.substr(pos);
  EXPECT_EQ(pos + 8, out.size()) << "nothing answers the cut record";

  // Nothing outside the library was made or changed; the secret is as it was.
  std::set<std::string> after = tree(dir_.path().string());
  for (const auto& p : after) {
    if (p.rfind(lib_, 0) == 0 || before.count(p) != 0 || p == dir_.file("in.bin")) continue;
    ADD_FAILURE() << "made outside the library: " << p;
  }
  EXPECT_EQ(read_text(dir_.file("secret")), "keep\n");
  EXPECT_FALSE(fs::exists(lib_ + "/cartridges/NOSUCH.cartridge"));
  // VOL004 holds the two whole records and the filemark, not the cut record.
  CommandResult ls = run_vtape("ls --library " + sq(lib_) + " VOL004");
  ASSERT_EQ(ls.exit_code, 0) << describe(ls);
  EXPECT_NE(ls.out.find("   0        2     11         5        6"), std::string::npos) << ls.out;
  CommandResult v = run_vtape("verify " + sq(lib_ + "/cartridges/VOL004.tap"));
  EXPECT_EQ(v.exit_code, 0) << describe(v);
}

TEST_F(RmtTest, AllowAndReadOnlyLimitWhatOpens) {
  std::string input = "OVOL001\n0\nC\nOVOL009\n66 O_RDWR|O_CREAT\nOTST001\n66 O_RDWR|O_CREAT\n";
  CommandResult r = raw_session(dir_, server_ + " --allow 'VOL*' --allow 'X*'", input);
  EXPECT_EQ(r.out.substr(0, 6), "A0\nA0\n") << r.out;  // VOL001 opened and closed
  EXPECT_NE(r.out.find("A0\nE13\nopen 'TST001': not among the names"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(lib_ + "/cartridges/VOL009.cartridge"));
  EXPECT_FALSE(fs::exists(lib_ + "/cartridges/TST001.cartridge"));

  CommandResult ro = raw_session(dir_, server_ + " --read-only", "OVOL001\n2\nOVOL001\n0 O_RDONLY\nW1\nx");
  EXPECT_EQ(ro.out.substr(0, 4), "E30\n") << ro.out;
  EXPECT_NE(ro.out.find("A0\nE13\nVOL001 write: Permission denied"), std::string::npos) << ro.out;  // the drive's EACCES
}

TEST_F(RmtTest, LogGoesToItsOwnFileNeverThroughALink) {
  std::string log = dir_.file("rmt.log");
  CommandResult r = raw_session(dir_, server_ + " --log " + sq(log), "OVOL001\n0\nO../x\n0\n");
  EXPECT_EQ(r.out.substr(0, 7), "A0\nE13\n") << describe(r);
  EXPECT_EQ(r.err, "");  // nothing for ssh to pass to the client
  std::string text = read_text(log);
  EXPECT_NE(text.find("rmt: opened VOL001 for reading"), std::string::npos) << text;
  EXPECT_NE(text.find("rmt: open '../x'"), std::string::npos) << text;
  struct stat st {};
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A link planted where the log goes is not followed.
  write_text(dir_.file("target"), "untouched\n");
  ASSERT_EQ(::symlink(dir_.file("target").c_str(), dir_.file("link.log").c_str()), 0);
  CommandResult l = raw_session(dir_, server_ + " --log " + sq(dir_.file("link.log")), "v\n");
  EXPECT_EQ(l.exit_code, 1) << describe(l);
  EXPECT_EQ(l.out, "");
  EXPECT_EQ(read_text(dir_.file("target")), "untouched\n");
}

TEST_F(RmtTest, AnUnreadableInputGetsAFatalReply) {
  // Standard input that fails to read (a directory: EISDIR) is no end of
  // input: F tells the client the session is over.
  CommandResult r = run_command(server_ + " < " + sq(dir_.path()));
  EXPECT_EQ(r.out.rfind("F21\nvtape rmt cannot read its input", 0), 0u) << describe(r);
}

TEST(RmtServedLibrary, ACartridgeOfAServedLibraryIsRefusedWithEbusy) {
  MountedVtapefs m;
  ASSERT_TRUE(m.ok()) << m.error();
  TempDir dir;
  CommandResult r = raw_session(dir, rmt_server_command(m.library()), "OVOL001\n66 O_RDWR|O_CREAT\n");
  EXPECT_EQ(r.out.rfind("E16\nopen VOL001: ", 0), 0u) << describe(r);
  EXPECT_NE(r.out.find("served by a running vtapefs"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(m.library() + "/cartridges/VOL001.cartridge"));
}

TEST(RmtServedLibrary, TarAppendsToADriveOfTheRunningMountAndMtMovesIt) {
  MountedVtapefs m;
  ASSERT_TRUE(m.ok()) << m.error();
  TempDir dir;
  std::string via = write_rmt_shell(dir.file("rsh.sh"), m.library());
  write_text(dir.file("one.txt"), "first archive\n");
  write_text(dir.file("two.txt"), "second archive\n");
  // nst0 keeps its place between sessions (the daemon's drive): the second
  // tar follows the first's filemark.  /dev/nst0 is the same drive.
  CommandResult a = run_command("cd " + sq(dir.path()) + " && tar -cf localhost:nst0" + via + " one.txt");
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  CommandResult b = run_command("cd " + sq(dir.path()) + " && tar -cf localhost:/dev/nst0" + via + " two.txt");
  ASSERT_EQ(b.exit_code, 0) << describe(b);
  std::string mt = "mt-gnu -f localhost:nst0" + via + " ";
  ASSERT_EQ(run_command(mt + "rewind").exit_code, 0);
  ASSERT_EQ(run_command(mt + "fsf 1").exit_code, 0);
  CommandResult t = run_command("tar -tf localhost:nst0" + via);
  ASSERT_EQ(t.exit_code, 0) << describe(t);
  EXPECT_EQ(t.out, "two.txt\n");
  // Backward: from the end of the data, bsf 2 stops before the first
  // filemark (st's bsf ends on the beginning-of-tape side), fsf 1 passes it.
  for (const char* op : {"eom", "bsf 2", "fsf 1"}) {
    CommandResult r = run_command(mt + op);
    ASSERT_EQ(r.exit_code, 0) << op << ": " << describe(r);
  }
  CommandResult again = run_command("tar -tf localhost:nst0" + via);
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_EQ(again.out, "two.txt\n");
  settle_drive(m.drive(0));
  CommandResult ls = m.vtape("ls SCR001");
  EXPECT_NE(ls.out.find("\n   1 "), std::string::npos) << ls.out;  // two tape files
  // Without a mount, a drive name is no way in.
  TempDir other;
  std::string lib = other.file("lib");
  ASSERT_EQ(::mkdir(lib.c_str(), 0700), 0);
  ASSERT_EQ(run_vtape("new --library " + sq(lib) + " VOL001").exit_code, 0);
  CommandResult none = raw_session(other, rmt_server_command(lib), "Onst0\n0\n");
  EXPECT_EQ(none.out.rfind("E6\nopen nst0: no vtapefs serves the library", 0), 0u) << describe(none);
}

TEST_F(RmtTest, TarAndMtOverARealSshd) {
  ASSERT_TRUE(fs::exists("/usr/sbin/sshd")) << "openssh-server (scripts/install_deps.sh)";
  TempDir sshdir;
  Sshd sshd(sshdir, rmt_server_command(lib_));
  ASSERT_TRUE(sshd.ok()) << sshd.error();
  // A key without a forced command: tar names the server with --rmt-command.
  std::string plain = sshd.ssh_script("plain_key");
  CommandResult w = run_command("cd " + sq(dir_.path()) + " && tar -c -f 127.0.0.1:VOL005 --rsh-command=" +
                                sq(plain) + " --rmt-command=" + sq(server_) + " src");
  ASSERT_EQ(w.exit_code, 0) << describe(w);
  // The forced command: the client's plain `tar -t -f host:VOL005` (which
  // asks for /usr/sbin/rmt) lands in the library.
  std::string forced = sshd.ssh_script("forced_key");
  CommandResult t = run_command("tar -t -f 127.0.0.1:VOL005 --rsh-command=" + sq(forced));
  ASSERT_EQ(t.exit_code, 0) << describe(t);
  EXPECT_NE(t.out.find("src/sub/notes.txt"), std::string::npos) << t.out;
  fs::create_directories(dir_.file("out"));
  CommandResult x = run_command("cd " + sq(dir_.file("out")) + " && tar -x -f 127.0.0.1:VOL005 --rsh-command=" +
                                sq(forced));
  ASSERT_EQ(x.exit_code, 0) << describe(x);
  CommandResult cmp = run_command("diff -r " + sq(src_) + " " + sq(dir_.file("out/src")));
  EXPECT_EQ(cmp.exit_code, 0) << describe(cmp);
  CommandResult mt = run_command("mt-gnu -f 127.0.0.1:VOL005 --rsh-command=" + sq(forced) + " fsf 1");
  EXPECT_EQ(mt.exit_code, 0) << describe(mt);
  CommandResult ls = run_vtape("ls --library " + sq(lib_) + " VOL005");
  EXPECT_NE(ls.out.find("tar"), std::string::npos) << ls.out;
  // A forced key runs nothing else: its client's own command is ignored.
  CommandResult other = run_command(sq(forced) + " 127.0.0.1 'touch " + dir_.file("pwned") + "' </dev/null");
  EXPECT_FALSE(fs::exists(dir_.file("pwned")));
}

}  // namespace
}  // namespace vtape::testing
