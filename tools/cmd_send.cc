// vtape send: a stream of records and filemarks to a cartridge of a
// remote library over ssh (issue 18).  The StreamSender
// (library/stream_sender.h) runs `ssh HOST vtape receive`, keeps the window
// and resumes after a break; here are the options, the sources (standard
// input, an image, a cartridge of the local library) and the printing of
// both sides' totals and each tape file's digest.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "library/stream_protocol.h"
#include "library/stream_sender.h"
#include "tapeformat/base/json_writer.h"
#include "tapeformat/tape_image.h"
#include "tools/command_spec.h"
#include "tools/progress.h"

namespace vtape {
namespace {

constexpr const char* kHelp =
    "Sends SOURCE to the cartridge VOLSER of the library on HOST, over ssh:\n"
    "  tar -c /data | vtape send - backup@host:MIG001\n"
    "SOURCE is - (standard input, cut into records of --block-size), a tape image\n"
    "file, or a cartridge or tape file of the local library (VOL001, VOL001/2).\n"
    "Options:\n"
    "  --ssh-command CMD      how to reach HOST (default ssh; as rsync -e)\n"
    "  --receive-command CMD  what runs there (default: vtape receive)\n"
    "  --block-size N         record size for standard input (default 10240)\n"
    "  --format FMT           of the remote cartridge when it is made\n"
    "  --overwrite MODE       never (default), always or append\n"
    "  --retries N            reconnections after a broken link (default 5)\n"
    "  --retry-delay SECONDS  between them (default 5)\n"
    "  --window MIB           unacknowledged data in flight (default 64)\n"
    "  --json                 the summary as JSON\n"
    "See vtape-send(1) and vtape-stream(5).\n";

// Standard input cut into records of `block_size` (the last may be shorter).
Status send_stdin(StreamSender& s, uint32_t block_size, Progress& progress) {
  // Read in chunks of up to a MiB and cut into records here: a read (and
  // the poll before it) per record was a large part of the sender's cost.
  std::vector<uint8_t> buf(std::max<size_t>(block_size, 1u << 20));
  size_t have = 0;
  uint64_t total = 0;
  bool eof = false;
  while (!eof) {
    VTAPE_RETURN_IF_ERROR(s.wait_for_input(STDIN_FILENO));
    ssize_t n = ::read(STDIN_FILENO, buf.data() + have, buf.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::io_error("reading standard input", errno);
    if (n == 0) {
      eof = true;
    } else {
      have += static_cast<size_t>(n);
    }
    // Every whole record, and at the end what is left (a shorter last one).
    size_t at = 0;
    while (have - at >= block_size || (eof && have > at)) {
      size_t length = std::min<size_t>(block_size, have - at);
      StreamObject obj;
      obj.data = s.spare_buffer();
      obj.data.assign(buf.begin() + static_cast<std::ptrdiff_t>(at),
                      buf.begin() + static_cast<std::ptrdiff_t>(at + length));
      at += length;
      total += length;
      VTAPE_RETURN_IF_ERROR(s.add(std::move(obj)));
    }
    if (at > 0) {
      std::memmove(buf.data(), buf.data() + at, have - at);
      have -= at;
      progress.update(total);
    }
  }
  return Status::ok();
}

// The records and filemarks of an image, all of them or tape file `only`
// (its records and the filemark that ends it).
Status send_image(StreamSender& s, const std::string& path, std::optional<uint64_t> only, Progress& progress) {
  std::unique_ptr<TapeImage> image;
  VTAPE_RETURN_IF_ERROR(TapeImage::open(path, OpenOptions{}, &image));
  uint64_t file = 0;
  for (;;) {
    TapeObject obj;
    std::vector<uint8_t> data;
    Status st = image->read(&obj, &data);
    if (!st.is_ok()) return Status::io_error(image->describe(st), EIO);
    if (obj.kind == ObjectKind::kEndOfData) break;
    bool wanted = !only || *only == file;
    if (obj.kind == ObjectKind::kFilemark) {
      if (wanted) VTAPE_RETURN_IF_ERROR(s.add(StreamObject{true, {}}));
      if (only && *only == file) break;
      ++file;
    } else if (obj.kind == ObjectKind::kRecord && wanted) {
      VTAPE_RETURN_IF_ERROR(s.add(StreamObject{false, std::move(data)}));
    }
    progress.update(obj.offset + obj.stored_size);
  }
  if (only && file < *only) return Status::not_found(fmt::format("{} has no tape file {}", path, *only));
  return Status::ok();
}

void print_totals(const char* who, const StreamTotals& t) {
  fmt::print("{}: {} records, {} filemarks, {} bytes, {} tape files\n", who, t.records, t.filemarks, t.bytes,
             t.digests.size());
}

std::string check(const CommandLine& cl) {
  auto ow = cl.value("--overwrite");
  if (ow && *ow != "never" && *ow != "always" && *ow != "append") {
    return fmt::format("--overwrite {}: never, always or append", *ow);
  }
  const std::string& dest = cl.positional()[1];
  size_t colon = dest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == dest.size()) {
    return fmt::format("'{}': the destination is [USER@]HOST:VOLSER", dest);
  }
  return "";
}

void add_json_totals(JsonWriter& j, const char* key, const StreamTotals& t) {
  j.key(key).begin_object();
  j.field("records", t.records).field("filemarks", t.filemarks).field("bytes", t.bytes);
  j.key("digests").begin_array();
  for (const auto& d : t.digests) j.value(d);
  j.end_array().end_object();
}

int run(CommandContext& ctx) {
  StreamSenderOptions o;
  o.on_break = [](const StreamBreak& b) {
    fmt::print(stderr, "vtape send: {}; {} objects acknowledged, the next {} ({}) kept to send again; "
               "reconnecting in {}s ({} of {})\n", b.why, b.acknowledged, b.kept_objects, human_bytes(b.kept_bytes),
               b.delay, b.attempt, b.retries);
  };
  const std::string& source = ctx.positional()[0];
  const std::string& dest = ctx.positional()[1];
  size_t colon = dest.rfind(':');
  o.host = dest.substr(0, colon);
  o.volser = dest.substr(colon + 1);
  if (auto v = ctx.cl.value("--ssh-command")) o.ssh_command = *v;
  if (auto v = ctx.cl.value("--receive-command")) o.receive_command = *v;
  if (auto v = ctx.cl.value("--format")) o.format = *v;
  if (auto v = ctx.cl.value("--overwrite")) o.overwrite = *v == "always" ? 1 : *v == "append" ? 2 : 0;
  try {
    if (auto v = ctx.cl.value("--block-size")) o.block_size = static_cast<uint32_t>(std::stoul(*v));
    if (auto v = ctx.cl.value("--retries")) o.retries = std::stoi(*v);
    if (auto v = ctx.cl.value("--retry-delay")) o.retry_delay = std::stod(*v);
    if (auto v = ctx.cl.value("--window")) o.window = std::stoull(*v) << 20;
  } catch (const std::exception&) {
    return ctx.usage_error("--block-size, --retries, --retry-delay and --window take numbers");
  }
  if (o.block_size == 0 || o.block_size > kStreamMaxRecord) {
    return ctx.usage_error(fmt::format("--block-size: 1 to {}", kStreamMaxRecord));
  }
  ::signal(SIGPIPE, SIG_IGN);

  // What SOURCE is: -, an image file, or VOLSER[/FILE] of the local library.
  std::string image;
  std::optional<uint64_t> only;
  struct stat st {};
  if (source != "-" && ::stat(source.c_str(), &st) == 0) {
    image = source;
  } else if (source != "-") {
    size_t slash = source.find('/');
    std::string vol = source.substr(0, slash);
    std::optional<std::string> v = normalize_volser(vol);
    if (!v) return ctx.failure(fmt::format("{}: no such file, and no volume serial", source));
    if (slash != std::string::npos) {
      try {
        only = std::stoull(source.substr(slash + 1));
      } catch (const std::exception&) {
        return ctx.failure(fmt::format("{}: expected VOLSER/FILE with a tape file number", source));
      }
    }
    std::unique_ptr<TapeLibrary> lib;
    Cartridge c;
    Status s = TapeLibrary::open(ctx.library_dir(), false, &lib);
    if (s.is_ok()) s = lib->find(*v, &c);
    if (!s.is_ok()) return ctx.failure(fmt::format("{}: {}", source, s.message()));
    image = c.image_path;
    ::stat(image.c_str(), &st);
  }

  StreamSender sender(o);
  Progress progress("sending", image.empty() ? 0 : static_cast<uint64_t>(st.st_size));
  Status s = image.empty() ? send_stdin(sender, o.block_size, progress) : send_image(sender, image, only, progress);
  if (s.is_ok()) s = sender.finish();
  progress.finish();
  if (!s.is_ok()) return ctx.failure(fmt::format("{} to {}: {}", source, dest, s.message()));
  const StreamTotals& a = sender.sent();
  const StreamTotals& b = sender.received();
  bool same = a.records == b.records && a.bytes == b.bytes && filemarks_on_tape(a) == b.filemarks &&
              a.digests == b.digests;
  if (ctx.json) {
    JsonWriter j;
    j.begin_object().field("source", source).field("destination", dest).field("stream", stream_id_hex(sender.id()));
    add_json_totals(j, "sent", a);
    add_json_totals(j, "received", b);
    j.field("reconnections", static_cast<uint64_t>(sender.reconnections())).field("identical", same).end_object();
    fmt::print("{}\n", j.str());
  } else {
    print_totals("sent", a);
    print_totals("received", b);
    for (size_t i = 0; i < std::max(a.digests.size(), b.digests.size()); ++i) {
      std::string x = i < a.digests.size() ? a.digests[i] : "-";
      std::string y = i < b.digests.size() ? b.digests[i] : "-";
      fmt::print("tape file {}: {} {}{}\n", i, x, y, x == y ? "" : "  DIFFERENT");
    }
    if (sender.reconnections() > 0) fmt::print("reconnections: {}\n", sender.reconnections());
  }
  if (!same) return ctx.failure(fmt::format("{} does not hold what was sent (see above)", dest));
  return kExitOk;
}

}  // namespace

const CommandSpec kSendCommand{
    .name = "send",
    .summary = "send standard input, an image or a cartridge to a remote library over ssh",
    .usage = "vtape send [options] SOURCE [USER@]HOST:VOLSER",
    .help = kHelp,
    .flags = {"--json"},
    .options = {"--library", "--ssh-command", "--receive-command", "--block-size", "--format", "--overwrite",
                "--retries", "--retry-delay", "--window"},
    .min_positional = 2,
    .max_positional = 2,
    .positional_error = "takes SOURCE and [USER@]HOST:VOLSER",
    .opens = Opens::kNothing,
    .check = check,
    .run = run,
};

}  // namespace vtape
