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
  // Two consecutive well-formed objects (or one followed by the end of the
  // file) make a convincing resynchronisation point; one alone is too easy
  // to find in random bytes.
  TapeObject obj;
  uint64_t next = 0;
  if (!read_forward(file, offset, &obj, nullptr, &next).is_ok()) return false;
  if (obj.kind == ObjectKind::kEndOfData || obj.offset != offset) return false;
  TapeObject second;
  uint64_t after = 0;
  return read_forward(file, next, &second, nullptr, &after).is_ok();
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
