// vtapefs --mirror (issue 18): what tar writes to a drive of a real mount
// reaches a remote library through a real sshd on 127.0.0.1, identical
// (the same image, the same digests in both catalogs), also when the link
// is cut while tar writes, and a rewrite after positioning starts the
// remote cartridge again; `vtape status` shows the link and the log each
// break and reconnection.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/test_support.h"
#include "tests/test_support/ssh_fixture.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string sq(const std::string& s) { return shell_quote(s); }

class MirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    remote_lib_ = std::make_unique<RemoteLibrary>();
    ASSERT_TRUE(remote_lib_->ok()) << remote_lib_->error();
    remote_ = remote_lib_->library();
    receive_ = remote_lib_->receive_command();
    ssh_ = remote_lib_->ssh();
  }

  void mount(const std::string& ssh, const std::string& extra = "") {
    vt_ = std::make_unique<MountedVtapefs>("--drives 2 --mirror 127.0.0.1:M --mirror-retry 0.5 --mirror-ssh-command " +
                                           sq(ssh) + " --mirror-receive-command " + sq(receive_) + extra);
    ASSERT_TRUE(vt_->ok()) << vt_->error();
    ASSERT_EQ(vt_->vtape("new VOL01").exit_code, 0);
    ASSERT_EQ(vt_->vtape("load 1 VOL01").exit_code, 0);
  }

  // A tree of `files` files for tar, of `size` bytes each.
  std::string tree(const std::string& name, int files, size_t size) {
    std::string t = dir_.file(name);
    fs::create_directories(t);
    for (int i = 0; i < files; ++i) {
      write_file_bytes(t + "/f" + std::to_string(i), pattern_bytes(size + static_cast<size_t>(i) * 77, 30u + i));
    }
    return t;
  }

  // The local and the remote cartridge: the same tape, of `files` tape
  // files.  `local_image`: where a migration put the local image (else the
  // library's cartridges/).
  void expect_remote_identical(const std::string& local_volser, const std::string& remote_volser, size_t files,
                               std::string local_image = "") {
    if (local_image.empty()) local_image = vt_->library() + "/cartridges/" + local_volser + ".tap";
    EXPECT_EQ(remote_lib_->expect_mirror_of(*vt_, local_volser, local_image, remote_volser), static_cast<int>(files));
  }

  // Waits until `vtape status` shows drive 1's mirror caught up.
  void wait_caught_up() {
    std::string link;
    CommandResult st;
    for (int i = 0; i < 1200 && link != "caught up"; ++i) {
      st = vt_->vtape("status --json");
      link = json_query(st.out, "d['drives'][1]['mirror']['link']");
      if (link != "caught up") pause_ms(50);
    }
    ASSERT_EQ(link, "caught up") << st.out << vt_->log();
  }

  TempDir dir_;
  std::unique_ptr<RemoteLibrary> remote_lib_;
  std::unique_ptr<MountedVtapefs> vt_;
  std::string remote_, receive_, ssh_;
};

TEST_F(MirrorTest, WhatTarWritesArrivesIdenticalAndStatusShowsTheLink) {
  mount(ssh_);
  std::string t = tree("tree", 5, 900000);
  ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " .").exit_code, 0);
  ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " f1 f2").exit_code, 0);
  // The link in `vtape status`, caught up once the remote acknowledged all.
  std::string link;
  CommandResult st;
  for (int i = 0; i < 1200 && link != "caught up"; ++i) {
    st = vt_->vtape("status --json");
    ASSERT_EQ(st.exit_code, 0) << describe(st);
    link = json_query(st.out, "d['drives'][1]['mirror']['link']");
    if (link != "caught up") pause_ms(50);
  }
  EXPECT_EQ(link, "caught up") << st.out << vt_->log();
  EXPECT_EQ(json_query(st.out, "d['drives'][1]['mirror']['remote']"), "MVOL01");
  EXPECT_EQ(json_query(st.out, "d['drives'][1]['mirror']['objects_behind']"), "0");
  EXPECT_EQ(json_query(st.out, "d['drives'][1]['mirror']['bytes_behind']"), "0");
  EXPECT_EQ(json_query(st.out, "len(d['drives'][1]['mirror']['last_ack'])"), "20") << st.out;
  CommandResult text = vt_->vtape("status 1");
  EXPECT_NE(text.out.find("mirror: caught up to MVOL01"), std::string::npos) << text.out;
  // The unload ends the remote stream (both sides' digests compared).
  ASSERT_EQ(vt_->vtape("unload 1").exit_code, 0);
  EXPECT_NE(vt_->log().find("mirror: MVOL01 holds what VOL01 holds"), std::string::npos) << vt_->log();
  expect_remote_identical("VOL01", "MVOL01", 2);
  // A cartridge whose remote name is no volume serial is not mirrored, and
  // status says why.
  ASSERT_EQ(vt_->vtape("new VOL001").exit_code, 0);
  ASSERT_EQ(vt_->vtape("load 1 VOL001").exit_code, 0);
  ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " f1").exit_code, 0);
  std::string why;
  for (int i = 0; i < 1200 && why != "not mirrored"; ++i) {
    st = vt_->vtape("status --json");
    why = json_query(st.out, "d['drives'][1]['mirror']['link']");
    if (why != "not mirrored") pause_ms(50);
  }
  EXPECT_EQ(why, "not mirrored") << st.out;
  EXPECT_NE(json_query(st.out, "d['drives'][1]['mirror']['reason']").find("'M' + 'VOL001' is no volume serial"),
            std::string::npos) << st.out;
  EXPECT_NE(vt_->log().find("mirror: not mirrored: 'M' + 'VOL001'"), std::string::npos) << vt_->log();
  EXPECT_FALSE(fs::exists(remote_ + "/cartridges/MVOL001.tap"));
}

