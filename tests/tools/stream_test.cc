// vtape send and vtape receive (issue 18) through a real sshd on 127.0.0.1:
// standard input and images arrive identical, a link cut at five points
// resumes with nothing lost and nothing twice, a forced command restricts
// a key to its volume serials, and hostile bytes on vtape receive's
// standard input are refused with the cartridge consistent up to the last
// acknowledgement.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "library/stream_protocol.h"
#include "tests/test_support.h"
#include "tests/tools/simh_content.h"
#include "tests/test_support/ssh_fixture.h"

namespace vtape::testing {
namespace {

namespace fs = std::filesystem;

std::string sq(const std::string& s) { return shell_quote(s); }

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    remote_lib_ = std::make_unique<RemoteLibrary>(" --allow 'MIG*'");
    ASSERT_TRUE(remote_lib_->ok()) << remote_lib_->error();
    remote_ = remote_lib_->library();
    receive_ = remote_lib_->receive_command();
    ssh_ = remote_lib_->ssh();
  }

  // vtape send with the plain key, naming the receiver as a test must.
  CommandResult send(const std::string& source, const std::string& volser, const std::string& extra = "",
                     const std::string& ssh = "") {
    return run_command(sq(VTAPE_BINARY) + " send " + source + " 127.0.0.1:" + volser + " --ssh-command " +
                       sq(ssh.empty() ? ssh_ : ssh) + " --receive-command " + sq(receive_) + " " + extra);
  }
  std::string image(const std::string& volser) const { return remote_ + "/cartridges/" + volser + ".tap"; }

  TempDir dir_;
  std::unique_ptr<RemoteLibrary> remote_lib_;
  std::string remote_, receive_, ssh_;
};

TEST_F(StreamTest, SixtyFourMiBFromStandardInputArriveIdenticalAndCataloged) {
  std::string input = dir_.file("input.bin");
  write_file_bytes(input, pattern_bytes((64u << 20) + 1234, 7));
  CommandResult r = send("- <" + sq(input), "MIG001", "--json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("\"identical\":true"), std::string::npos) << r.out;
  SimhContent c = read_simh(image("MIG001"), dir_.file("got.bin"));
  // Records of --block-size, the last one shorter, and the filemark of
  // the close after them.
  ASSERT_EQ(c.record_sizes.size(), (64u << 20) / 10240 + 1);
  EXPECT_EQ(c.record_sizes.front(), 10240u);
  EXPECT_EQ(c.record_sizes.back(), ((64u << 20) + 1234) % 10240);
  EXPECT_EQ(c.filemarks, 1u);
  EXPECT_EQ(run_command("cmp " + sq(input) + " " + sq(c.data_file)).exit_code, 0);
  CommandResult ls = run_vtape("ls --library " + sq(remote_) + " MIG001");
  ASSERT_EQ(ls.exit_code, 0) << describe(ls);
  EXPECT_NE(ls.out.find(std::to_string(c.record_sizes.size())), std::string::npos) << ls.out;
  // The receive state says the stream ended (a resume gets its summary).
  EXPECT_NE(read_text(remote_ + "/receive-MIG001.state").find(" complete "), std::string::npos);
}

// The identity proof: 1 GiB from standard input; the stream
// restored from the remote library has the input's SHA-256.
TEST_F(StreamTest, OneGiBFromStandardInputRestoresToTheInputsDigest) {
  // 1 GiB that is the same on every run, made twice (AES-128-CTR of zeros).
  std::string input = "openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f "
                      "-iv 00000000000000000000000000000000 </dev/zero 2>/dev/null | head -c 1073741824";
  CommandResult want = run_command(input + " | sha256sum");
  ASSERT_EQ(want.exit_code, 0) << describe(want);
  CommandResult r = run_command(input + " | " + sq(VTAPE_BINARY) + " send - 127.0.0.1:MIG100 --json --ssh-command " +
                                sq(ssh_) + " --receive-command " + sq(receive_));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("\"identical\":true"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"bytes\":1073741824"), std::string::npos) << r.out;
  CommandResult back = run_command(sq(VTAPE_BINARY) + " restore --library " + sq(remote_) +
                                   " MIG100/0 --to-stdout | sha256sum");
  ASSERT_EQ(back.exit_code, 0) << describe(back);
  ASSERT_GE(want.out.size(), 64u);
  EXPECT_EQ(back.out.substr(0, 64), want.out.substr(0, 64));
}

