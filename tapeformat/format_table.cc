#include "tapeformat/format_table.h"

#include <algorithm>

#include "tapeformat/aws_codec.h"
#include "tapeformat/aws_format.h"
#include "tapeformat/simh_codec.h"
#include "tapeformat/simh_format.h"
#include "tapeformat/tpc_codec.h"

namespace vtape {
namespace {

// SIMH framing: a length word before and after the data, odd records padded
// to an even length (or not, for E11).
uint64_t simh_padded_size(uint64_t length, const WriteOptions&) { return 8 + length + (length & 1); }
uint64_t simh_unpadded_size(uint64_t length, const WriteOptions&) { return 8 + length; }

// AWS chunks: a 6-byte header per chunk of up to chunk_size bytes (one
// header for an empty record).
uint64_t aws_size(uint64_t length, const WriteOptions& options) {
  uint64_t chunk = std::clamp<uint32_t>(options.chunk_size, 1, aws::kMaxChunk);
  uint64_t chunks = std::max<uint64_t>(1, (length + chunk - 1) / chunk);
  return length + chunks * aws::kHeaderSize;
}

constexpr std::string_view kSimhExtensions[] = {".tap", ".simh"};
constexpr std::string_view kE11Extensions[] = {".e11"};
constexpr std::string_view kMtdExtensions[] = {".mtd"};
constexpr std::string_view kAwsExtensions[] = {".aws"};
constexpr std::string_view kHetExtensions[] = {".het"};
constexpr std::string_view kTpcExtensions[] = {".tpc"};

constexpr Format kReadBySimh[] = {Format::kSimh};
constexpr Format kReadByE11[] = {Format::kE11};
constexpr Format kReadBySimhFraming[] = {Format::kSimh, Format::kE11};
constexpr Format kReadByAws[] = {Format::kAws};
constexpr Format kReadByTpc[] = {Format::kTpc};

constexpr uint32_t kSimhEndOfMedium = simh::kEndOfMedium;

// Detection ranks: AWS's previous-length chain is the strongest evidence,
// then SIMH's trailing length words (SIMH and E11 read the same bytes unless
// a record has an odd length); TPC has no redundancy and comes last.
const FormatSpec kFormats[] = {
    {Format::kSimh, "simh", kSimhExtensions, true, kMaxRecordSize, simh_padded_size, true, kSimhEndOfMedium,
     2, kReadBySimh, true, false,
     [](const WriteOptions&) -> std::unique_ptr<Codec> {
       return std::make_unique<SimhCodec>(Format::kSimh, SimhFraming::kPadded);
     }},
    {Format::kE11, "e11", kE11Extensions, true, kMaxRecordSize, simh_unpadded_size, true, kSimhEndOfMedium,
     2, kReadByE11, true, false,
     [](const WriteOptions&) -> std::unique_ptr<Codec> {
       return std::make_unique<SimhCodec>(Format::kE11, SimhFraming::kUnpadded);
     }},
    // MTD is written padded (a codec that has read an unpadded MTD image
    // goes on writing it unpadded) and read either way.
    {Format::kMtd, "mtd", kMtdExtensions, true, kMaxRecordSize, simh_padded_size, true, kSimhEndOfMedium,
     0, kReadBySimhFraming, true, false,
     [](const WriteOptions&) -> std::unique_ptr<Codec> {
       return std::make_unique<SimhCodec>(Format::kMtd, SimhFraming::kDetect);
     }},
    {Format::kAws, "aws", kAwsExtensions, true, kMaxRecordSize, aws_size, false, std::nullopt,
     1, kReadByAws, true, false,
     [](const WriteOptions& o) -> std::unique_ptr<Codec> { return std::make_unique<AwsCodec>(Format::kAws, o); }},
    {Format::kHet, "het", kHetExtensions, true, kMaxRecordSize, aws_size, false, std::nullopt,
     0, kReadByAws, true, true,
     [](const WriteOptions& o) -> std::unique_ptr<Codec> { return std::make_unique<AwsCodec>(Format::kHet, o); }},
    {Format::kTpc, "tpc", kTpcExtensions, false, kTpcMaxRecordSize, nullptr, false, std::nullopt,
     3, kReadByTpc, false, false,
     [](const WriteOptions&) -> std::unique_ptr<Codec> { return std::make_unique<TpcCodec>(); }},
};

}  // namespace

std::span<const FormatSpec> format_table() { return kFormats; }

const FormatSpec& format_spec(Format f) {
  for (const auto& spec : kFormats) {
    if (spec.format == f) return spec;
  }
  return kFormats[0];
}

Format default_format() { return kFormats[0].format; }

std::string format_names(std::string_view separator, bool writable_only) {
  std::string out;
  for (const auto& spec : kFormats) {
    if (writable_only && !spec.writable) continue;
    if (!out.empty()) out += separator;
    out += spec.name;
  }
  return out;
}

std::string format_extensions(std::string_view separator) {
  std::string out;
  for (const auto& spec : kFormats) {
    for (std::string_view e : spec.extensions) {
      if (!out.empty()) out += separator;
      out += e;
    }
  }
  return out;
}

std::unique_ptr<Codec> make_codec(Format format, const WriteOptions& options) {
  return format_spec(format).make_codec(options);
}

}  // namespace vtape
