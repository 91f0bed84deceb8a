// The rmt protocol (rmt(8), the remote tape of tar, cpio, mt and dump) as
// vtape rmt serves it: reading a client's commands from a byte stream and
// writing the replies, with no drive and no I/O of its own, so that it is
// tested with byte strings.  man/vtape-rmt.1 describes what is served.
//
// Every command is one letter and its arguments, each ended by a newline:
//   O name \n flags \n     open (flags: a number, optionally followed by
//                          symbolic flags "O_RDWR|O_CREAT", which win)
//   C name \n              close
//   L a \n b \n            lseek (offset and whence, in either order)
//   W count \n <bytes>     write one record
//   R count \n             read one record of at most count bytes
//   I op \n count \n       MTIOCTOP; I-1\n0\n asks for RMT V1
//   i op \n count \n       RMT V1 extended operations
//   S                      MTIOCGET as the binary struct mtget
//   s X                    RMT V1: one field of struct mtget, as a number
//   v \n                   RMT V1: the protocol version
// Replies: "A<number>\n" (then the data for R and S), "E<errno>\n<text>\n",
// and "F<errno>\n<text>\n" before the server ends the session.
//
// The client is not trusted: a line longer than kRmtMaxLine, a count above
// the record limit, a number that is not one, an unknown command: each is
// reported (RmtReader::next gives kBad with the errno and text to reply)
// after the rest of the offending line is skipped, and the stream stays in
// step.  Nothing allocates more than the limits whatever the client sends.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "library/tape_drive.h"

namespace vtape {

// The longest command or argument line accepted (a device name included).
inline constexpr size_t kRmtMaxLine = 4096;
// The largest record a W may carry and an R may ask for: every write of
// the clients (tar -b 2048 is 1 MiB) and more, bounded so that a count sent
// by a client never decides how much memory the server takes.  An R asking
// for more gets at most this much (as rmt(8) clamps to its buffer).
inline constexpr size_t kRmtMaxRecord = 16u << 20;
// The protocol version this server speaks (the answer to I-1 and v).
inline constexpr int kRmtVersion = 1;

enum class RmtCommand {
  kOpen,
  kClose,
  kLseek,
  kWrite,
  kRead,
  kIoctl,          // I: op in the client's numbering (Linux's, or RMT V1's after I-1)
  kExtendedIoctl,  // i: RMT V1 extended op
  kStatus,         // S
  kStatusField,    // s
  kVersion,        // v
};

// What O asks for, in this system's open(2) terms.
struct RmtOpenFlags {
  int access = 0;  // O_RDONLY, O_WRONLY or O_RDWR
  bool create = false;
  bool nonblocking = false;
  bool writable() const;
};

struct RmtRequest {
  RmtCommand command = RmtCommand::kClose;
  std::string name;        // O, C: the name the client sent
  RmtOpenFlags flags;      // O
  int64_t count = 0;       // W, R: bytes; I, i: the operation's count; L: the offset
  int64_t op = 0;          // I, i: the operation number; L: whence
  char field = 0;          // s: the field letter
};

// A request the reader refused: the errno and the text to reply with.
struct RmtRefusal {
  int error = 0;
  std::string message;
};

// Reads commands from a byte source: `read(buffer, n)` returns how many
// bytes it put (0 at the end of the input, -1 on an error).
class RmtReader {
 public:
  using Source = std::function<ssize_t(uint8_t* buffer, size_t n)>;
  explicit RmtReader(Source source) : source_(std::move(source)) {}

  enum class Result {
    kRequest,  // *request is the next command
    kBad,      // *refusal says why; reply it and go on
    kEnd,      // the input ended (or failed) between commands
    kCut,      // the input ended in the middle of a command
  };
  Result next(RmtRequest* request, RmtRefusal* refusal);
  // W's record: exactly n bytes (n <= kRmtMaxRecord) into *out; false when
  // the input ended first (the record is then not whole).
  bool read_payload(size_t n, std::vector<uint8_t>* out);
  // The errno of a read of the source that failed (0: the input ended).
  int read_error() const { return read_error_; }

 private:
  // One byte; nullopt at the end of the input.
  std::optional<uint8_t> get();
  // One argument line (without its newline).  kBad when longer than
  // kRmtMaxLine (the rest is skipped up to its newline), kCut at the end.
  Result line(std::string* out, RmtRefusal* refusal);
  Result number_line(const char* what, int64_t* out, RmtRefusal* refusal);

  Source source_;
  std::vector<uint8_t> buffer_ = std::vector<uint8_t>(64 * 1024);
  size_t start_ = 0;
  size_t end_ = 0;
  bool ended_ = false;
  int read_error_ = 0;
};

// Parses O's flags line: "66", "2 O_RDWR|O_CREAT" (the symbolic flags win
// over the number, which is the client's own system's).  False when it is
// not a number or names a flag nobody has; *error says which.
bool parse_open_flags(std::string_view text, RmtOpenFlags* flags, std::string* error);
// L's two numbers, in either order: the one that is 0, 1 or 2 and not the
// other is whence (offset 0..2 with whence 0..2 reads as GNU tar sends it,
// offset first).  False when neither can be whence.
bool parse_lseek(int64_t first, int64_t second, int64_t* offset, int* whence);

// The MTIOCTOP operation (Linux's <sys/mtio.h> number, which every door of
// the server executes: library/mtio_mapping.h on a cartridge's drive, an
// ioctl on a drive of the mount) that an I or i asks for.  `v1`: the
// client sent I-1, so I's operations 0..7 are RMT V1's portable numbers (0
// is a filemark, 5 a rewind) and the rest Linux's; before it, Linux's.
// An error (EINVAL) for a number outside int or an unknown i operation.
int rmt_mt_operation(RmtCommand command, int64_t op, int64_t count, bool v1, int* mt_op, int* mt_count);

// struct mtget's fields, whatever door they come from.
struct MtStatus {
  int64_t type = 0;
  int64_t resid = 0;
  int64_t dsreg = 0;
  int64_t gstat = 0;
  int64_t erreg = 0;
  int32_t fileno = 0;
  int32_t blkno = 0;
};
// What st's MTIOCGET gives for a drive in this state.
MtStatus mt_status_of(const DriveStatus& status);

// The layout of struct mtget that S sends: the client's, which the server
// cannot know (x86-64 Linux unless the server is told otherwise).
enum class MtgetLayout { kLinux64, kLinux32 };
bool parse_mtget_layout(std::string_view name, MtgetLayout* layout);
std::vector<uint8_t> encode_mtget(const MtStatus& status, MtgetLayout layout);
// s's fields: T type, D dsreg, E erreg, R resid, F fileno, B blkno,
// f flags, b blocking factor.  False for another letter.
bool mtget_field(const MtStatus& status, char field, int64_t* value);

// Replies.  Texts are put on one line (control characters become spaces).
std::string rmt_ok(int64_t value);
std::string rmt_error(int error, std::string_view message);
std::string rmt_fatal(int error, std::string_view message);

}  // namespace vtape