TEST_F(StreamTest, AnImageAndATapeFileOfALocalCartridgeArriveWithTheirFilemarks) {
  // Three tape files of different record sizes.
  std::string src = dir_.file("src.tap");
  write_file_bytes(dir_.file("a"), pattern_bytes(300000, 1));
  write_file_bytes(dir_.file("b"), pattern_bytes(70001, 2));
  write_file_bytes(dir_.file("c"), pattern_bytes(5, 3));
  ASSERT_EQ(run_vtape("write " + sq(src) + " " + sq(dir_.file("a")) + " --record-size 4096").exit_code, 0);
  ASSERT_EQ(run_vtape("write " + sq(src) + " " + sq(dir_.file("b")) + " --append --record-size 512").exit_code, 0);
  ASSERT_EQ(run_vtape("write " + sq(src) + " " + sq(dir_.file("c")) + " --append").exit_code, 0);
  CommandResult r = send(sq(src), "MIG002");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("received: 212 records, 3 filemarks"), std::string::npos) << r.out;
  // The same records and filemarks in the same format: the same image.
  EXPECT_EQ(run_command("cmp " + sq(src) + " " + sq(image("MIG002"))).exit_code, 0);
  // A tape file of a cartridge of the local library: its records and its filemark.
  std::string local = dir_.file("local");
  ASSERT_EQ(::mkdir(local.c_str(), 0700), 0);
  ASSERT_EQ(run_vtape("new --library " + sq(local) + " VOL001").exit_code, 0);
  fs::copy_file(src, local + "/cartridges/VOL001.tap", fs::copy_options::overwrite_existing);
  // The whole cartridge: both catalogs say the same of every tape file.
  r = send("VOL001", "MIG006", "--library " + sq(local));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_EQ(run_vtape("index rebuild --library " + sq(local)).exit_code, 0);
  std::string files =
      "import json,subprocess,sys\n"
      "def f(lib,v):\n"
      "  j=json.loads(subprocess.check_output([sys.argv[1],'ls','--json','--library',lib,v]))['files']\n"
      "  for x in j: x.pop('written_at')\n"
      "  return j\n"
      "a=f(sys.argv[2],'VOL001'); b=f(sys.argv[3],'MIG006')\n"
      "print(len(a)); sys.exit(0 if a==b else 1)\n";
  CommandResult same = run_command("python3 -c " + sq(files) + " " + sq(VTAPE_BINARY) + " " + sq(local) + " " +
                                   sq(remote_));
  EXPECT_EQ(same.exit_code, 0) << describe(same);
  EXPECT_EQ(same.out, "3\n") << describe(same);

  r = send("VOL001/1", "MIG003", "--library " + sq(local));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  SimhContent c = read_simh(image("MIG003"), dir_.file("b.out"));
  EXPECT_EQ(c.filemarks, 1u);
  EXPECT_EQ(c.record_sizes.size(), 137u);
  EXPECT_EQ(run_command("cmp " + sq(dir_.file("b")) + " " + sq(c.data_file)).exit_code, 0);
}

// Passes the first argv[1] bytes of standard input on as they come (head
// -c would hold them back until its buffer fills), then ends.
constexpr const char* kPassBytes =
    "import os,sys\n"
    "n=int(sys.argv[1])\n"
    "while n>0:\n"
    "  d=os.read(0,min(n,65536))\n"
    "  if not d: break\n"
    "  os.write(1,d); n-=len(d)\n";

