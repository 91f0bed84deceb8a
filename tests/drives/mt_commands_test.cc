// mt-st against a real mounted drive: every mt command that maps to an
// operation the drive supports, run on a tape written with dd and tar, then
// checked through `mt status` and `mt tell` as an operator would.  Also the
// ioctl layouts of 32-bit callers.
//
// The prepared tape (drive 0, nst0), block addresses as `mt tell` gives them:
//   file 0: three 1024-byte records (dd)   0 1 2, filemark 3
//   file 1: two 512-byte records (dd)      4 5,   filemark 6
//   file 2: one 10240-byte record (tar)    7,     filemark 8
//   end of data at 9
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/mtio.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace vtape::testing {
namespace {

// What `mt status` prints, parsed.
struct MtStatus {
  int file = INT_MIN;
  int block = INT_MIN;
  long block_size = -1;
  unsigned density = ~0u;
  unsigned long gstat = 0;
  std::string names;  // " BOT ONLINE IM_REP_EN" as printed, trimmed
  std::string text;
};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n");
  size_t e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

MtStatus parse_status(const std::string& text) {
  MtStatus st;
  st.text = text;
  std::istringstream in(text);
  std::string line;
  bool names_next = false;
  while (std::getline(in, line)) {
    if (names_next) {
      st.names = trim(line);
      names_next = false;
      continue;
    }
    int f = 0, b = 0;
    long bs = 0;
    unsigned d = 0;
    unsigned long g = 0;
    if (std::sscanf(line.c_str(), "File number=%d, block number=%d", &f, &b) == 2) {
      st.file = f;
      st.block = b;
    } else if (std::sscanf(line.c_str(), "Tape block size %ld bytes. Density code 0x%x", &bs, &d) == 2) {
      st.block_size = bs;
      st.density = d;
    } else if (std::sscanf(line.c_str(), "General status bits on (%lx):", &g) == 1) {
      st.gstat = g;
      names_next = true;
    }
  }
  return st;
}

class MtCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("mt") || !have_program("dd") || !have_program("tar")) GTEST_SKIP() << "mt-st, dd or tar missing";
    ASSERT_TRUE(vt_.ok()) << vt_.error();
    path_ = vt_.drive(0);
    drive_ = shell_quote(path_);
    write_file_bytes(src_.file("f0.bin"), pattern_bytes(3 * 1024, 1));
    write_file_bytes(src_.file("f1.bin"), pattern_bytes(2 * 512, 2));
    write_file_bytes(src_.file("small.txt"), {'t', 'a', 'p', 'e', '\n'});
  }

  CommandResult mt(const std::string& args, const std::string& device = "") {
    return run_command("mt -f " + (device.empty() ? drive_ : shell_quote(device)) + " " + args);
  }
  // Runs an mt command that must succeed.
  void ok(const std::string& args) {
    CommandResult r = mt(args);
    ASSERT_EQ(r.exit_code, 0) << "mt " << args << ": " << r.err << r.out << vt_.log();
  }
  MtStatus status() {
    CommandResult r = mt("status");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return parse_status(r.out);
  }
  long tell() {
    CommandResult r = mt("tell");
    long n = -1;
    if (r.exit_code != 0 || std::sscanf(r.out.c_str(), "At block %ld.", &n) != 1) {
      ADD_FAILURE() << "mt tell: exit " << r.exit_code << ": " << r.out << r.err;
    }
    return n;
  }
  // File and block number from `mt status`, block address from `mt tell`.
  ::testing::AssertionResult at(int file, int block, long address) {
    MtStatus st = status();
    long t = tell();
    if (st.file == file && st.block == block && t == address) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "at file " << st.file << " block " << st.block << " address " << t
                                         << ", expected file " << file << " block " << block << " address "
                                         << address << "\n"
                                         << st.text;
  }

  CommandResult dd_write(const std::string& file, size_t bs, int count) {
    return run_command("dd if=" + shell_quote(src_.file(file)) + " of=" + drive_ + " bs=" + std::to_string(bs) +
                       " count=" + std::to_string(count) + " status=none");
  }
  // One read() of up to `bs` bytes from the drive; what it returned.
  std::vector<uint8_t> dd_read(size_t bs, CommandResult* result = nullptr) {
    std::string out = scratch_.file("read.bin");
    std::remove(out.c_str());
    CommandResult r = run_command("dd if=" + drive_ + " of=" + shell_quote(out) + " bs=" + std::to_string(bs) +
                                  " count=1 status=none");
    if (result != nullptr) *result = r;
    return read_file_bytes(out);
  }

  void prepare() {
    CommandResult r = dd_write("f0.bin", 1024, 3);
    ASSERT_EQ(r.exit_code, 0) << r.err << vt_.log();
    r = dd_write("f1.bin", 512, 2);
    ASSERT_EQ(r.exit_code, 0) << r.err << vt_.log();
    r = run_command("tar -cf " + drive_ + " -C " + shell_quote(src_.path().string()) + " small.txt");
    ASSERT_EQ(r.exit_code, 0) << r.err << vt_.log();
    ASSERT_TRUE(at(3, 0, 9));
    ok("rewind");
  }

  std::vector<uint8_t> f0_record(int i) {
    auto all = pattern_bytes(3 * 1024, 1);
    return std::vector<uint8_t>(all.begin() + i * 1024, all.begin() + (i + 1) * 1024);
  }
  std::vector<uint8_t> f1_record(int i) {
    auto all = pattern_bytes(2 * 512, 2);
    return std::vector<uint8_t>(all.begin() + i * 512, all.begin() + (i + 1) * 512);
  }

  MountedVtapefs vt_;
  TempDir src_, scratch_;
  std::string path_, drive_;
};

