// The stream protocol (library/stream_protocol.h) on byte strings: frames
// made and parsed back, and every way a hostile stream can be wrong
// refused with the offset and what was expected, before any allocation.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "library/stream_protocol.h"

namespace vtape {
namespace {

std::vector<Frame> parse_all(const std::vector<uint8_t>& bytes, FrameParser& p, size_t chunk = 1) {
  std::vector<Frame> out;
  size_t pos = 0;
  while (pos < bytes.size() && p.error().is_ok()) {
    size_t n = std::min(chunk, bytes.size() - pos);
    size_t used = p.feed(std::span<const uint8_t>(bytes.data() + pos, n));
    pos += used;
    Frame f;
    while (p.take(&f)) out.push_back(std::move(f));
    if (used == 0 && !p.error().is_ok()) break;
  }
  return out;
}

void append(std::vector<uint8_t>& to, const std::vector<uint8_t>& bytes) { to.insert(to.end(), bytes.begin(), bytes.end()); }

// Frames taken in place where a read holds them whole, and fed to the
// parser where a read cuts them (as vtape receive does): the same frames
// and the same byte offsets whatever the chunking, and a bad header is
// left to feed() to report.
TEST(StreamProtocol, FramesTakenInPlaceAreTheFramesFeedGives) {
  std::vector<uint8_t> bytes = encode_record_header(5);
  append(bytes, {'h', 'e', 'l', 'l', 'o'});
  append(bytes, encode_filemark());
  append(bytes, encode_record_header(3));
  append(bytes, {'a', 'b', 'c'});
  append(bytes, encode_ack(9));
  for (size_t chunk : {size_t{1}, size_t{4}, size_t{9}, bytes.size()}) {
    FrameParser p;
    std::vector<std::pair<uint8_t, std::vector<uint8_t>>> got;
    size_t in_place = 0;
    for (size_t at = 0; at < bytes.size(); at += chunk) {
      std::span<const uint8_t> read(bytes.data() + at, std::min(chunk, bytes.size() - at));
      size_t pos = 0;
      while (pos < read.size()) {
        FrameView v;
        if (size_t used = p.take_in_place(read.subspan(pos), &v); used > 0) {
          got.emplace_back(v.type, std::vector<uint8_t>(v.payload.begin(), v.payload.end()));
          pos += used;
          ++in_place;
          continue;
        }
        pos += p.feed(read.subspan(pos));
        Frame f;
        while (p.take(&f)) got.emplace_back(f.type, f.payload);
      }
    }
    ASSERT_TRUE(p.error().is_ok()) << chunk;
    ASSERT_EQ(got.size(), 4u) << chunk;
    EXPECT_EQ(got[0].second, (std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o'}));
    EXPECT_EQ(got[1].first, static_cast<uint8_t>(FrameType::kFilemark));
    EXPECT_EQ(got[2].second, (std::vector<uint8_t>{'a', 'b', 'c'}));
    EXPECT_EQ(got[3].first, static_cast<uint8_t>(FrameType::kAck));
    EXPECT_EQ(p.offset(), bytes.size());
    if (chunk == bytes.size()) {
      EXPECT_EQ(in_place, 4u);
    }
  }
  FrameParser bad;
  std::vector<uint8_t> junk = {'Z', 0, 0, 0, 0};
  FrameView v;
  EXPECT_EQ(bad.take_in_place(junk, &v), 0u);
  bad.feed(junk);
  EXPECT_FALSE(bad.error().is_ok());
}

TEST(StreamProtocol, AConversationRoundTripsWhateverTheChunking) {
  StreamHello h;
  for (size_t i = 0; i < h.id.size(); ++i) h.id[i] = static_cast<uint8_t>(i * 7);
  h.volser = "MIG001";
  h.format = "aws";
  h.overwrite = 2;
  h.resume = true;
  h.block_size = 10240;
  StreamTotals t{3, 1, 12345, {"00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100"}};
  std::vector<uint8_t> bytes = encode_hello(h);
  std::vector<uint8_t> rec = encode_record_header(4);
  append(bytes, rec);
  append(bytes, {'a', 'b', 'c', 'd'});
  append(bytes, encode_filemark());
  append(bytes, encode_end(t));
  append(bytes, encode_ack(77));
  append(bytes, encode_error("no\x1b[2J way"));
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{7}, bytes.size()}) {
    FrameParser p;
    std::vector<Frame> frames = parse_all(bytes, p, chunk);
    ASSERT_TRUE(p.error().is_ok()) << p.error().message();
    ASSERT_EQ(frames.size(), 6u) << chunk;
    EXPECT_FALSE(p.mid_frame());
    StreamHello h2;
    ASSERT_TRUE(decode_hello(frames[0].payload, &h2).is_ok());
    EXPECT_EQ(h2.id, h.id);
    EXPECT_EQ(h2.volser, "MIG001");
    EXPECT_EQ(h2.format, "aws");
    EXPECT_EQ(h2.overwrite, 2);
    EXPECT_TRUE(h2.resume);
    EXPECT_EQ(h2.block_size, 10240u);
    EXPECT_EQ(frames[1].type, 'R');
    EXPECT_EQ(std::string(frames[1].payload.begin(), frames[1].payload.end()), "abcd");
    EXPECT_EQ(frames[2].type, 'F');
    EXPECT_TRUE(frames[2].payload.empty());
    StreamTotals t2;
    ASSERT_TRUE(decode_totals(frames[3].payload, &t2).is_ok());
    EXPECT_EQ(t2.records, 3u);
    EXPECT_EQ(t2.filemarks, 1u);
    EXPECT_EQ(t2.bytes, 12345u);
    EXPECT_EQ(t2.digests, t.digests);
    uint64_t acked = 0;
    ASSERT_TRUE(decode_ack(frames[4].payload, &acked).is_ok());
    EXPECT_EQ(acked, 77u);
    // An error message cannot drive the terminal it is shown on.
    bool retry = true;
    EXPECT_EQ(decode_error(frames[5].payload, &retry), "no?[2J way");
    EXPECT_FALSE(retry);
  }
}

TEST(StreamProtocol, AnUnknownTypeIsRefusedAtItsOffset) {
  std::vector<uint8_t> bytes = encode_filemark();
  append(bytes, {'Z', 0, 0, 0, 1, 0});
  FrameParser p;
  std::vector<Frame> frames = parse_all(bytes, p);
  EXPECT_EQ(frames.size(), 1u);
  ASSERT_FALSE(p.error().is_ok());
  EXPECT_EQ(p.error().offset(), 5u);
  EXPECT_NE(p.error().message().find("a frame type"), std::string::npos) << p.error().message();
  EXPECT_NE(p.error().message().find("0x5a"), std::string::npos) << p.error().message();
}

TEST(StreamProtocol, AnImpossibleLengthIsRefusedBeforeAnyAllocation) {
  // 4 GiB - 1 for a record, and one byte over the 16 MiB limit: refused on
  // the header alone.
  for (uint32_t length : {0xFFFFFFFFu, kStreamMaxRecord + 1}) {
    std::vector<uint8_t> bytes = encode_record_header(length);
    FrameParser p;
    EXPECT_EQ(p.feed(bytes), bytes.size());
    ASSERT_FALSE(p.error().is_ok());
    EXPECT_EQ(p.error().offset(), 1u);
    EXPECT_NE(p.error().message().find("at most 16777216"), std::string::npos) << p.error().message();
  }
  // A filemark carries nothing; an ACK exactly 8 bytes.
  FrameParser fm;
  fm.feed(std::vector<uint8_t>{'F', 0, 0, 0, 1, 'x'});
  EXPECT_FALSE(fm.error().is_ok());
  FrameParser ack;
  ack.feed(std::vector<uint8_t>{'K', 0, 0, 0, 9});
  EXPECT_FALSE(ack.error().is_ok());
  // 16 MiB exactly is a record.
  FrameParser big;
  big.feed(encode_record_header(kStreamMaxRecord));
  EXPECT_TRUE(big.error().is_ok());
  EXPECT_TRUE(big.mid_frame());
}

TEST(StreamProtocol, BadPayloadsNameWhatWasExpected) {
  StreamHello h;
  h.volser = "VOL001";
  std::vector<uint8_t> hello = encode_hello(h);
  std::vector<uint8_t> payload(hello.begin() + kStreamFrameHeader, hello.end());
  StreamHello out;
  std::vector<uint8_t> magic = payload;
  magic[0] = 'X';
  Status s = decode_hello(magic, &out);
  EXPECT_NE(s.message().find("magic VTSTREAM"), std::string::npos) << s.message();
  std::vector<uint8_t> version = payload;
  version[9] = 9;
  s = decode_hello(version, &out);
  EXPECT_NE(s.message().find("version 1"), std::string::npos) << s.message();
  std::vector<uint8_t> policy = payload;
  policy[26] = 7;
  s = decode_hello(policy, &out);
  EXPECT_NE(s.message().find("overwrite policy"), std::string::npos) << s.message();
  std::vector<uint8_t> cut(payload.begin(), payload.begin() + 20);
  s = decode_hello(cut, &out);
  EXPECT_NE(s.message().find("the stream id"), std::string::npos) << s.message();
  std::vector<uint8_t> longer = payload;
  longer.push_back(0);
  s = decode_hello(longer, &out);
  EXPECT_NE(s.message().find("the end of the HELLO frame"), std::string::npos) << s.message();
  // A digest count that the payload cannot hold.
  std::vector<uint8_t> totals(28, 0);
  totals[26] = 1;  // 256 digests, none there
  StreamTotals t;
  s = decode_totals(totals, &t);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("a digest"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace vtape