TEST_F(StreamTest, ALinkCutAtFivePointsResumesWithNothingLostAndNothingTwice) {
  std::string input = dir_.file("input.bin");
  write_file_bytes(input, pattern_bytes(24u << 20, 11));
  // The first five connections carry only so many bytes of the stream
  // (mid-record, at odd places); the sixth all of it.
  std::string count = dir_.file("connections");
  std::string cut = dir_.file("cut-ssh.sh");
  write_script(cut, "n=$(cat " + sq(count) + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + sq(count) +
                        "\n"
                        "case $n in 1) b=3000000;; 2) b=7777777;; 3) b=1234567;; 4) b=99;; 5) b=5555555;; *) b=0;; esac\n"
                        "if [ $b = 0 ]; then exec " + sq(ssh_) + " \"$@\"; fi\n"
                        "python3 -c " + sq(kPassBytes) + " $b | " + sq(ssh_) + " \"$@\"\n");
  CommandResult r = send("- <" + sq(input), "MIG004", "--retries 20 --retry-delay 0.3 --window 8", cut);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_GE(std::stoi(read_text(count)), 6);
  EXPECT_NE(r.err.find("reconnecting"), std::string::npos) << r.err;
  SimhContent c = read_simh(image("MIG004"), dir_.file("got.bin"));
  // Every record once, in order: the bytes are the input's, and every
  // record but the last is whole.
  EXPECT_EQ(c.record_sizes.size(), (24u << 20) / 10240 + ((24u << 20) % 10240 ? 1 : 0));
  for (size_t i = 0; i + 1 < c.record_sizes.size(); ++i) ASSERT_EQ(c.record_sizes[i], 10240u) << i;
  EXPECT_EQ(c.filemarks, 1u);
  EXPECT_EQ(run_command("cmp " + sq(input) + " " + sq(c.data_file)).exit_code, 0);
  EXPECT_NE(read_text(remote_ + "/receive-MIG004.state").find(" complete "), std::string::npos);
}

// Passes the receiver's replies on frame by frame, and ends (the link
// breaks) at the first SUMMARY instead of passing it on.
constexpr const char* kDropSummary =
    "import os,struct,sys\n"
    "def get(n):\n"
    "  b=b''\n"
    "  while len(b)<n:\n"
    "    d=os.read(0,n-len(b))\n"
    "    if not d: sys.exit(0)\n"
    "    b+=d\n"
    "  return b\n"
    "while True:\n"
    "  h=get(5); p=get(struct.unpack('>I',h[1:])[0])\n"
    "  if h[0:1]==b'S': sys.exit(0)\n"
    "  os.write(1,h+p)\n";

TEST_F(StreamTest, ALinkBrokenBetweenEndAndSummaryResumesForTheSummary) {
  std::string input = dir_.file("input.bin");
  write_file_bytes(input, pattern_bytes(3u << 20, 13));
  // The first connection loses the SUMMARY; the second is plain.
  std::string count = dir_.file("connections");
  std::string cut = dir_.file("cut-ssh.sh");
  write_script(cut, "n=$(cat " + sq(count) + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + sq(count) +
                        "\n"
                        "if [ $n -gt 1 ]; then exec " + sq(ssh_) + " \"$@\"; fi\n" + sq(ssh_) +
                        " \"$@\" | python3 -c " + sq(kDropSummary) + "\n");
  CommandResult r = send("- <" + sq(input), "MIG007", "--json --retry-delay 0.3", cut);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_text(count), "2\n");
  EXPECT_NE(r.out.find("\"identical\":true"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"reconnections\":1"), std::string::npos) << r.out;
  // Once on the tape, closed by one filemark.
  SimhContent c = read_simh(image("MIG007"), dir_.file("got.bin"));
  EXPECT_EQ(c.filemarks, 1u);
  EXPECT_EQ(run_command("cmp " + sq(input) + " " + sq(c.data_file)).exit_code, 0);
  // A new stream may write the cartridge (--overwrite as ever).
  CommandResult again = send("- <" + sq(input), "MIG007", "--overwrite append");
  EXPECT_EQ(again.exit_code, 0) << describe(again);
}

