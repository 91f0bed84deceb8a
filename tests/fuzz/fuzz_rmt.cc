// libFuzzer target: the rmt command reader (tools/rmt_protocol.h) on the
// bytes a client sends vtape rmt, as the session reads them: every request
// parsed, W's records taken, operations mapped, replies made.  Nothing may
// crash, hang or take more memory than the reader's limits.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tools/rmt_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t pos = 0;
  vtape::RmtReader reader([&](uint8_t* buf, size_t n) -> ssize_t {
    size_t take = std::min(n, size - pos);
    std::memcpy(buf, data + pos, take);
    pos += take;
    return static_cast<ssize_t>(take);
  });
  std::vector<uint8_t> record;
  bool v1 = false;
  for (;;) {
    vtape::RmtRequest r;
    vtape::RmtRefusal why;
    vtape::RmtReader::Result result = reader.next(&r, &why);
    if (result == vtape::RmtReader::Result::kEnd || result == vtape::RmtReader::Result::kCut) break;
    if (result == vtape::RmtReader::Result::kBad) {
      (void)vtape::rmt_error(why.error, why.message);
      continue;
    }
    switch (r.command) {
      case vtape::RmtCommand::kWrite:
        if (!reader.read_payload(static_cast<size_t>(r.count), &record)) return 0;
        break;
      case vtape::RmtCommand::kIoctl:
      case vtape::RmtCommand::kExtendedIoctl: {
        if (r.op == -1 && r.count == 0) v1 = true;
        int op = 0, count = 0;
        (void)vtape::rmt_mt_operation(r.command, r.op, r.count, v1, &op, &count);
        break;
      }
      case vtape::RmtCommand::kStatusField: {
        int64_t value = 0;
        (void)vtape::mtget_field(vtape::MtStatus{}, r.field, &value);
        break;
      }
      default: (void)vtape::rmt_ok(r.count); break;
    }
  }
  return 0;
}
