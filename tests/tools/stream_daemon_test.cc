// vtape send into a library that a running vtapefs serves, over a real sshd:
// the receiver goes through the daemon's drives (a feed, library/
// feed_client.h), so several sends land at once, each in its own drive, and
// `vtape receive --to-drive nstN` feeds a drive that a program on the
// receiving host reads while the stream still arrives.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_support.h"
#include "tests/test_support/ssh_fixture.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string sq(const std::string& s) { return shell_quote(s); }

class StreamThroughDaemon : public ::testing::Test {
 protected:
  void start(const std::string& vtapefs_args) {
    ASSERT_TRUE(fs::exists("/usr/sbin/sshd")) << "openssh-server (scripts/install_deps.sh)";
    vt_ = std::make_unique<MountedVtapefs>(vtapefs_args);
    ASSERT_TRUE(vt_->ok()) << vt_->error();
    sshd_ = std::make_unique<Sshd>(sshdir_, std::string(VTAPE_BINARY) + " receive --library " + vt_->library());
    ASSERT_TRUE(sshd_->ok()) << sshd_->error();
    ssh_ = sshd_->ssh_script("plain_key");
  }
  // vtape send with the plain key; `receive` is the remote command's options.
  std::string send(const std::string& source, const std::string& volser, const std::string& receive_options = "",
                   const std::string& extra = "") const {
    return sq(VTAPE_BINARY) + " send " + source + " 127.0.0.1:" + volser + " --ssh-command " + sq(ssh_) +
           " --receive-command " + sq(std::string(VTAPE_BINARY) + " receive --library " + vt_->library() + " " +
                                      receive_options) +
           " " + extra;
  }
  std::string image(const std::string& volser) const { return vt_->library() + "/cartridges/" + volser + ".tap"; }

  TempDir dir_;
  TempDir sshdir_;
  std::unique_ptr<MountedVtapefs> vt_;
  std::unique_ptr<Sshd> sshd_;
  std::string ssh_;
};

// Four sends at once into a served library: each gets a drive of the
// daemon, each cartridge holds its input (records of 10240 bytes and the
// filemark of the end), each is cataloged, and the drives are free after.
TEST_F(StreamThroughDaemon, FourSendsAtOnceEachIntoItsOwnDrive) {
  start("--drives 5");
  std::vector<std::unique_ptr<Background>> sends;
  for (int i = 1; i <= 4; ++i) {
    std::string input = dir_.file("in" + std::to_string(i));
    write_file_bytes(input, pattern_bytes((3u << 20) + static_cast<size_t>(i) * 1000, static_cast<uint32_t>(i)));
    sends.push_back(std::make_unique<Background>(send("- <" + sq(input), "MIG00" + std::to_string(i), "", "--json")));
  }
  for (int i = 1; i <= 4; ++i) {
    const CommandResult& r = sends[static_cast<size_t>(i - 1)]->join();
    ASSERT_EQ(r.exit_code, 0) << describe(r) << vt_->log();
    EXPECT_NE(r.out.find("\"identical\":true"), std::string::npos) << r.out;
  }
  for (int i = 1; i <= 4; ++i) {
    std::string v = "MIG00" + std::to_string(i);
    // The tape read back through the mount: the input, then a filemark.
    ASSERT_EQ(vt_->vtape("load 1 " + v).exit_code, 0);
    CommandResult back =
        run_command("dd if=" + sq(vt_->drive(1)) + " bs=64k status=none | cmp - " + sq(dir_.file("in" + std::to_string(i))));
    EXPECT_EQ(back.exit_code, 0) << v << ": " << describe(back);
    ASSERT_EQ(vt_->vtape("unload 1").exit_code, 0);
    CommandResult ls = vt_->vtape("ls " + v + " --json");
    ASSERT_EQ(ls.exit_code, 0) << describe(ls);
    EXPECT_EQ(json_query(ls.out, "[(f['records'], f['bytes']) for f in d['files']]"),
              "[(" + std::to_string(((3u << 20) + i * 1000 + 10239) / 10240) + ", " +
                  std::to_string((3u << 20) + i * 1000) + ")]")
        << ls.out;
    // The receive state says the stream ended (a resume gets its summary).
    EXPECT_NE(read_text(vt_->library() + "/receive-" + v + ".state").find(" complete "), std::string::npos);
  }
  CommandResult st = vt_->vtape("status --json");
  ASSERT_EQ(st.exit_code, 0) << describe(st);
  EXPECT_EQ(json_query(st.out, "[x.get('volser') for x in d['drives']]"), "['SCR001', None, None, None, None]")
      << st.out;
}