TEST_F(StreamTest, ALibraryOfSha256DigestsComparesWithSha256) {
  write_file_bytes(remote_ + "/settings", std::vector<uint8_t>{'d', 'i', 'g', 'e', 's', 't', ' ', 's', 'h', 'a',
                                                               '2', '5', '6', '\n'});
  std::string src = dir_.file("src.tap");
  write_file_bytes(dir_.file("a"), pattern_bytes(300000, 1));
  write_file_bytes(dir_.file("b"), pattern_bytes(70001, 2));
  ASSERT_EQ(run_vtape("write " + sq(src) + " " + sq(dir_.file("a")) + " --record-size 4096").exit_code, 0);
  ASSERT_EQ(run_vtape("write " + sq(src) + " " + sq(dir_.file("b")) + " --append --record-size 512").exit_code, 0);
  CommandResult r = send(sq(src), "MIG008", "--json");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("\"identical\":true"), std::string::npos) << r.out;
  // Both tape files' digests are SHA-256 (64 hex digits), the one of the
  // first file's bytes.
  CommandResult sum = run_command("sha256sum " + sq(dir_.file("a")));
  ASSERT_EQ(sum.exit_code, 0);
  EXPECT_NE(r.out.find("\"sent\":{\"records\":211"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(sum.out.substr(0, 64)), std::string::npos) << r.out;
}

TEST_F(StreamTest, TheReceiverIsQuietOnTheSendersTerminalUnlessDebugging) {
  std::string input = dir_.file("small");
  write_file_bytes(input, pattern_bytes(100000, 5));
  CommandResult r = send("- <" + sq(input), "MIG009");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err.find("vtape receive:"), std::string::npos) << r.err;
  // An error still says so.
  CommandResult no = send("- <" + sq(input), "MIG009");
  EXPECT_NE(no.exit_code, 0);
  EXPECT_NE(no.err.find("MIG009 holds 11 records and filemarks already"), std::string::npos) << no.err;
  // --debug brief shows the conversation.
  CommandResult d = run_command(sq(VTAPE_BINARY) + " send - <" + sq(input) + " 127.0.0.1:MIG010 --ssh-command " +
                                sq(ssh_) + " --receive-command " + sq(receive_ + " --debug brief"));
  ASSERT_EQ(d.exit_code, 0) << describe(d);
  EXPECT_NE(d.err.find("vtape receive: receiving stream"), std::string::npos) << d.err;
}

TEST_F(StreamTest, AForcedCommandAllowsItsVolumeSerialsOnly) {
  std::string forced = remote_lib_->sshd().ssh_script("forced_key");
  std::string input = dir_.file("small");
  write_file_bytes(input, pattern_bytes(100000, 5));
  CommandResult no = send("- <" + sq(input), "VOL002", "", forced);
  EXPECT_NE(no.exit_code, 0) << describe(no);
  EXPECT_NE(no.err.find("VOL002 is not among the volume serials this receiver allows"), std::string::npos)
      << describe(no);
  EXPECT_FALSE(fs::exists(image("VOL002")));
  // A key sshd does not know: ssh's refusal, and no retrying.
  CommandResult refused =
      send("- <" + sq(input), "MIG005", "--retry-delay 10", remote_lib_->sshd().ssh_script("host_key"));
  EXPECT_NE(refused.exit_code, 0) << describe(refused);
  EXPECT_NE(refused.err.find("Permission denied"), std::string::npos) << describe(refused);
  EXPECT_NE(refused.err.find("before the receiver answered"), std::string::npos) << describe(refused);
  EXPECT_FALSE(fs::exists(image("MIG005")));
  CommandResult yes = send("- <" + sq(input), "MIG005", "", forced);
  EXPECT_EQ(yes.exit_code, 0) << describe(yes);
  EXPECT_TRUE(fs::exists(image("MIG005")));
  // --overwrite=never (the default) refuses the cartridge that now exists;
  // append adds a second tape file.
  CommandResult again = send("- <" + sq(input), "MIG005", "", forced);
  EXPECT_NE(again.exit_code, 0) << describe(again);
  EXPECT_NE(again.err.find("MIG005 holds 11 records and filemarks already"), std::string::npos) << describe(again);
  CommandResult append = send("- <" + sq(input), "MIG005", "--overwrite append", forced);
  EXPECT_EQ(append.exit_code, 0) << describe(append);
  SimhContent c = read_simh(image("MIG005"), dir_.file("got"));
  EXPECT_EQ(c.filemarks, 2u);
  EXPECT_EQ(c.record_sizes.size(), 20u);
}

