// The rmt protocol's reader and replies (tools/rmt_protocol.h) on byte
// strings: every command, both lseek orders, the RMT V1 numbering, and a
// hostile client's lines, counts and garbage.

#include "tools/rmt_protocol.h"

#include <fcntl.h>
#include <sys/mtio.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace vtape {
namespace {

// A reader over `input`, handed out in pieces of at most `piece` bytes (a
// pipe gives what it has).
struct StringReader {
  explicit StringReader(std::string input, size_t piece = 7)
      : data(std::move(input)),
        reader([this, piece](uint8_t* buf, size_t n) -> ssize_t {
          size_t take = std::min({n, piece, data.size() - pos});
          std::memcpy(buf, data.data() + pos, take);
          pos += take;
          return static_cast<ssize_t>(take);
        }) {}
  std::string data;
  size_t pos = 0;
  RmtReader reader;
};

TEST(RmtProtocol, ReadsEveryCommand) {
  StringReader in("O/dev/nst0\n66 O_RDWR|O_CREAT\nW5\nhelloR10\nI5\n1\ni4\n1\nL0\n1\nS\nsF\nv\nCx\n");
  RmtRequest r;
  RmtRefusal why;
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kOpen);
  EXPECT_EQ(r.name, "/dev/nst0");
  EXPECT_EQ(r.flags.access, O_RDWR);
  EXPECT_TRUE(r.flags.create);

  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kWrite);
  EXPECT_EQ(r.count, 5);
  std::vector<uint8_t> payload;
  ASSERT_TRUE(in.reader.read_payload(5, &payload));
  EXPECT_EQ(std::string(payload.begin(), payload.end()), "hello");

  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kRead);
  EXPECT_EQ(r.count, 10);
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kIoctl);
  EXPECT_EQ(r.op, 5);
  EXPECT_EQ(r.count, 1);
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kExtendedIoctl);
  EXPECT_EQ(r.op, 4);
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kLseek);
  EXPECT_EQ(r.count, 0);
  EXPECT_EQ(r.op, 1);
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kStatus);
  // S's newline (sent by some clients, not by others) is no command.
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kStatusField);
  EXPECT_EQ(r.field, 'F');
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kVersion);
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kClose);
  EXPECT_EQ(in.reader.next(&r, &why), RmtReader::Result::kEnd);
}

TEST(RmtProtocol, OpenFlagsNumericAndSymbolic) {
  RmtOpenFlags f;
  std::string error;
  ASSERT_TRUE(parse_open_flags("0", &f, &error));
  EXPECT_EQ(f.access, O_RDONLY);
  EXPECT_FALSE(f.writable());
  ASSERT_TRUE(parse_open_flags(std::to_string(O_WRONLY | O_CREAT | O_TRUNC), &f, &error));
  EXPECT_EQ(f.access, O_WRONLY);
  EXPECT_TRUE(f.create);
  // The symbolic flags win over a number of another system.
  ASSERT_TRUE(parse_open_flags("1538 O_RDONLY", &f, &error));
  EXPECT_EQ(f.access, O_RDONLY);
  EXPECT_FALSE(f.create);
  ASSERT_TRUE(parse_open_flags("0 O_WRONLY|O_NONBLOCK", &f, &error));
  EXPECT_TRUE(f.nonblocking);
  EXPECT_FALSE(parse_open_flags("0 O_RDWR|O_BOGUS", &f, &error));
  EXPECT_NE(error.find("O_BOGUS"), std::string::npos) << error;
  EXPECT_FALSE(parse_open_flags("rw", &f, &error));
  EXPECT_FALSE(parse_open_flags("3", &f, &error));  // O_ACCMODE: no access mode
}

TEST(RmtProtocol, LseekInEitherOrder) {
  int64_t offset = -1;
  int whence = -1;
  ASSERT_TRUE(parse_lseek(4096, 1, &offset, &whence));  // GNU tar: offset, whence
  EXPECT_EQ(offset, 4096);
  EXPECT_EQ(whence, 1);
  ASSERT_TRUE(parse_lseek(2, 8192, &offset, &whence));  // rmt(8)'s page: whence, offset
  EXPECT_EQ(offset, 8192);
  EXPECT_EQ(whence, 2);
  EXPECT_FALSE(parse_lseek(7, 9, &offset, &whence));
}