TEST_F(MtCommands, StatusOfABlankTapeAndOfThePreparedOne) {
  CommandResult r = mt("status");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("SCSI 2 tape drive:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("File number=0, block number=0, partition=0."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Tape block size 0 bytes. Density code 0x0 (default)."), std::string::npos) << r.out;
  MtStatus st = parse_status(r.out);
  EXPECT_EQ(st.gstat, 0x49010000ul);
  EXPECT_EQ(st.names, "BOT EOD ONLINE IM_REP_EN");
  EXPECT_EQ(tell(), 0);
  prepare();
  st = status();
  EXPECT_EQ(st.names, "BOT ONLINE IM_REP_EN");
  EXPECT_EQ(st.gstat, 0x41010000ul);
}

TEST_F(MtCommands, FsfFsrBsfBsr) {
  prepare();
  ok("fsf 1");
  EXPECT_TRUE(at(1, 0, 4));
  EXPECT_EQ(status().names, "EOF ONLINE IM_REP_EN");
  EXPECT_EQ(dd_read(65536), f1_record(0));
  EXPECT_TRUE(at(1, 1, 5));
  ok("bsr 1");
  EXPECT_TRUE(at(1, 0, 4));
  ok("fsr 1");
  EXPECT_TRUE(at(1, 1, 5));
  EXPECT_EQ(dd_read(65536), f1_record(1));
  ok("fsf 1");
  EXPECT_TRUE(at(2, 0, 7));
  // bsf stops before the filemark: the end of the previous file, block unknown.
  ok("bsf 1");
  EXPECT_TRUE(at(1, -1, 6));
  EXPECT_EQ(status().names, "ONLINE IM_REP_EN");
  ok("bsf 1");
  EXPECT_TRUE(at(0, -1, 3));
  ok("bsr 1");
  EXPECT_EQ(tell(), 2);
  EXPECT_EQ(dd_read(65536), f0_record(2));
  // fsr into a filemark: EIO, the tape is past it.
  CommandResult r = mt("fsr 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Input/output error"), std::string::npos) << r.err;
  EXPECT_TRUE(at(1, 0, 4));
  // bsr over a filemark: EIO, the tape is before it.
  r = mt("bsr 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Input/output error"), std::string::npos) << r.err;
  EXPECT_TRUE(at(0, -1, 3));
  // Counts larger than 1.
  ok("rewind");
  ok("fsf 2");
  EXPECT_TRUE(at(2, 0, 7));
  ok("bsf 2");
  EXPECT_TRUE(at(0, -1, 3));
  ok("bsr 3");
  EXPECT_TRUE(at(0, 0, 0));
  EXPECT_EQ(status().names, "BOT ONLINE IM_REP_EN");
  ok("fsr 2");
  EXPECT_TRUE(at(0, 2, 2));
  // bsr past BOT fails and stays at BOT.
  r = mt("bsr 5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(tell(), 0);
  EXPECT_NE(status().names.find("BOT"), std::string::npos);
}

