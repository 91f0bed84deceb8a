// TPC: LE16 record length, data padded to an even length, no trailing
// length.  Read only.  Because nothing after a record says how long it was,
// moving backwards uses an index built on open: the offset of every 256th
// object, from which a backward step rescans at most 256 objects.  The index
// costs 8 bytes per 256 objects.
#pragma once

#include "tapeformat/codec.h"

namespace vtape {

class TpcCodec : public Codec {
 public:
  Format format() const override { return Format::kTpc; }
  Status attach(ImageFile& file) override;
  Status read_forward(ImageFile& file, uint64_t offset, TapeObject* obj,
                      std::vector<uint8_t>* data, uint64_t* next) override;
  Status read_backward(ImageFile& file, uint64_t offset, TapeObject* obj,
                       uint64_t* start) override;

 private:
  static constexpr uint64_t kCheckpointEvery = 256;
  std::vector<uint64_t> checkpoints_;  // offsets of objects 0, 256, 512, ...
  uint64_t indexed_end_ = 0;           // the index covers objects starting before this
};

}  // namespace vtape