// Frames as a sender would send them, for the hostile cases.
std::string frames_file(const TempDir& dir, const std::string& name, const std::vector<std::vector<uint8_t>>& parts) {
  std::vector<uint8_t> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  std::string path = dir.file(name);
  write_file_bytes(path, all);
  return path;
}

std::vector<uint8_t> hello(const std::string& volser) {
  StreamHello h;
  h.id[0] = 42;
  h.volser = volser;
  return encode_hello(h);
}

std::vector<uint8_t> record(size_t n, uint32_t seed) {
  std::vector<uint8_t> f = encode_record_header(static_cast<uint32_t>(n));
  std::vector<uint8_t> data = pattern_bytes(n, seed);
  f.insert(f.end(), data.begin(), data.end());
  return f;
}

TEST_F(StreamTest, HostileBytesOnStandardInputAreRefusedAndTheTapeStaysConsistent) {
  std::string receive = sq(VTAPE_BINARY) + " receive --library " + sq(remote_) + " <";
  // Garbage: not a frame.
  CommandResult g = run_command(receive + sq(frames_file(dir_, "garbage", {{'G', 'E', 'T', ' ', '/'}})));
  EXPECT_EQ(g.exit_code, 1) << describe(g);
  EXPECT_NE(g.err.find("a frame type"), std::string::npos) << describe(g);
  EXPECT_EQ(g.out.substr(0, 1), "X") << describe(g);
  // A path for a volume serial never reaches the file system.
  CommandResult p = run_command(receive + sq(frames_file(dir_, "path", {hello("../../x")})));
  EXPECT_EQ(p.exit_code, 1) << describe(p);
  EXPECT_NE(p.err.find("'../../x' is no volume serial"), std::string::npos) << describe(p);
  // An impossible length after a good start.
  std::vector<uint8_t> huge = encode_record_header(0xFFFFFFF0u);
  CommandResult h = run_command(receive + sq(frames_file(dir_, "huge", {hello("BAD001"), record(100, 1), huge})));
  EXPECT_EQ(h.exit_code, 1) << describe(h);
  EXPECT_NE(h.err.find("at most 16777216"), std::string::npos) << describe(h);
  // A sender that vanishes in the middle of a record, after 1500 records
  // (1024 of them acknowledged): the tape holds at least those, synced,
  // with no filemark added, and the image is valid.
  std::vector<std::vector<uint8_t>> parts{hello("CUT001")};
  for (int i = 0; i < 1500; ++i) parts.push_back(record(1000, static_cast<uint32_t>(i)));
  std::vector<uint8_t> half = record(5000, 9);
  half.resize(2000);
  parts.push_back(half);
  CommandResult v = run_command(receive + sq(frames_file(dir_, "vanish", parts)));
  EXPECT_EQ(v.exit_code, 1) << describe(v);
  EXPECT_NE(v.err.find("the sender went away in the middle of a frame"), std::string::npos) << describe(v);
  EXPECT_NE(v.out.find(std::string("K\0\0\0\x08\0\0\0\0\0\0\x04\0", 13)), std::string::npos);  // ACK 1024
  SimhContent c = read_simh(image("CUT001"), dir_.file("cut.bin"));
  EXPECT_GE(c.record_sizes.size(), 1024u);
  EXPECT_LE(c.record_sizes.size(), 1500u);
  EXPECT_EQ(c.filemarks, 0u);
  CommandResult verify = run_vtape("verify " + sq(image("CUT001")));
  EXPECT_EQ(verify.exit_code, 0) << describe(verify);
  // Another stream to the interrupted cartridge is refused; its state is kept.
  parts[0][kStreamFrameHeader + 10] = 43;  // another stream id
  CommandResult other = run_command(receive + sq(frames_file(dir_, "other", {parts[0]})));
  EXPECT_EQ(other.exit_code, 1) << describe(other);
  EXPECT_NE(other.err.find("is being received from another stream"), std::string::npos) << describe(other);
  // Nothing outside the library was touched.
  EXPECT_FALSE(fs::exists(dir_.file("x")));
}

}  // namespace
}  // namespace vtape::testing
