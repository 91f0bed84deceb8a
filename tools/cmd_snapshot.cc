// vtape snapshot: a point-in-time copy of a cartridge, even while it is
// being written (issue 19, man/vtape-snapshot.1), cataloged as a
// write-protected cartridge of its own.  The daemon serving the library
// takes it (it holds the drive); without one, this command does, under the
// library's lock.
#include <fmt/format.h>

#include "library/cartridge_snapshot.h"
#include "library/catalog_sync.h"
#include "library/library_lock.h"
#include "tapeformat/base/json_writer.h"
#include "tools/command_spec.h"
#include "tools/progress.h"

namespace vtape {
namespace {

constexpr std::string_view kHelp =
    "Copies cartridge VOLSER as it is now (every record written before, at a\n"
    "record boundary, while a program may go on writing to it) into a new\n"
    "cartridge, write-protected and cataloged with its tape files' digests.\n"
    "  --as NEWVOL  the new cartridge's volume serial (default: the first free\n"
    "               of SN0001 to SN9999)\n"
    "  --max-rate RATE  read at most RATE bytes a second (50M: 50 MiB/s)\n"
    "  --json       the report as one JSON document\n";

int run_snapshot(CommandContext& ctx) {
  TapeLibrary& lib = *ctx.library;
  Cartridge c;
  if (Status s = lib.find(ctx.positional()[0], &c); !s.is_ok()) return ctx.failure(s.message());
  std::string as = ctx.cl.value("--as").value_or("");
  if (!as.empty() && !normalize_volser(as)) {
    return ctx.usage_error(fmt::format("'{}' is not a volume serial (1 to 6 letters or digits)", as));
  }
  uint64_t max_rate = max_rate_of(ctx.cl);
  std::string request = fmt::format("snapshot {}", c.volser);
  if (!as.empty()) request += " " + as;
  if (max_rate != 0) request += fmt::format(" max-rate={}", max_rate);
  std::string payload;
  bool offline = false;
  SnapshotReport r;
  Status s = request_or_offline(
      lib, request, &payload,
      [&]() -> Status {
        std::unique_ptr<Catalog> catalog;
        VTAPE_RETURN_IF_ERROR(open_library_catalog(lib, &catalog));
        return snapshot_cartridge(lib, *catalog, c.volser, as, max_rate, nullptr, &r);
      },
      &offline);
  if (!s.is_ok()) return ctx.failure(s.message());
  if (!offline) r = parse_snapshot_report(payload);
  if (ctx.json) {
    JsonWriter j;
    j.begin_object().field("volser", r.volser).field("of", c.volser).field("image", r.image_path);
    j.field("image_size", r.image_size).field("records", r.counts.records_copied);
    j.field("filemarks", r.counts.filemarks_copied).field("followed_cut", r.followed_cut);
    j.field("longest_hold_ms", r.longest_hold_ms).end_object();
    fmt::print("{}\n", j.str());
  } else {
    fmt::print("{}: a snapshot of {}, {} records and {} filemarks ({}), write-protected{}\n", r.volser, c.volser,
               r.counts.records_copied, r.counts.filemarks_copied, human_bytes(r.image_size),
               r.followed_cut ? "; the tape was cut while it was copied, the snapshot followed the cut" : "");
  }
  return kExitOk;
}

}  // namespace

const CommandSpec kSnapshotCommand{
    .name = "snapshot",
    .summary = "a point-in-time copy of a cartridge, even while it is written",
    .usage = "vtape snapshot VOLSER [--as NEWVOL] [--max-rate RATE] [--json] [--library DIR]",
    .help = kHelp,
    .flags = {"--json"},
    .options = {"--library", "--as", "--max-rate"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "one VOLSER is needed",
    .opens = Opens::kLibrary,
    .check = max_rate_error,
    .run = run_snapshot,
};

}  // namespace vtape