TEST(RmtProtocol, NoNumberingTurnsAFilemarkIntoARewind) {
  int op = -1;
  int count = 0;
  // Linux's numbers before I-1 stay Linux's: 5 is MTWEOF, 6 MTREW.
  ASSERT_EQ(rmt_mt_operation(RmtCommand::kIoctl, 5, 2, false, &op, &count), 0);
  EXPECT_EQ(op, MTWEOF);
  EXPECT_EQ(count, 2);
  ASSERT_EQ(rmt_mt_operation(RmtCommand::kIoctl, 6, 1, false, &op, &count), 0);
  EXPECT_EQ(op, MTREW);
  // RMT V1 after I-1: 0 is a filemark, 5 a rewind, 6 offline, 7 nothing.
  ASSERT_EQ(rmt_mt_operation(RmtCommand::kIoctl, 0, 1, true, &op, &count), 0);
  EXPECT_EQ(op, MTWEOF);
  ASSERT_EQ(rmt_mt_operation(RmtCommand::kIoctl, 5, 1, true, &op, &count), 0);
  EXPECT_EQ(op, MTREW);
  ASSERT_EQ(rmt_mt_operation(RmtCommand::kIoctl, 6, 1, true, &op, &count), 0);
  EXPECT_EQ(op, MTOFFL);
  ASSERT_EQ(rmt_mt_operation(RmtCommand::kIoctl, 7, 1, true, &op, &count), 0);
  EXPECT_EQ(op, MTNOP);
  // Above 7 V1 clients send Linux's numbers: 12 is MTEOM.
  ASSERT_EQ(rmt_mt_operation(RmtCommand::kIoctl, 12, 1, true, &op, &count), 0);
  EXPECT_EQ(op, MTEOM);
  // i: the extended operations, onto the drive's own.
  ASSERT_EQ(rmt_mt_operation(RmtCommand::kExtendedIoctl, 4, 1, true, &op, &count), 0);
  EXPECT_EQ(op, MTEOM);
  ASSERT_EQ(rmt_mt_operation(RmtCommand::kExtendedIoctl, 5, 1, true, &op, &count), 0);
  EXPECT_EQ(op, MTBSFM);
  ASSERT_EQ(rmt_mt_operation(RmtCommand::kExtendedIoctl, 1, 1, true, &op, &count), 0);
  EXPECT_EQ(op, MTSETDRVBUFFER);
  EXPECT_EQ(static_cast<uint32_t>(count), 0x40000001u);  // MT_ST_CLEARBOOLEANS | MT_ST_BUFFER_WRITES
  EXPECT_EQ(rmt_mt_operation(RmtCommand::kExtendedIoctl, 6, 1, true, &op, &count), EINVAL);
  // Nothing outside int, no negative operation.
  EXPECT_EQ(rmt_mt_operation(RmtCommand::kIoctl, 1, int64_t{1} << 40, false, &op, &count), EINVAL);
  EXPECT_EQ(rmt_mt_operation(RmtCommand::kIoctl, -5, 1, false, &op, &count), EINVAL);
}

TEST(RmtProtocol, GarbageGetsRefusalsAndTheStreamStaysInStep) {
  std::string long_line(kRmtMaxLine + 100, 'a');
  StringReader in("X junk\n\x01\x02\x03\nO" + long_line + "\n0\nRabc\nW-4\nI1\nx\nL7\n9\nO\n0\nOVOL1\n0 O_WHAT\nv\n");
  RmtRequest r;
  RmtRefusal why;
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kBad);
  EXPECT_EQ(why.error, EINVAL);
  EXPECT_NE(why.message.find("unknown command 'X'"), std::string::npos) << why.message;
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kBad);
  EXPECT_NE(why.message.find("\\x01"), std::string::npos) << why.message;
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kBad);
  EXPECT_EQ(why.error, ENAMETOOLONG);
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kBad);
  EXPECT_NE(why.message.find("not a number: 'abc'"), std::string::npos) << why.message;
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kBad);
  EXPECT_NE(why.message.find("negative"), std::string::npos) << why.message;
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kBad);  // I's count "x"
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kBad);  // L 7 9
  EXPECT_NE(why.message.find("whence"), std::string::npos) << why.message;
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kBad);  // O with no name
  EXPECT_EQ(why.error, ENOENT);
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kBad);
  EXPECT_NE(why.message.find("O_WHAT"), std::string::npos) << why.message;
  // After all that, the next command is read as it was sent.
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kVersion);
  EXPECT_EQ(in.reader.next(&r, &why), RmtReader::Result::kEnd);
}

