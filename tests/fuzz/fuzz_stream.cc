// libFuzzer target: the stream protocol's frame parser
// (library/stream_protocol.h) on the bytes a sender gives `vtape receive`,
// fed in uneven pieces as a pipe delivers them, and every frame's payload
// decoded as its type says.  Nothing may crash, hang or allocate more
// than a frame's limit.
#include <algorithm>
#include <cstdint>
#include <span>

#include "library/stream_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vtape::FrameParser parser;
  size_t pos = 0;
  size_t piece = size > 0 ? 1 + data[0] % 13 : 1;
  while (pos < size && parser.error().is_ok()) {
    size_t n = std::min(piece, size - pos);
    pos += parser.feed(std::span<const uint8_t>(data + pos, n));
    vtape::Frame f;
    while (parser.take(&f)) {
      switch (static_cast<vtape::FrameType>(f.type)) {
        case vtape::FrameType::kHello: {
          vtape::StreamHello h;
          (void)vtape::decode_hello(f.payload, &h);
          break;
        }
        case vtape::FrameType::kAccept: {
          vtape::StreamAccept a;
          (void)vtape::decode_accept(f.payload, &a);
          break;
        }
        case vtape::FrameType::kAck: {
          uint64_t n = 0;
          (void)vtape::decode_ack(f.payload, &n);
          break;
        }
        case vtape::FrameType::kEnd:
        case vtape::FrameType::kSummary: {
          vtape::StreamTotals t;
          (void)vtape::decode_totals(f.payload, &t);
          break;
        }
        case vtape::FrameType::kError: (void)vtape::decode_error(f.payload); break;
        default: break;
      }
    }
  }
  return 0;
}
