// vtape write: puts files (or standard input) on an image as tape files,
// cut into records of one size (the last may be shorter), each file followed
// by a filemark, as `dd obs=N` to a no-rewind tape device would.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "tapeformat/base/json_writer.h"
#include "tools/command_spec.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

// Fills buf from fd as far as it can; returns bytes read (0 at end).
ssize_t read_full(int fd, uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, buf + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

// --record-size N (default 10240); a message when N is not a record size.
std::string record_size_option(const CommandLine& cl, uint64_t* record_size) {
  *record_size = 10240;
  if (auto v = cl.value("--record-size")) {
    auto n = parse_size(*v);
    if (!n || *n == 0 || *n > kMaxRecordSize) {
      return fmt::format("--record-size takes 1 to {}, not '{}'", kMaxRecordSize, *v);
    }
    *record_size = *n;
  }
  return "";
}

std::string check_write(const CommandLine& cl) {
  WriteOptions wopts;
  std::string err;
  uint64_t record_size = 0;
  if (!write_options(cl, &wopts, &err)) return err;
  return record_size_option(cl, &record_size);
}

int run_write(CommandContext& ctx) {
  const CommandLine& cl = ctx.cl;
  const std::optional<Format>& format = ctx.format;
  WriteOptions wopts;
  std::string err;
  uint64_t record_size = 0;
  (void)write_options(cl, &wopts, &err);  // checked by check_write
  (void)record_size_option(cl, &record_size);
  const std::string& path = cl.positional()[0];
  std::vector<std::string> inputs(cl.positional().begin() + 1, cl.positional().end());
  if (inputs.empty()) inputs.push_back("-");

  std::unique_ptr<TapeImage> image;
  Status s;
  if (cl.has("--append") && access(path.c_str(), F_OK) == 0) {
    OpenOptions o;
    o.writable = true;
    o.format = format;
    o.write = wopts;
    s = TapeImage::open(path, o, &image);
    if (s.is_ok()) s = image->seek_end_of_data();
  } else {
    if (!cl.has("--force") && !cl.has("--append") && access(path.c_str(), F_OK) == 0) {
      return failure("write", fmt::format("{} exists; --append adds to it, --force replaces it", path));
    }
    Format f = format.value_or(format_from_extension(path).value_or(Format::kSimh));
    s = TapeImage::create(path, f, wopts, /*overwrite=*/true, &image);
  }
  if (!s.is_ok()) return failure("write", image ? image->describe(s) : s.message());

  std::vector<uint8_t> buf(record_size);
  uint64_t records = 0, bytes = 0;
  for (const auto& input : inputs) {
    int fd = input == "-" ? STDIN_FILENO : ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return failure("write", Status::io_error(fmt::format("cannot open {}", input), errno).message());
    for (;;) {
      ssize_t n = read_full(fd, buf.data(), buf.size());
      if (n < 0) return failure("write", Status::io_error(fmt::format("cannot read {}", input), errno).message());
      if (n == 0) break;
      s = image->write_record(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)));
      if (!s.is_ok()) return failure("write", image->describe(s));
      ++records;
      bytes += static_cast<uint64_t>(n);
    }
    if (fd != STDIN_FILENO) ::close(fd);
    s = image->write_filemark();
    if (!s.is_ok()) return failure("write", image->describe(s));
  }
  s = image->sync();
  if (s.is_ok()) s = image->close();
  if (!s.is_ok()) return failure("write", s.message());
  if (ctx.json) {
    JsonWriter j;
    j.begin_object().field("image", path).field("format", format_name(image->format()));
    j.field("tape_files", static_cast<uint64_t>(inputs.size())).field("records", records).field("bytes", bytes);
    j.end_object();
    fmt::print("{}\n", j.str());
  } else {
    fmt::print(stderr, "{}: wrote {} tape file(s), {} records, {} bytes\n", path, inputs.size(), records, bytes);
  }
  return kExitOk;
}

}  // namespace

const CommandSpec kWriteCommand{
    .name = "write",
    .summary = "write files (or standard input) to an image as tape files",
    .usage = "vtape write IMAGE [FILE...|-] [--record-size N] [--append] [--force] [--format FMT] [--json]\n"
             "                  [--compress zlib|bzip2|none] [--level 1-9] [--chunk-size N]",
    .help = "Writes each FILE (standard input for - or none) to IMAGE as one tape file of\n"
            "records of --record-size bytes (default 10240), followed by a filemark.\n",
    .flags = {"--append", "--force", "--json"},
    .options = concat({{"--record-size", "--format"}, write_option_names()}),
    .min_positional = 1,
    .positional_error = "IMAGE is needed",
    .check = check_write,
    .run = run_write,
};

}  // namespace vtape
