#include "tapeformat/codec.h"

#include <fmt/format.h>

#include "tapeformat/aws_codec.h"
#include "tapeformat/simh_codec.h"
#include "tapeformat/tpc_codec.h"

namespace vtape {

Status Codec::write_record(ImageFile&, std::span<const uint8_t>, bool) {
  return Status::not_supported(fmt::format("the {} format is read only", format_name(format())));
}

Status Codec::write_filemark(ImageFile&) {
  return Status::not_supported(fmt::format("the {} format is read only", format_name(format())));
}

bool Codec::plausible_object_at(ImageFile& file, uint64_t offset) {
  // A resynchronisation point must start a run of well-formed objects that
  // reaches a record or the end of the data.  Tape marks alone are weak
  // evidence: any four zero bytes look like one, and damage next to zeros
  // would otherwise resynchronise half a word off.
  constexpr int kMaxObjects = 8;
  uint64_t at = offset;
  for (int i = 0; i < kMaxObjects; ++i) {
    TapeObject obj;
    uint64_t next = 0;
    if (!read_forward(file, at, &obj, nullptr, &next).is_ok()) return false;
    if (i == 0 && (obj.kind == ObjectKind::kEndOfData || obj.offset != offset)) return false;
    if (obj.kind == ObjectKind::kEndOfData || obj.kind == ObjectKind::kRecord) return true;
    at = next;
  }
  return true;
}

std::unique_ptr<Codec> make_codec(Format format, const WriteOptions& options) {
  switch (format) {
    case Format::kSimh: return std::make_unique<SimhCodec>(Format::kSimh, SimhFraming::kPadded);
    case Format::kE11: return std::make_unique<SimhCodec>(Format::kE11, SimhFraming::kUnpadded);
    case Format::kMtd: return std::make_unique<SimhCodec>(Format::kMtd, SimhFraming::kDetect);
    case Format::kAws: return std::make_unique<AwsCodec>(Format::kAws, options);
    case Format::kHet: return std::make_unique<AwsCodec>(Format::kHet, options);
    case Format::kTpc: return std::make_unique<TpcCodec>();
  }
  return nullptr;
}

}  // namespace vtape