TEST(RmtProtocol, AnOversizedWriteIsDroppedNotTakenForCommands) {
  // The record's bytes look like commands (a rewind); they must not run.
  size_t n = kRmtMaxRecord + 1;
  std::string record;
  while (record.size() < n) record += "I6\n1\n";
  record.resize(n);
  StringReader in("W" + std::to_string(n) + "\n" + record + "v\n", 65536);
  RmtRequest r;
  RmtRefusal why;
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kBad);
  EXPECT_EQ(why.error, EOVERFLOW);
  EXPECT_NE(why.message.find(std::to_string(kRmtMaxRecord)), std::string::npos) << why.message;
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kVersion);
}

TEST(RmtProtocol, HugeCountsAndCutInput) {
  RmtRequest r;
  RmtRefusal why;
  {
    StringReader in("W99999999999999999999999\n");
    ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kBad);  // not a 64-bit number
  }
  {
    // A client that goes away in the middle of a record: not whole.
    StringReader in("W10\nabc");
    ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
    std::vector<uint8_t> payload;
    EXPECT_FALSE(in.reader.read_payload(10, &payload));
    EXPECT_EQ(payload.size(), 3u);
  }
  {
    StringReader in("O/dev/nst0");
    EXPECT_EQ(in.reader.next(&r, &why), RmtReader::Result::kCut);
  }
  {
    StringReader in("W1000000000000\nxyz");  // far above the limit, then gone
    EXPECT_EQ(in.reader.next(&r, &why), RmtReader::Result::kCut);
  }
}

TEST(RmtProtocol, AFailedReadIsToldFromAnEnd) {
  RmtReader reader([](uint8_t*, size_t) -> ssize_t {
    errno = EIO;
    return -1;
  });
  RmtRequest r;
  RmtRefusal why;
  EXPECT_EQ(reader.next(&r, &why), RmtReader::Result::kEnd);
  EXPECT_EQ(reader.read_error(), EIO);
  StringReader ended("");
  EXPECT_EQ(ended.reader.next(&r, &why), RmtReader::Result::kEnd);
  EXPECT_EQ(ended.reader.read_error(), 0);
}

TEST(RmtProtocol, LargeRecordPayloadArrivesWhole) {
  std::string record(3 << 20, '\0');
  for (size_t i = 0; i < record.size(); ++i) record[i] = static_cast<char>(i * 7);
  StringReader in("W" + std::to_string(record.size()) + "\n" + record + "C\n", 1 << 20);
  RmtRequest r;
  RmtRefusal why;
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  std::vector<uint8_t> payload;
  ASSERT_TRUE(in.reader.read_payload(static_cast<size_t>(r.count), &payload));
  EXPECT_EQ(std::string(payload.begin(), payload.end()), record);
  ASSERT_EQ(in.reader.next(&r, &why), RmtReader::Result::kRequest);
  EXPECT_EQ(r.command, RmtCommand::kClose);
}

TEST(RmtProtocol, RepliesAndStatus) {
  EXPECT_EQ(rmt_ok(42), "A42\n");
  EXPECT_EQ(rmt_error(EIO, "bad\nline"), "E5\nbad line\n");
  EXPECT_EQ(rmt_fatal(EPIPE, "gone"), "F32\ngone\n");
  DriveStatus st;
  st.loaded = true;
  st.file = 3;
  st.block = 17;
  st.block_size = 512;
  MtStatus ms = mt_status_of(st);
  std::vector<uint8_t> g = encode_mtget(ms, MtgetLayout::kLinux64);
  ASSERT_EQ(g.size(), 48u);
  EXPECT_EQ(g[0], 0x72);          // mt_type MT_ISSCSI2
  EXPECT_EQ(g[16] | g[17] << 8, 512);  // mt_dsreg: the block size
  EXPECT_EQ(g[40], 3);            // mt_fileno
  EXPECT_EQ(g[44], 17);           // mt_blkno
  EXPECT_EQ(encode_mtget(ms, MtgetLayout::kLinux32).size(), 28u);
  int64_t v = 0;
  ASSERT_TRUE(mtget_field(ms, 'F', &v));
  EXPECT_EQ(v, 3);
  ASSERT_TRUE(mtget_field(ms, 'B', &v));
  EXPECT_EQ(v, 17);
  EXPECT_FALSE(mtget_field(ms, 'Z', &v));
  MtgetLayout layout;
  EXPECT_TRUE(parse_mtget_layout("linux-i386", &layout));
  EXPECT_EQ(layout, MtgetLayout::kLinux32);
  EXPECT_FALSE(parse_mtget_layout("sparc", &layout));
}

}  // namespace
}  // namespace vtape