// Passes the first argv[1] bytes of standard input on as they come, then
// ends (the link breaks).
constexpr const char* kPassBytes =
    "import os,sys\n"
    "n=int(sys.argv[1])\n"
    "while n>0:\n"
    "  d=os.read(0,min(n,65536))\n"
    "  if not d: break\n"
    "  os.write(1,d); n-=len(d)\n";

TEST_F(MirrorTest, ALinkCutWhileTarWritesReconnectsAndCatchesUp) {
  std::string count = dir_.file("connections");
  std::string cut = dir_.file("cut-ssh.sh");
  write_script(cut, "n=$(cat " + sq(count) + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + sq(count) +
                        "\n"
                        "case $n in 1) b=2500000;; 2) b=777777;; *) b=0;; esac\n"
                        "if [ $b = 0 ]; then exec " + sq(ssh_) + " \"$@\"; fi\n"
                        "python3 -c " + sq(kPassBytes) + " $b | " + sq(ssh_) + " \"$@\"\n");
  mount(cut);
  std::string t = tree("tree", 8, 1000000);
  ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " .").exit_code, 0);
  ASSERT_EQ(vt_->vtape("unload 1").exit_code, 0);
  EXPECT_GE(std::stoi(read_text(count)), 3);
  std::string log = vt_->log();
  EXPECT_NE(log.find("mirror: the link to MVOL01 broke"), std::string::npos) << log;
  EXPECT_NE(log.find("mirror: reconnected to MVOL01"), std::string::npos) << log;
  EXPECT_NE(log.find("mirror: MVOL01 holds what VOL01 holds"), std::string::npos) << log;
  // Every record once: the same image.
  expect_remote_identical("VOL01", "MVOL01", 1);
}

TEST_F(MirrorTest, ARewriteAfterPositioningStartsTheRemoteCartridgeAgain) {
  mount(ssh_);
  std::string t = tree("tree", 3, 300000);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " f" + std::to_string(i)).exit_code, 0);
  }
  ASSERT_EQ(run_command("mt -f " + sq(vt_->drive(1)) + " rewind").exit_code, 0);
  ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " f2").exit_code, 0);
  ASSERT_EQ(vt_->vtape("unload 1").exit_code, 0);
  EXPECT_NE(vt_->log().find("starts again from BOT"), std::string::npos) << vt_->log();
  expect_remote_identical("VOL01", "MVOL01", 1);
}

// vtape migrate moves the local image while the drive is mirrored: a
// rewrite afterwards starts the remote cartridge again from BOT, read from
// the image where it now is (the old one is gone), and the remote holds the
// same tape.
TEST_F(MirrorTest, AfterAMigrationTheMirrorReadsTheImageWhereItNowIs) {
  mount(ssh_);
  std::string t = tree("tree", 3, 300000);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " f" + std::to_string(i)).exit_code, 0);
  }
  std::string moved = dir_.file("moved");
  CommandResult m = vt_->vtape("migrate VOL01 --json --to " + sq(moved));
  ASSERT_EQ(m.exit_code, 0) << describe(m);
  ASSERT_EQ(json_query(m.out, "d['result']"), "done") << m.out;
  ASSERT_FALSE(fs::exists(vt_->library() + "/cartridges/VOL01.tap"));
  // Over the second tape file: the remote starts again from the image.
  ASSERT_EQ(run_command("mt -f " + sq(vt_->drive(1)) + " rewind").exit_code, 0);
  ASSERT_EQ(run_command("mt -f " + sq(vt_->drive(1)) + " fsf 1").exit_code, 0);
  ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " f0").exit_code, 0);
  ASSERT_EQ(vt_->vtape("unload 1").exit_code, 0);
  std::string log = vt_->log();
  EXPECT_NE(log.find("starts again from BOT"), std::string::npos) << log;
  EXPECT_NE(log.find("mirror: MVOL01 holds what VOL01 holds"), std::string::npos) << log;
  EXPECT_EQ(log.find("the stream to MVOL01 failed"), std::string::npos) << log;
  expect_remote_identical("VOL01", "MVOL01", 2, moved + "/VOL01.tap");
}