TEST_F(MtCommands, FsfPastEndOfDataFails) {
  prepare();
  CommandResult r = mt("fsf 5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Input/output error"), std::string::npos) << r.err;
  MtStatus st = status();
  EXPECT_EQ(st.file, 3);
  EXPECT_EQ(tell(), 9);
  EXPECT_NE(st.names.find("EOD"), std::string::npos) << st.text;
  // Again from end of data.
  r = mt("fsf 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(tell(), 9);
  // Reading there: one empty read (end of data right after a filemark), then EIO.
  int fd = ::open(path_.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::vector<char> buf(65536);
  EXPECT_EQ(::read(fd, buf.data(), buf.size()), 0);
  errno = 0;
  EXPECT_EQ(::read(fd, buf.data(), buf.size()), -1);
  EXPECT_EQ(errno, EIO);
  ::close(fd);
}

// st keeps the end-of-data state of the tape across close and open (st_open
// resets only the read/write state): after one empty read at end of data,
// the next program that reads gets EIO.  Scripts that read tape files with
// one dd per file until dd fails rely on it.
TEST_F(MtCommands, EndOfDataStateSurvivesClose) {
  prepare();
  ok("eod");
  ok("bsf 1");
  ok("fsf 1");  // right after the last filemark, at end of data
  CommandResult rd;
  EXPECT_TRUE(dd_read(65536, &rd).empty());
  EXPECT_EQ(rd.exit_code, 0) << rd.err;
  dd_read(65536, &rd);
  EXPECT_NE(rd.exit_code, 0);
  EXPECT_NE(rd.err.find("Input/output error"), std::string::npos) << rd.err;
}

// The same loop a script would run: one dd per tape file until dd fails.
// (Without the limit a drive that forgot its end-of-data state would loop forever.)
TEST_F(MtCommands, ReadingFileByFileWithDdEndsWithAnError) {
  prepare();
  CommandResult r = run_command("i=0; while dd if=" + drive_ + " of=/dev/null bs=64k status=none; do i=$((i+1)); "
                                "[ $i -ge 20 ] && break; done; echo $i");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Three tape files, then one empty read at end of data, then EIO.
  EXPECT_EQ(trim(r.out), "4") << r.err;
}

TEST_F(MtCommands, FsfmBsfmAndAsf) {
  prepare();
  ok("asf 2");
  EXPECT_TRUE(at(2, 0, 7));
  ok("fsfm 1");  // fsf 1, bsf 1: the end of file 2
  EXPECT_TRUE(at(2, -1, 8));
  ok("bsfm 1");  // bsf 1, fsf 1: the start of file 2
  EXPECT_TRUE(at(2, 0, 7));
  ok("bsfm 2");  // the start of file 1
  EXPECT_TRUE(at(1, 0, 4));
  EXPECT_EQ(dd_read(65536), f1_record(0));
  ok("asf 0");
  EXPECT_TRUE(at(0, 0, 0));
  ok("fsfm 2");
  EXPECT_TRUE(at(1, -1, 6));
  CommandResult r = mt("fsfm 5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(tell(), 9);
  r = mt("asf 7");
  EXPECT_EQ(r.exit_code, 2);
  ok("asf 1");
  EXPECT_TRUE(at(1, 0, 4));
}

TEST_F(MtCommands, EodAndSeodThenAppend) {
  prepare();
  ok("eod");
  EXPECT_TRUE(at(3, -1, 9));
  EXPECT_EQ(status().names, "EOD ONLINE IM_REP_EN");
  ok("rewind");
  ok("seod");
  EXPECT_TRUE(at(3, -1, 9));
  // Appending a fourth file there.
  CommandResult r = dd_write("f1.bin", 256, 4);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(at(4, 0, 14));
  ok("asf 3");
  EXPECT_EQ(dd_read(4096).size(), 256u);
  ok("eod");
  EXPECT_TRUE(at(4, -1, 14));
}

TEST_F(MtCommands, WeofAndEof) {
  prepare();
  ok("eod");
  ok("weof");
  EXPECT_TRUE(at(4, 0, 10));
  ok("eof 2");
  EXPECT_TRUE(at(6, 0, 12));
  EXPECT_EQ(status().names, "EOF EOD ONLINE IM_REP_EN");
  ok("weof 0");
  EXPECT_TRUE(at(6, 0, 12));
  ok("rewind");
  ok("fsf 6");
  EXPECT_EQ(tell(), 12);
  EXPECT_EQ(mt("fsf 1").exit_code, 2);
  // A filemark in the middle cuts off everything after it.
  ok("asf 1");
  ok("weof");
  EXPECT_TRUE(at(2, 0, 5));
  ok("eod");
  EXPECT_TRUE(at(2, -1, 5));
  ok("asf 1");
  EXPECT_TRUE(dd_read(65536).empty());  // the new filemark
}

TEST_F(MtCommands, RewindRetensionAndLoad) {
  prepare();
  ok("fsf 2");
  ok("rewind");
  EXPECT_TRUE(at(0, 0, 0));
  ok("fsf 2");
  ok("retension");
  EXPECT_TRUE(at(0, 0, 0));
  ok("fsf 2");
  ok("load");
  EXPECT_TRUE(at(0, 0, 0));
  EXPECT_EQ(dd_read(65536), f0_record(0));
}

TEST_F(MtCommands, OfflineRewofflAndEjectUnload) {
  prepare();
  for (const char* cmd : {"offline", "rewoffl", "eject"}) {
    SCOPED_TRACE(cmd);
    ok("fsf 1");
    ok(cmd);
    MtStatus st = status();  // mt status opens O_NONBLOCK: works on an empty drive
    EXPECT_EQ(st.names, "DR_OPEN") << st.text;
    EXPECT_EQ(st.gstat, 0x40000ul);
    CommandResult r = mt("rewind");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("No medium found"), std::string::npos) << r.err;
    r = mt("tell");
    EXPECT_NE(r.exit_code, 0);
    // The library knows the drive is empty.
    CommandResult v = vt_.vtape("status --json 0");
    EXPECT_NE(v.out.find("\"loaded\":false"), std::string::npos) << v.out << v.err;
    v = vt_.vtape("load 0 SCR001");
    ASSERT_EQ(v.exit_code, 0) << v.err;
    // Back in at BOT with the data intact.
    EXPECT_TRUE(at(0, 0, 0));
    ok("fsf 1");
    EXPECT_EQ(dd_read(65536), f1_record(0));
    ok("rewind");
  }
}

TEST_F(MtCommands, Erase) {
  prepare();
  ok("fsf 1");
  ok("erase");
  EXPECT_TRUE(at(1, 0, 4));
  EXPECT_NE(status().names.find("EOD"), std::string::npos);
  ok("rewind");
  ok("fsf 1");
  CommandResult r = mt("fsf 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(at(1, 0, 4));
  ok("rewind");
  EXPECT_EQ(dd_read(65536), f0_record(0));
  // At BOT it blanks the tape.
  ok("rewind");
  ok("erase");
  ok("rewind");
  EXPECT_EQ(status().names, "BOT EOD ONLINE IM_REP_EN");
  CommandResult rd;
  dd_read(65536, &rd);
  EXPECT_NE(rd.exit_code, 0);  // blank tape: EIO at once
  EXPECT_NE(rd.err.find("Input/output error"), std::string::npos) << rd.err;
}

TEST_F(MtCommands, SetblkAndSetdensity) {
  prepare();
  ok("setblk 512");
  MtStatus st = status();
  EXPECT_EQ(st.block_size, 512);
  EXPECT_EQ(st.density, 0u);
  ok("setdensity 0x44");
  st = status();
  EXPECT_EQ(st.block_size, 512);
  EXPECT_EQ(st.density, 0x44u);
  EXPECT_NE(st.text.find("Density code 0x44 (LTO-3)"), std::string::npos) << st.text;
  // Fixed-block mode: a record of another size is EIO.
  CommandResult rd;
  dd_read(2048, &rd);
  EXPECT_NE(rd.exit_code, 0);
  EXPECT_NE(rd.err.find("Input/output error"), std::string::npos) << rd.err;
  // Writes must be whole blocks.
  ok("eod");
  write_file_bytes(src_.file("blocks.bin"), pattern_bytes(4 * 512, 5));
  CommandResult w = dd_write("blocks.bin", 1000, 1);
  EXPECT_NE(w.exit_code, 0);
  EXPECT_NE(w.err.find("Invalid argument"), std::string::npos) << w.err;
  EXPECT_EQ(tell(), 9);  // nothing written
  w = dd_write("blocks.bin", 1024, 2);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_TRUE(at(4, 0, 14));  // four 512-byte records and a filemark
  ok("seek 9");
  std::vector<uint8_t> got = dd_read(2048);  // four blocks in one read
  EXPECT_EQ(got, pattern_bytes(4 * 512, 5));
  EXPECT_EQ(tell(), 13);
  // In variable mode again, the same records read one by one.
  ok("setblk 0");
  st = status();
  EXPECT_EQ(st.block_size, 0);
  EXPECT_EQ(st.density, 0x44u);
  ok("seek 9");
  EXPECT_EQ(dd_read(65536).size(), 512u);
  ok("setdensity 0");
  EXPECT_EQ(status().density, 0u);
}

TEST_F(MtCommands, SeekAndTell) {
  prepare();
  EXPECT_EQ(tell(), 0);
  ok("seek 5");
  EXPECT_EQ(tell(), 5);
  EXPECT_EQ(status().file, 1);
  EXPECT_EQ(dd_read(65536), f1_record(1));
  ok("seek 1");
  EXPECT_EQ(tell(), 1);
  EXPECT_EQ(dd_read(65536), f0_record(1));
  ok("seek 0");
  EXPECT_TRUE(at(0, 0, 0));
  ok("seek 9");
  EXPECT_EQ(tell(), 9);
  CommandResult r = mt("seek 100");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Input/output error"), std::string::npos) << r.err;
  // tell, move elsewhere, seek back.
  ok("asf 2");
  long here = tell();
  ok("rewind");
  ok("seek " + std::to_string(here));
  EXPECT_TRUE(at(2, 0, 7));
}

TEST_F(MtCommands, LockAndUnlock) {
  prepare();
  ok("lock");
  CommandResult v = vt_.vtape("status --json 0");
  EXPECT_NE(v.out.find("\"locked\":true"), std::string::npos) << v.out;
  v = vt_.vtape("unload 0");
  EXPECT_NE(v.exit_code, 0);
  EXPECT_NE(v.err.find("locked"), std::string::npos) << v.err;
  ok("unlock");
  v = vt_.vtape("status --json 0");
  EXPECT_NE(v.out.find("\"locked\":false"), std::string::npos) << v.out;
  v = vt_.vtape("unload 0");
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(status().names, "DR_OPEN");
}

TEST_F(MtCommands, CompressionDrvbufferStoptionsAndDensities) {
  prepare();
  ok("fsf 1");
  ok("compression 1");
  CommandResult v = vt_.vtape("status --json 0");
  EXPECT_NE(v.out.find("\"compression\":true"), std::string::npos) << v.out;
  ok("compression 0");
  v = vt_.vtape("status --json 0");
  EXPECT_NE(v.out.find("\"compression\":false"), std::string::npos) << v.out;
  ok("drvbuffer 1");
  ok("stoptions buffer-writes async-writes read-ahead");
  ok("stsetoptions can-bsr");
  ok("stclearoptions can-bsr");
  // None of them moved the tape.
  EXPECT_TRUE(at(1, 0, 4));
  CommandResult r = run_command("mt densities");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("LTO-3"), std::string::npos) << r.out;
}

// mt-st has no nop command; MTNOP is covered by tape_drive_test.cc.

TEST_F(MtCommands, PartitionsAndSetmarksAreNotSupported) {
  prepare();
  for (const char* cmd : {"setpartition 1", "mkpartition 1", "fss 1", "bss 1", "wset 1"}) {
    CommandResult r = mt(cmd);
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_NE(r.err.find("Invalid argument"), std::string::npos) << cmd << ": " << r.err;
  }
  EXPECT_TRUE(at(0, 0, 0));
}

TEST_F(MtCommands, WriteProtectedCartridge) {
  prepare();
  CommandResult v = vt_.vtape("protect SCR001");
  ASSERT_EQ(v.exit_code, 0) << v.err;
  MtStatus st = status();
  EXPECT_EQ(st.names, "BOT WR_PROT ONLINE IM_REP_EN") << st.text;
  // weof, eof and erase open the drive for writing: refused at open.
  for (const char* cmd : {"weof", "eof 2", "erase"}) {
    CommandResult r = mt(cmd);
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << cmd << ": " << r.err;
  }
  // Moving and reading work.
  ok("fsf 1");
  EXPECT_TRUE(at(1, 0, 4));
  EXPECT_EQ(dd_read(65536), f1_record(0));
  CommandResult w = dd_write("f1.bin", 512, 1);
  EXPECT_NE(w.exit_code, 0);
  EXPECT_NE(w.err.find("Read-only file system"), std::string::npos) << w.err;
  // The errno values a program sees: EROFS at a blocking open for writing;
  // with O_NONBLOCK the open succeeds and write/WEOF/ERASE fail EACCES.
  errno = 0;
  EXPECT_LT(::open(path_.c_str(), O_RDWR), 0);
  EXPECT_EQ(errno, EROFS);
  int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  char byte = 'x';
  errno = 0;
  EXPECT_EQ(::write(fd, &byte, 1), -1);
  EXPECT_EQ(errno, EACCES);
  for (short op : {short(MTWEOF), short(MTERASE)}) {
    mtop m{op, 1};
    errno = 0;
    EXPECT_EQ(ioctl(fd, MTIOCTOP, &m), -1) << op;
    EXPECT_EQ(errno, EACCES) << op;
  }
  ::close(fd);
  EXPECT_TRUE(at(1, 1, 5));  // nothing moved, nothing written
  v = vt_.vtape("unprotect SCR001");
  ASSERT_EQ(v.exit_code, 0) << v.err;
  ok("eod");
  ok("weof");
  EXPECT_TRUE(at(4, 0, 10));
}

TEST_F(MtCommands, EmptyDrive) {
  CommandResult v = vt_.vtape("unload 0");
  ASSERT_EQ(v.exit_code, 0) << v.err;
  MtStatus st = status();
  EXPECT_EQ(st.names, "DR_OPEN") << st.text;
  for (const char* cmd : {"rewind", "fsf 1", "weof", "tell", "eod"}) {
    CommandResult r = mt(cmd);
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_NE(r.err.find("No medium found"), std::string::npos) << cmd << ": " << r.err;
  }
  // A program opening with O_NONBLOCK gets in; I/O fails ENOMEDIUM and
  // MTIOCGET still answers.
  int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  char buf[512];
  errno = 0;
  EXPECT_EQ(::read(fd, buf, sizeof buf), -1);
  EXPECT_EQ(errno, ENOMEDIUM);
  mtget g{};
  ASSERT_EQ(ioctl(fd, MTIOCGET, &g), 0) << std::strerror(errno);
  EXPECT_EQ(static_cast<unsigned long>(g.mt_gstat), 0x40000ul);
  mtop m{MTFSF, 1};
  errno = 0;
  EXPECT_EQ(ioctl(fd, MTIOCTOP, &m), -1);
  EXPECT_EQ(errno, ENOMEDIUM);
  ::close(fd);
  errno = 0;
  EXPECT_LT(::open(path_.c_str(), O_RDONLY), 0);
  EXPECT_EQ(errno, ENOMEDIUM);
  // setblk opens O_NONBLOCK: a setting, no tape needed.
  ok("setblk 1024");
  EXPECT_EQ(status().block_size, 1024);
  // load with no cartridge in the drive fails.
  CommandResult r = mt("load");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("No medium found"), std::string::npos) << r.err;
}

