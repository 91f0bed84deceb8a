#include "tools/tool_support.h"

#include <fmt/format.h>

#include "tapeformat/format_table.h"
#include "tools/commands.h"

namespace vtape {

int usage_error(const std::string& command, const std::string& message, const std::string& usage) {
  fmt::print(stderr, "vtape {}: {}\nusage: {}\n", command, message, usage);
  return kExitUsage;
}

int failure(const std::string& command, const std::string& message) {
  fmt::print(stderr, "vtape {}: {}\n", command, message);
  return kExitFailure;
}

bool format_option(const CommandLine& cl, const std::string& name, std::optional<Format>* format,
                   std::string* error) {
  auto v = cl.value(name);
  if (!v) return true;
  *format = parse_format(*v);
  if (!*format) {
    *error = fmt::format("unknown format '{}' ({})", *v, format_names(", "));
    return false;
  }
  return true;
}

const std::vector<std::string>& write_option_names() {
  static const std::vector<std::string> names = {"--compress", "--level", "--chunk-size"};
  return names;
}

bool write_options(const CommandLine& cl, WriteOptions* options, std::string* error) {
  if (auto v = cl.value("--compress")) {
    auto c = parse_compression(*v);
    if (!c) {
      *error = fmt::format("unknown compression '{}' (zlib, bzip2, none)", *v);
      return false;
    }
    options->compression = *c;
  }
  if (auto v = cl.value("--level")) {
    auto n = parse_size(*v);
    if (!n || *n < 1 || *n > 9) {
      *error = fmt::format("--level takes 1 to 9, not '{}'", *v);
      return false;
    }
    options->level = static_cast<int>(*n);
  }
  if (auto v = cl.value("--chunk-size")) {
    auto n = parse_size(*v);
    if (!n || *n < 1 || *n > 65535) {
      *error = fmt::format("--chunk-size takes 1 to 65535, not '{}'", *v);
      return false;
    }
    options->chunk_size = static_cast<uint32_t>(*n);
  }
  return true;
}

bool open_for_reading(const std::string& command, const std::string& path,
                      std::optional<Format> format, std::unique_ptr<TapeImage>* image) {
  OpenOptions options;
  options.format = format;
  Status s = TapeImage::open(path, options, image);
  if (!s.is_ok()) {
    if (s.code() == StatusCode::kCorrupt) {
      failure(command, fmt::format("{}: not a tape image vtape can read: {}", path, s.message()));
    } else {
      failure(command, s.message());
    }
    return false;
  }
  return true;
}

}  // namespace vtape
