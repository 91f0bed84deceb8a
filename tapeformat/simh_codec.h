// SIMH-style framing: LE32 length word, data, optional pad byte, LE32
// trailing length word.  One class serves three formats that differ only in
// the pad byte: SIMH pads odd records, E11 never pads, MTD is written padded
// and read either way (decided at the first odd-length record).
#pragma once

#include "tapeformat/codec.h"

namespace vtape {

enum class SimhFraming { kPadded, kUnpadded, kDetect };

class SimhCodec : public Codec {
 public:
  SimhCodec(Format format, SimhFraming framing) : format_(format), framing_(framing) {}

  Format format() const override { return format_; }
  Status read_forward(ImageFile& file, uint64_t offset, TapeObject* obj,
                      std::vector<uint8_t>* data, uint64_t* next) override;
  Status read_backward(ImageFile& file, uint64_t offset, TapeObject* obj,
                       uint64_t* start) override;
  Status write_record(ByteSink& sink, std::span<const uint8_t> data, bool error_flag) override;
  Status write_filemark(ByteSink& sink) override;
  bool records_in_place() const override { return true; }

 private:
  Format format_;
  SimhFraming framing_;
};

}  // namespace vtape
