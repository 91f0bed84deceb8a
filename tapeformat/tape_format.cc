#include "tapeformat/tape_format.h"

#include <algorithm>
#include <cctype>

#include "tapeformat/format_table.h"

namespace vtape {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string_view format_name(Format f) { return format_spec(f).name; }

std::optional<Format> parse_format(std::string_view name) {
  // A format's name, or one of its extensions without the dot ("tap").
  std::string n = lower(name);
  for (const auto& spec : format_table()) {
    if (spec.name == n) return spec.format;
    for (std::string_view ext : spec.extensions) {
      if (ext.substr(1) == n) return spec.format;
    }
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
  for (const auto& spec : format_table()) {
    for (std::string_view e : spec.extensions) {
      if (e == ext) return spec.format;
    }
  }
  return std::nullopt;
}

std::string_view format_extension(Format f) { return format_spec(f).extensions.front(); }

bool format_is_writable(Format f) { return format_spec(f).writable; }

bool format_is_simh_framed(Format f) { return format_spec(f).simh_framed; }

bool format_keeps_error_flags(Format f) { return format_is_simh_framed(f); }

uint32_t format_max_record_size(Format f) { return format_spec(f).max_record_size; }

const std::vector<Format>& all_formats() {
  static const std::vector<Format> formats = [] {
    std::vector<Format> out;
    for (const auto& spec : format_table()) out.push_back(spec.format);
    return out;
  }();
  return formats;
}

}  // namespace vtape