TEST_F(MtCommands, BusyDrive) {
  prepare();
  int fd = ::open(path_.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  CommandResult r = mt("status");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Device or resource busy"), std::string::npos) << r.err;
  // The rewind device is the same drive.
  r = mt("status", vt_.drive(0, true));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Device or resource busy"), std::string::npos) << r.err;
  // Another drive is not busy.
  r = mt("status", vt_.drive(1));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ::close(fd);
  EXPECT_EQ(mt("status").exit_code, 0);
}

TEST_F(MtCommands, RewindDeviceRewindsAtClose) {
  prepare();
  std::string st0 = vt_.drive(0, true);
  CommandResult r = mt("fsf 2", st0);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(at(0, 0, 0));
  // A file written through st0 ends in a filemark and the tape rewinds.
  ok("eod");
  r = run_command("dd if=" + shell_quote(src_.file("f1.bin")) + " of=" + shell_quote(st0) +
                  " bs=512 count=2 status=none");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(at(0, 0, 0));
  ok("fsf 3");
  EXPECT_EQ(dd_read(65536), f1_record(0));
  EXPECT_EQ(dd_read(65536), f1_record(1));
  EXPECT_TRUE(dd_read(65536).empty());
  EXPECT_TRUE(at(4, 0, 12));
}

// ---- 32-bit callers ------------------------------------------------------

// The 32-bit ioctl numbers and layouts (longs are 4 bytes).
struct Mtget32 {
  int32_t mt_type, mt_resid, mt_dsreg, mt_gstat, mt_erreg, mt_fileno, mt_blkno;
};
static_assert(sizeof(Mtget32) == 28);
constexpr unsigned long kMtiocget32 = 0x801c6d02;
constexpr unsigned long kMtiocpos32 = 0x80046d03;
static_assert(kMtiocget32 == _IOR('m', 2, Mtget32));
static_assert(kMtiocpos32 == _IOR('m', 3, int32_t));

TEST_F(MtCommands, ThirtyTwoBitIoctlNumbersFromA64BitCaller) {
  prepare();
  ok("setdensity 0x42");
  ok("fsf 1");
  ok("fsr 1");
  int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  Mtget32 g;
  std::memset(&g, 0x5A, sizeof g);
  ASSERT_EQ(ioctl(fd, kMtiocget32, &g), 0) << std::strerror(errno);
  EXPECT_EQ(g.mt_type, MT_ISSCSI2);
  EXPECT_EQ(g.mt_resid, 0);
  EXPECT_EQ(static_cast<uint32_t>(g.mt_dsreg), 0x42000000u);
  EXPECT_EQ(static_cast<uint32_t>(g.mt_gstat), 0x01010000u);
  EXPECT_EQ(g.mt_erreg, 0);
  EXPECT_EQ(g.mt_fileno, 1);
  EXPECT_EQ(g.mt_blkno, 1);
  int32_t pos = -7;
  ASSERT_EQ(ioctl(fd, kMtiocpos32, &pos), 0) << std::strerror(errno);
  EXPECT_EQ(pos, 5);
  // The 64-bit layouts agree.
  mtget g64{};
  ASSERT_EQ(ioctl(fd, MTIOCGET, &g64), 0);
  EXPECT_EQ(g64.mt_fileno, 1);
  EXPECT_EQ(g64.mt_blkno, 1);
  EXPECT_EQ(static_cast<uint64_t>(g64.mt_gstat), 0x01010000u);
  mtpos p64{};
  ASSERT_EQ(ioctl(fd, MTIOCPOS, &p64), 0);
  EXPECT_EQ(p64.mt_blkno, 5);
  // MTIOCTOP is the same 8 bytes in both.
  mtop op{MTBSF, 1};
  ASSERT_EQ(ioctl(fd, MTIOCTOP, &op), 0) << std::strerror(errno);
  ASSERT_EQ(ioctl(fd, kMtiocget32, &g), 0);
  EXPECT_EQ(g.mt_fileno, 0);
  EXPECT_EQ(g.mt_blkno, -1);
  ::close(fd);
}

constexpr const char* kProbeSource = R"C(
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mtio.h>
#include <unistd.h>

static void show(int fd, const char* tag) {
  struct mtget g;
  struct mtpos p;
  memset(&g, 0x5a, sizeof g);
  if (ioctl(fd, MTIOCGET, &g) != 0) { printf("%s.get_errno=%d\n", tag, errno); return; }
  printf("%s.type=%ld\n%s.resid=%ld\n%s.dsreg=%lx\n%s.gstat=%lx\n%s.erreg=%ld\n%s.fileno=%ld\n%s.blkno=%ld\n",
         tag, (long)g.mt_type, tag, (long)g.mt_resid, tag, (unsigned long)g.mt_dsreg,
         tag, (unsigned long)g.mt_gstat, tag, (long)g.mt_erreg, tag, (long)g.mt_fileno, tag, (long)g.mt_blkno);
  if (ioctl(fd, MTIOCPOS, &p) != 0) { printf("%s.pos_errno=%d\n", tag, errno); return; }
  printf("%s.pos=%ld\n", tag, (long)p.mt_blkno);
}

int main(int argc, char** argv) {
  struct mtop op;
  int fd;
  printf("sizeof_long=%u\nsizeof_mtget=%u\nsizeof_mtpos=%u\n", (unsigned)sizeof(long),
         (unsigned)sizeof(struct mtget), (unsigned)sizeof(struct mtpos));
  fd = open(argv[1], O_RDONLY | O_NONBLOCK);
  if (fd < 0) { printf("open_errno=%d\n", errno); return 1; }
  show(fd, "before");
  op.mt_op = MTFSF;
  op.mt_count = 1;
  printf("fsf=%d\n", ioctl(fd, MTIOCTOP, &op) == 0 ? 0 : errno);
  show(fd, "after");
  op.mt_count = 10;
  printf("fsf10=%d\n", ioctl(fd, MTIOCTOP, &op) == 0 ? 0 : errno);
  show(fd, "end");
  close(fd);
  return 0;
}
)C";