// The queue (made 256 KiB here) overflows while tar writes 6 MB as one
// tape file, no filemark among them, and the link is slow to come up: the
// records after the overflow are not queued, the mirror reads them from
// the image once the drive wrote them out, and the remote ends identical.
TEST_F(MirrorTest, AQueueThatOverflowsInALongWriteIsCaughtUpFromTheImage) {
  std::string slow = dir_.file("slow-ssh.sh");
  write_script(slow, "sleep 3\nexec " + sq(ssh_) + " \"$@\"\n");
  mount(slow, " --mirror-queue-bytes 262144");
  std::string t = tree("tree", 6, 1000000);
  ASSERT_EQ(run_command("tar -b 20 -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " .").exit_code, 0);
  ASSERT_EQ(vt_->vtape("unload 1").exit_code, 0);
  std::string log = vt_->log();
  EXPECT_NE(log.find("mirror: the queue of 262144 bytes is full at record "), std::string::npos) << log;
  EXPECT_NE(log.find("mirror: MVOL01 holds what VOL01 holds"), std::string::npos) << log;
  EXPECT_EQ(log.find("the stream to MVOL01 failed"), std::string::npos) << log;
  expect_remote_identical("VOL01", "MVOL01", 1);
}

// mt erase after the first of three tape files the remote holds already:
// the local tape ends there, so the remote cartridge starts again from BOT
// and ends identical (one tape file, not three).
TEST_F(MirrorTest, AnEraseCutsTheRemoteCartridgeToo) {
  mount(ssh_);
  std::string t = tree("tree", 3, 300000);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " f" + std::to_string(i)).exit_code, 0);
  }
  wait_caught_up();
  ASSERT_EQ(run_command("mt -f " + sq(vt_->drive(1)) + " rewind").exit_code, 0);
  ASSERT_EQ(run_command("mt -f " + sq(vt_->drive(1)) + " fsf 1").exit_code, 0);
  CommandResult e = run_command("mt -f " + sq(vt_->drive(1)) + " erase");
  ASSERT_EQ(e.exit_code, 0) << describe(e);
  ASSERT_EQ(vt_->vtape("unload 1").exit_code, 0);
  std::string log = vt_->log();
  EXPECT_NE(log.find("mirror: MVOL01 holds what VOL01 holds"), std::string::npos) << log;
  expect_remote_identical("VOL01", "MVOL01", 1);
}

// An ssh that fails while the file `down` exists: the link is down.
std::string gated_ssh(const TempDir& dir, const std::string& ssh, const std::string& down) {
  std::string gate = dir.file("gated-ssh.sh");
  write_script(gate, "if [ -e " + shell_quote(down) + " ]; then echo link down >&2; exit 255; fi\nexec " +
                         shell_quote(ssh) + " \"$@\"\n");
  return gate;
}

// While `vtape unload` waits for a mirror whose link is down, `vtape
// status` of that drive answers at once (the wait holds no lock of the
// drive); once the link is back the unload ends with the remote identical.
TEST_F(MirrorTest, StatusAnswersWhileAnUnloadWaitsForTheMirror) {
  std::string down = dir_.file("down");
  write_file_bytes(down, {});
  mount(gated_ssh(dir_, ssh_, down));
  std::string t = tree("tree", 2, 300000);
  ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " .").exit_code, 0);
  CommandResult unload;
  auto started = std::chrono::steady_clock::now();
  std::thread unloader([&] { unload = vt_->vtape("unload 1"); });
  pause_ms(1000);
  auto asked = std::chrono::steady_clock::now();
  CommandResult st = vt_->vtape("status --json 1");
  double took = seconds_since(asked);
  double unload_took_so_far = seconds_since(started);
  ::unlink(down.c_str());
  unloader.join();
  EXPECT_EQ(st.exit_code, 0) << describe(st);
  EXPECT_LT(took, 3.0) << "status waited for the unload";
  EXPECT_LT(unload_took_so_far, 10.0);
  EXPECT_EQ(json_query(st.out, "d['drives'][0]['mirror']['remote']"), "MVOL01") << st.out;
  ASSERT_EQ(unload.exit_code, 0) << describe(unload);
  std::string log = vt_->log();
  EXPECT_NE(log.find("mirror: MVOL01 holds what VOL01 holds"), std::string::npos) << log;
  EXPECT_EQ(log.find("unloaded before the remote copy caught up"), std::string::npos) << log;
  expect_remote_identical("VOL01", "MVOL01", 1);
}

