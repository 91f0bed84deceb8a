// The stream protocol of `vtape send` and `vtape receive` (issue 18),
// without any I/O: frames made into bytes and bytes cut into frames.  Byte
// by byte in man/vtape-stream.5.
//
// A frame is a type byte, a 4-byte big-endian payload length and the
// payload.  The length is checked against the type's own limit before a
// byte of the payload is taken or any memory is set aside for it: a record
// carries at most kStreamMaxRecord (16 MiB), every other frame far less.
//
//   sender -> receiver: HELLO, then RECORD and FILEMARK frames, then END
//   receiver -> sender: ACCEPT (or ERROR) after HELLO, ACK now and then,
//                       SUMMARY (or ERROR) after END
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tapeformat/base/status.h"

namespace vtape {

inline constexpr uint32_t kStreamMaxRecord = 16u << 20;  // 16 MiB
// Version 2: ACCEPT names the receiving library's digest algorithm.  A
// receiver still takes a version 1 HELLO (and answers it with a version 1
// ACCEPT).  Version 3: a HELLO may describe a prefix the receiver may hold
// already (overwrite 3).  A sender says version 3 only then, so a receiver
// of version 2 still takes its other streams; a receiver takes 1 to 3.
inline constexpr uint16_t kStreamVersion = 2;
inline constexpr uint16_t kStreamPrefixVersion = 3;
inline constexpr uint16_t kStreamOldestVersion = 1;
inline constexpr size_t kStreamFrameHeader = 5;  // type, length

enum class FrameType : uint8_t {
  kHello = 'H',
  kAccept = 'A',
  kRecord = 'R',
  kFilemark = 'F',
  kAck = 'K',
  kEnd = 'E',
  kSummary = 'S',
  kError = 'X',
};

// The largest payload a frame of `type` may carry; nullopt for a type that
// does not exist.
std::optional<uint32_t> max_payload(uint8_t type);

// What the receiver does with a cartridge that holds something already
// (StreamOverwrite in library/stream_target.h): 0 never, 1 always, 2 append.
using StreamId = std::array<uint8_t, 16>;

// The totals of a stream as one side counted them.
struct StreamTotals {
  uint64_t records = 0;
  uint64_t filemarks = 0;
  uint64_t bytes = 0;
  // Each tape file's digest (of the receiver's algorithm, StreamAccept,
  // over its records' bytes, hex, as the catalog keeps it), in order: a tape file ends at a filemark, and the
  // records after the last filemark (if any) are one more.
  std::vector<std::string> digests;
};

struct StreamHello {
  uint16_t version = kStreamVersion;  // of the sender's protocol
  StreamId id{};           // 128 random bits chosen by the sender, the same on every reconnection
  std::string volser;      // as the sender wrote it (the receiver normalizes and checks it)
  std::string format;      // of a cartridge made for the stream ("" the receiver's default)
  uint8_t overwrite = 0;   // 0 never, 1 always, 2 append, 3 keep the prefix (version 3)
  bool resume = false;     // a reconnection of a stream that started before
  uint32_t block_size = 0; // the sender's record size for `-` (0: records as they come)
  // Overwrite 3 (version 3): the stream continues a tape whose first
  // `prefix_objects` objects, whole tape files each ended by a filemark,
  // have the totals `prefix` (digests of the algorithm `prefix_digest`).
  // A receiver whose cartridge holds exactly that (nothing more) appends
  // after it and its ACCEPT names prefix_objects; otherwise it writes from
  // BOT (as overwrite 1) and its ACCEPT names 0.
  uint64_t prefix_objects = 0;
  std::string prefix_digest;
  StreamTotals prefix;
};

struct StreamAccept {
  uint64_t resume_from = 0;  // objects of this stream the receiver holds already
  // The digest algorithm of the receiving library ("xxh3-128", "sha256";
  // index/digest.h), which the tape files' digests in END and SUMMARY use.
  // Version 2 on; empty (sent as nothing, read as xxh3-128) for version 1.
  std::string digest;
};


std::string stream_id_hex(const StreamId& id);

// Whole frames, header included.
std::vector<uint8_t> encode_hello(const StreamHello& h);
std::vector<uint8_t> encode_accept(const StreamAccept& a);
std::vector<uint8_t> encode_record_header(uint32_t length);  // the payload follows
std::vector<uint8_t> encode_filemark();
std::vector<uint8_t> encode_ack(uint64_t durable_objects);
std::vector<uint8_t> encode_end(const StreamTotals& t);
std::vector<uint8_t> encode_summary(const StreamTotals& t);
// `retry`: the refusal may pass (the cartridge is still held by the
// receiver of a connection that broke): the sender tries again later.
std::vector<uint8_t> encode_error(const std::string& message, bool retry = false);

// Payload decoders: kCorrupt with the offset (within the payload) and what
// was expected when the payload does not follow the frame's layout.
Status decode_hello(std::span<const uint8_t> payload, StreamHello* out);
Status decode_accept(std::span<const uint8_t> payload, StreamAccept* out);
Status decode_ack(std::span<const uint8_t> payload, uint64_t* out);
Status decode_totals(std::span<const uint8_t> payload, StreamTotals* out);  // END and SUMMARY
// The message (made safe for a terminal) and whether to try again.
std::string decode_error(std::span<const uint8_t> payload, bool* retry = nullptr);

// The filemarks a tape holds after a stream with totals `t` was written
// and closed: st's close adds one after records (the stream ended with
// records when there is a digest for a tape file no filemark ended).
uint64_t filemarks_on_tape(const StreamTotals& t);

struct Frame {
  uint8_t type = 0;
  std::vector<uint8_t> payload;
};

// A frame whose payload is read where it lies (in the reader's buffer, or
// in a Frame).
struct FrameView {
  uint8_t type = 0;
  std::span<const uint8_t> payload;
  FrameView() = default;
  FrameView(uint8_t t, std::span<const uint8_t> p) : type(t), payload(p) {}
  FrameView(const Frame& f) : type(f.type), payload(f.payload) {}  // NOLINT: a Frame is a view of itself
};

// Cuts a byte stream into frames as the bytes arrive, checking each
// header before its payload is taken in.  `stream_offset` in its errors is
// the byte of the whole stream where the bad frame starts.
class FrameParser {
 public:
  // Takes `data`; returns how many bytes it used (it stops after a whole
  // frame so the caller can act on it, or at an error).
  size_t feed(std::span<const uint8_t> data);
  // A whole frame is ready: moved into *out, and the parser goes on.
  bool take(Frame* out);
  // The frame at the start of `data` without copying its payload, when
  // the parser is between frames, no frame is waiting to be taken, `data`
  // holds all of that frame and its header is valid: *out points into
  // `data`; returns the bytes it spans (header included), counted as
  // taken.  0 otherwise: feed() then takes the bytes (and reports a bad
  // header).  A receiver of large records copies each one once less.
  size_t take_in_place(std::span<const uint8_t> data, FrameView* out);
  // The stream is not a sequence of frames (an unknown type, a length over
  // the type's limit): the error, naming the byte offset and what was
  // expected; nothing more is taken after it.
  const Status& error() const { return error_; }
  // In the middle of a frame (for "the sender vanished mid-record").
  bool mid_frame() const { return have_header_ || header_used_ > 0; }
  uint64_t offset() const { return offset_; }

 private:
  std::array<uint8_t, kStreamFrameHeader> header_{};
  size_t header_used_ = 0;
  bool have_header_ = false;
  uint32_t length_ = 0;
  Frame current_;
  bool ready_ = false;
  uint64_t frame_start_ = 0;
  uint64_t offset_ = 0;  // bytes taken so far
  Status error_;
};

}  // namespace vtape