std::map<std::string, std::string> parse_lines(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

// The i386 ioctl requests, from the i386 struct sizes (every long is 4
// bytes): mtget 28, mtpos 4, mtop 8 (short, 2 bytes padding, int).
constexpr size_t kI386MtgetSize = 28, kI386MtposSize = 4, kI386MtopSize = 8;
constexpr unsigned long kI386Mtiocget = _IOC(_IOC_READ, 'm', 2, kI386MtgetSize);
constexpr unsigned long kI386Mtiocpos = _IOC(_IOC_READ, 'm', 3, kI386MtposSize);
constexpr unsigned long kI386Mtioctop = _IOC(_IOC_WRITE, 'm', 1, kI386MtopSize);
static_assert(kI386Mtioctop == MTIOCTOP, "struct mtop is 8 bytes on i386 and x86-64 alike");

// A 64-bit reply as an i386 caller must get it: each field a 4-byte
// little-endian word, in struct order.
std::vector<uint8_t> i386_bytes(std::initializer_list<int64_t> fields) {
  std::vector<uint8_t> out;
  for (int64_t f : fields) {
    auto v = static_cast<uint32_t>(f);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  return out;
}

std::string hex(const uint8_t* p, size_t n) {
  std::string out;
  char two[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(two, sizeof two, "%02x", p[i]);
    out += two;
  }
  return out;
}

int32_t i386_word(const uint8_t* p, size_t index) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | p[index * 4 + static_cast<size_t>(i)];
  return static_cast<int32_t>(v);
}

// kProbeSource's show(), done from this 64-bit process with the i386
// request numbers: prints the same lines, and adds "TAG.mismatch=..." when
// the i386 reply is not, byte for byte, the 64-bit reply packed to the
// i386 layout.
void show_i386(int fd, const std::string& tag, std::string* out) {
  uint8_t g[kI386MtgetSize + 4];
  std::memset(g, 0x5a, sizeof g);
  if (ioctl(fd, kI386Mtiocget, g) != 0) {
    *out += tag + ".get_errno=" + std::to_string(errno) + "\n";
    return;
  }
  if (g[kI386MtgetSize] != 0x5a) *out += tag + ".mismatch=MTIOCGET wrote past 28 bytes\n";
  mtget g64{};
  if (ioctl(fd, MTIOCGET, &g64) != 0) {
    *out += tag + ".mismatch=64-bit MTIOCGET failed\n";
    return;
  }
  std::vector<uint8_t> want = i386_bytes({g64.mt_type, g64.mt_resid, g64.mt_dsreg, g64.mt_gstat, g64.mt_erreg,
                                          g64.mt_fileno, g64.mt_blkno});
  if (std::memcmp(g, want.data(), kI386MtgetSize) != 0) {
    *out += tag + ".mismatch=MTIOCGET " + hex(g, kI386MtgetSize) + " != " + hex(want.data(), want.size()) + "\n";
  }
  char line[512];
  std::snprintf(line, sizeof line, "%s.type=%d\n%s.resid=%d\n%s.dsreg=%x\n%s.gstat=%x\n%s.erreg=%d\n%s.fileno=%d\n%s.blkno=%d\n",
                tag.c_str(), i386_word(g, 0), tag.c_str(), i386_word(g, 1), tag.c_str(),
                static_cast<uint32_t>(i386_word(g, 2)), tag.c_str(), static_cast<uint32_t>(i386_word(g, 3)),
                tag.c_str(), i386_word(g, 4), tag.c_str(), i386_word(g, 5), tag.c_str(), i386_word(g, 6));
  *out += line;
  uint8_t p[kI386MtposSize + 4];
  std::memset(p, 0x5a, sizeof p);
  if (ioctl(fd, kI386Mtiocpos, p) != 0) {
    *out += tag + ".pos_errno=" + std::to_string(errno) + "\n";
    return;
  }
  if (p[kI386MtposSize] != 0x5a) *out += tag + ".mismatch=MTIOCPOS wrote past 4 bytes\n";
  mtpos p64{};
  if (ioctl(fd, MTIOCPOS, &p64) != 0 ||
      std::memcmp(p, i386_bytes({p64.mt_blkno}).data(), kI386MtposSize) != 0) {
    *out += tag + ".mismatch=MTIOCPOS " + hex(p, kI386MtposSize) + "\n";
  }
  *out += tag + ".pos=" + std::to_string(i386_word(p, 0)) + "\n";
}

// MTIOCTOP with an i386 struct mtop built byte by byte: 0 or errno.
int op_i386(int fd, int16_t op, int32_t count) {
  uint8_t m[kI386MtopSize] = {};
  std::memcpy(m, &op, 2);  // mt_op, then 2 bytes of padding
  std::memcpy(m + 4, &count, 4);
  return ioctl(fd, kI386Mtioctop, m) == 0 ? 0 : errno;
}

// kProbeSource's main(), from this 64-bit process with the i386 requests.
std::string probe_with_i386_requests(const std::string& device) {
  std::string out;
  int fd = ::open(device.c_str(), O_RDONLY | O_NONBLOCK);
  if (fd < 0) return "open_errno=" + std::to_string(errno) + "\n";
  show_i386(fd, "before", &out);
  out += "fsf=" + std::to_string(op_i386(fd, MTFSF, 1)) + "\n";
  show_i386(fd, "after", &out);
  out += "fsf10=" + std::to_string(op_i386(fd, MTFSF, 10)) + "\n";
  show_i386(fd, "end", &out);
  ::close(fd);
  return out;
}

// Whether this machine builds and runs 32-bit programs: probed once (the
// kernel may lack IA-32 emulation, "Exec format error").  The path of the
// built probe, or empty with the reason.
struct Probe32 {
  std::string exe;
  std::string why_not;
};
const Probe32& probe32() {
  static TempDir* dir = new TempDir();  // lives as long as the process
  static const Probe32 probe = [] {
    Probe32 p;
    if (!have_program("gcc")) {
      p.why_not = "no gcc";
      return p;
    }
    {
      std::ofstream src(dir->file("probe.c"));
      src << kProbeSource;
    }
    std::string exe = dir->file("probe32");
    CommandResult cc =
        run_command("gcc -m32 -O0 -o " + shell_quote(exe) + " " + shell_quote(dir->file("probe.c")));
    if (cc.exit_code != 0) {
      p.why_not = "gcc -m32 cannot build (the Debian package gcc-multilib): " + cc.err;
      return p;
    }
    CommandResult run = run_command(shell_quote(exe) + " /dev/null");
    if (run.out.find("sizeof_long=4") == std::string::npos) {
      std::string err = run.err.substr(0, run.err.find('\n'));
      p.why_not = "the kernel does not run 32-bit programs (exit " + std::to_string(run.exit_code) + ": " + err + ")";
      return p;
    }
    p.exe = exe;
    return p;
  }();
  return probe;
}

// What ThirtyTwoBitProgram's callers must see (kProbeSource's output).
void expect_i386_view(const std::string& r, bool real_program) {
  auto v = parse_lines(r);
  for (const auto& [key, value] : v) {
    EXPECT_EQ(key.find(".mismatch"), std::string::npos) << key << ": " << value;
  }
  if (real_program) {
    EXPECT_EQ(v["sizeof_long"], "4") << r;
    EXPECT_EQ(v["sizeof_mtget"], "28") << r;
    EXPECT_EQ(v["sizeof_mtpos"], "4") << r;
  }
  EXPECT_EQ(v["before.type"], "114") << r;
  EXPECT_EQ(v["before.resid"], "0") << r;
  EXPECT_EQ(v["before.dsreg"], "44000200") << r;
  EXPECT_EQ(v["before.gstat"], "1010000") << r;
  EXPECT_EQ(v["before.erreg"], "0") << r;
  EXPECT_EQ(v["before.fileno"], "1") << r;
  EXPECT_EQ(v["before.blkno"], "1") << r;
  EXPECT_EQ(v["before.pos"], "5") << r;
  EXPECT_EQ(v["fsf"], "0") << r;
  EXPECT_EQ(v["after.fileno"], "2") << r;
  EXPECT_EQ(v["after.blkno"], "0") << r;
  EXPECT_EQ(v["after.gstat"], "81010000") << r;
  EXPECT_EQ(v["after.pos"], "7") << r;
  EXPECT_EQ(v["fsf10"], std::to_string(EIO)) << r;
  EXPECT_EQ(v["end.fileno"], "3") << r;
  EXPECT_EQ(v["end.pos"], "9") << r;
  EXPECT_NE(std::stoul(v["end.gstat"], nullptr, 16) & 0x08000000ul, 0ul) << r;
}

// 32-bit callers (mt, tar or backup software built for i386) get the i386
// layouts.  Proven on every machine with the i386 request numbers from this
// 64-bit process, byte for byte against the 64-bit replies; where the
// kernel runs 32-bit programs, also by a real `gcc -m32` program (whose
// calls arrive with FUSE_IOCTL_COMPAT).
TEST_F(MtCommands, ThirtyTwoBitProgram) {
  const Probe32& probe = probe32();
  std::string which = probe.exe.empty() ? "i386 request numbers from a 64-bit caller (no real 32-bit program: " +
                                              probe.why_not + ")"
                                        : "i386 request numbers from a 64-bit caller, and a real gcc -m32 program";
  RecordProperty("callers", which);
  std::printf("ThirtyTwoBitProgram: %s\n", which.c_str());
  std::vector<std::pair<std::string, bool>> callers = {{"", false}};
  if (!probe.exe.empty()) callers.push_back({probe.exe, true});
  prepare();
  for (const auto& [exe, real] : callers) {
    SCOPED_TRACE(real ? "gcc -m32 program" : "i386 requests from 64 bits");
    ok("setblk 512");
    ok("setdensity 0x44");
    ok("asf 1");
    ok("fsr 1");
    std::string out;
    if (real) {
      CommandResult r = run_command(shell_quote(exe) + " " + drive_);
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
      out = r.out;
    } else {
      out = probe_with_i386_requests(path_);
    }
    expect_i386_view(out, real);
    // The 64-bit view of the same position.
    EXPECT_EQ(status().file, 3);
    EXPECT_EQ(tell(), 9);
    // On an empty drive an i386 MTIOCGET still works: DR_OPEN.
    ASSERT_EQ(vt_.vtape("unload 0").exit_code, 0);
    if (real) {
      out = run_command(shell_quote(exe) + " " + drive_).out;
    } else {
      out = probe_with_i386_requests(path_);
    }
    auto v = parse_lines(out);
    EXPECT_EQ(v["before.gstat"], "40000") << out;
    EXPECT_EQ(v["fsf"], std::to_string(ENOMEDIUM)) << out;
    for (const auto& [key, value] : v) {
      EXPECT_EQ(key.find(".mismatch"), std::string::npos) << key << ": " << value;
    }
    ASSERT_EQ(vt_.vtape("load 0 SCR001").exit_code, 0);
  }
}

}  // namespace
}  // namespace vtape::testing