// --mirror-unload-wait 0: the unload does not wait for a link that is
// down; the log says so, and the mirror catches up from the image once the
// link is back.
TEST_F(MirrorTest, AnUnloadWaitOfZeroDoesNotWaitAndTheRestFollowsFromTheImage) {
  std::string down = dir_.file("down");
  write_file_bytes(down, {});
  mount(gated_ssh(dir_, ssh_, down), " --mirror-unload-wait 0");
  std::string t = tree("tree", 2, 300000);
  ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " .").exit_code, 0);
  auto asked = std::chrono::steady_clock::now();
  CommandResult unload = vt_->vtape("unload 1");
  EXPECT_LT(seconds_since(asked), 3.0);
  ASSERT_EQ(unload.exit_code, 0) << describe(unload);
  EXPECT_NE(vt_->log().find("mirror: unloaded before the remote copy caught up"), std::string::npos) << vt_->log();
  ::unlink(down.c_str());
  std::string log;
  for (int i = 0; i < 1200 && log.find("mirror: MVOL01 holds what VOL01 holds") == std::string::npos; ++i) {
    pause_ms(50);
    log = vt_->log();
  }
  EXPECT_NE(log.find("mirror: MVOL01 holds what VOL01 holds"), std::string::npos) << log;
  expect_remote_identical("VOL01", "MVOL01", 1);
}

// Passes standard input on and, at its end, appends how many bytes it
// passed to the file argv[1].
constexpr const char* kCountBytes =
    "import os,sys\n"
    "n=0\n"
    "while True:\n"
    "  d=os.read(0,65536)\n"
    "  if not d: break\n"
    "  os.write(1,d); n+=len(d)\n"
    "open(sys.argv[1],'a').write('%d\\n' % n)\n";

// A cartridge mirrored, unloaded, loaded again and appended to: the remote
// cartridge holds the first tape file already, so only the second goes
// over the link (the log says so, and the bytes sent are about one tape
// file's), and the remote ends identical.
TEST_F(MirrorTest, AnAppendAfterALoadSendsOnlyWhatFollowsWhatTheRemoteHolds) {
  std::string sent = dir_.file("sent");
  std::string counting = dir_.file("counting-ssh.sh");
  write_script(counting, "python3 -c " + sq(kCountBytes) + " " + sq(sent) + " | " + sq(ssh_) + " \"$@\"\n");
  mount(counting);
  std::string t = tree("tree", 2, 400000);
  ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " f0").exit_code, 0);
  ASSERT_EQ(vt_->vtape("unload 1").exit_code, 0);
  // The first stream ended (a slow machine may need more than the unload's wait).
  for (int i = 0; i < 1200 && vt_->log().find("mirror: MVOL01 holds what VOL01 holds") == std::string::npos; ++i) {
    pause_ms(50);
  }
  ASSERT_NE(vt_->log().find("mirror: MVOL01 holds what VOL01 holds"), std::string::npos) << vt_->log();
  ASSERT_EQ(vt_->vtape("load 1 VOL01").exit_code, 0);
  ASSERT_EQ(run_command("mt -f " + sq(vt_->drive(1)) + " eod").exit_code, 0);
  ASSERT_EQ(run_command("tar -cf " + sq(vt_->drive(1)) + " -C " + sq(t) + " f1").exit_code, 0);
  ASSERT_EQ(vt_->vtape("unload 1").exit_code, 0);
  auto second_ended = [&] {
    std::string l = vt_->log();
    size_t first = l.find("holds the first ");
    return first != std::string::npos && l.find("mirror: MVOL01 holds what VOL01 holds", first) != std::string::npos;
  };
  for (int i = 0; i < 1200 && !second_ended(); ++i) pause_ms(50);
  std::string log = vt_->log();
  EXPECT_NE(log.find("mirror: MVOL01 holds the first "), std::string::npos) << log;
  EXPECT_NE(log.find("of VOL01 (1 tape files) already: sending what follows"), std::string::npos) << log;
  EXPECT_NE(log.find("mirror: MVOL01 holds what VOL01 holds", log.find("holds the first ")), std::string::npos) << log;
  expect_remote_identical("VOL01", "MVOL01", 2);
  // Each connection's bytes: the first stream carried f0, the second f1 only.
  std::string counts = read_text(sent);
  std::vector<uint64_t> n;
  for (size_t at = 0; at < counts.size();) {
    size_t nl = counts.find('\n', at);
    n.push_back(std::stoull(counts.substr(at, nl - at)));
    at = nl + 1;
  }
  ASSERT_EQ(n.size(), 2u) << counts;
  EXPECT_GT(n[0], 400000u);
  EXPECT_GT(n[1], 400000u);
  EXPECT_LT(n[1], 600000u) << "the first tape file was sent again";
}

}  // namespace
}  // namespace vtape::testing