// Passes standard input on: the first argv[1] bytes, then, once the file
// argv[2] exists, the rest, so the test knows the stream is mid-way.
constexpr const char* kHoldAfter =
    "import os,sys,time\n"
    "n=int(sys.argv[1])\n"
    "while n>0:\n"
    "  d=os.read(0,min(n,65536))\n"
    "  if not d: break\n"
    "  os.write(1,d); n-=len(d)\n"
    "while not os.path.exists(sys.argv[2]): time.sleep(0.05)\n"
    "while True:\n"
    "  d=os.read(0,65536)\n"
    "  if not d: break\n"
    "  os.write(1,d)\n";

// A t-dump on one host into a t-load on the other: tar on the receiving
// host lists the drive while vtape send is still sending, waits where the
// stream pauses, and ends at the sender's end (the filemark).
TEST_F(StreamThroughDaemon, ToDriveAReaderGetsEveryRecordWhileTheSenderSends) {
  start("--drives 2");
  ASSERT_EQ(vt_->vtape("new MIG010").exit_code, 0);
  ASSERT_EQ(vt_->vtape("load 1 MIG010").exit_code, 0);
  std::string tree = dir_.file("tree");
  fs::create_directories(tree);
  for (int i = 0; i < 6; ++i) {
    write_file_bytes(tree + "/file" + std::to_string(i), pattern_bytes(200000 + static_cast<size_t>(i) * 3333, 20u + i));
  }
  std::string archive = dir_.file("tree.tar");
  ASSERT_EQ(run_command("tar -cf " + sq(archive) + " -C " + sq(tree) + " .").exit_code, 0);
  std::string go = dir_.file("go");
  Background sender("python3 -c " + sq(kHoldAfter) + " 30720 " + sq(go) + " < " + sq(archive) + " | " +
                    send("-", "MIG010", "--to-drive nst1"));
  // However the test ends, the sender gets the rest before it is joined.
  struct LetGo {
    std::string path;
    ~LetGo() { write_text(path, ""); }
  } let_go{go};
  // The first three records reach the tape (the receiver syncs when its
  // input pauses).
  bool arrived = false;
  for (int i = 0; i < 1200 && !arrived; ++i) {
    std::error_code ec;
    arrived = fs::file_size(image("MIG010"), ec) >= 30720;
    if (!arrived) pause_ms(50);
  }
  ASSERT_TRUE(arrived) << vt_->log();
  Background reader("tar -tvf " + sq(vt_->drive(1)));
  pause_ms(500);
  EXPECT_FALSE(reader.done()) << "tar should wait for the rest of the stream: " << describe(reader.join());
  EXPECT_FALSE(sender.done());
  write_text(go, "");
  const CommandResult& s = sender.join();
  EXPECT_EQ(s.exit_code, 0) << describe(s) << vt_->log();
  const CommandResult& t = reader.join();
  ASSERT_EQ(t.exit_code, 0) << describe(t);
  CommandResult expected = run_command("tar -tvf " + sq(archive));
  EXPECT_EQ(t.out, expected.out);

  // A drive that holds another cartridge than the one named is refused.
  std::string small = dir_.file("small");
  write_file_bytes(small, pattern_bytes(5000, 3));
  CommandResult wrong = run_command(send("- <" + sq(small), "MIG011", "--to-drive nst1"));
  EXPECT_NE(wrong.exit_code, 0) << describe(wrong);
  EXPECT_NE(wrong.err.find("drive 1 holds MIG010, not MIG011"), std::string::npos) << describe(wrong);
}

}  // namespace
}  // namespace vtape::testing
