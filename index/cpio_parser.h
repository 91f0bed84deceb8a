// Reads cpio member headers out of a tape file's byte stream: the "new"
// ASCII formats (070701, 070702 with CRC), the portable "odc" format
// (070707) and the old binary format (0x71C7 in either byte order).
#pragma once

#include <span>

#include "index/stream_parser.h"

namespace vtape {

bool is_cpio_start(std::span<const uint8_t> first_record);

class CpioParser : public StreamParser {
 public:
  CpioParser() { expect(6); }
  void finish() override;

 private:
  enum class Phase { kMagic, kHeader, kName };
  enum class Flavor { kNewc, kOdc, kBinaryLE, kBinaryBE };
  void on_bytes(std::span<const uint8_t> bytes) override;
  void on_header(std::span<const uint8_t> rest);
  void on_name(std::span<const uint8_t> name);

  Phase phase_ = Phase::kMagic;
  Flavor flavor_ = Flavor::kNewc;
  uint64_t header_at_ = 0;
  TapeMember current_;
  uint64_t name_size_ = 0;
  bool trailer_seen_ = false;
  std::vector<uint8_t> magic_tail_;  // binary format: header bytes read with the magic
};

}  // namespace vtape
