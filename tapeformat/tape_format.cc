#include "tapeformat/tape_format.h"

#include <algorithm>
#include <cctype>

namespace vtape {
namespace {

struct FormatEntry {
  Format format;
  std::string_view name;
  std::string_view extension;
  bool writable;
};

constexpr FormatEntry kFormats[] = {
    {Format::kSimh, "simh", ".tap", true}, {Format::kE11, "e11", ".e11", true},
    {Format::kMtd, "mtd", ".mtd", true},   {Format::kAws, "aws", ".aws", true},
    {Format::kHet, "het", ".het", true},   {Format::kTpc, "tpc", ".tpc", false},
};

const FormatEntry& entry(Format f) {
  for (const auto& e : kFormats) {
    if (e.format == f) return e;
  }
  return kFormats[0];
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string_view format_name(Format f) { return entry(f).name; }

std::optional<Format> parse_format(std::string_view name) {
  std::string n = lower(name);
  if (n == "tap") return Format::kSimh;
  for (const auto& e : kFormats) {
    if (e.name == n) return e.format;
  }
  return std::nullopt;
}

std::optional<Compression> parse_compression(std::string_view name) {
  std::string n = lower(name);
  if (n == "none") return Compression::kNone;
  if (n == "zlib") return Compression::kZlib;
  if (n == "bzip2" || n == "bzlib") return Compression::kBzip2;
  return std::nullopt;
}

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kZlib: return "zlib";
    case Compression::kBzip2: return "bzip2";
  }
  return "none";
}

std::optional<Format> format_from_extension(std::string_view path) {
  auto dot = path.rfind('.');
  auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return std::nullopt;
  }
  std::string ext = lower(path.substr(dot));
  for (const auto& e : kFormats) {
    if (e.extension == ext) return e.format;
  }
  if (ext == ".simh") return Format::kSimh;
  return std::nullopt;
}

bool format_is_writable(Format f) { return entry(f).writable; }

bool format_is_simh_framed(Format f) { return f == Format::kSimh || f == Format::kE11 || f == Format::kMtd; }

bool format_keeps_error_flags(Format f) { return format_is_simh_framed(f); }

uint32_t format_max_record_size(Format f) {
  return f == Format::kTpc ? kTpcMaxRecordSize : kMaxRecordSize;
}

const std::vector<Format>& all_formats() {
  static const std::vector<Format> formats = {Format::kSimh, Format::kE11, Format::kMtd,
                                              Format::kAws,  Format::kHet, Format::kTpc};
  return formats;
}

}  // namespace vtape
