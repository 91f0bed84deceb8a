// vtape migrate: moves a cartridge's image to new storage, while a program
// may be writing to it (issue 19, man/vtape-migrate.1).  With a daemon
// serving the library the daemon does the work (library/migration_service.h:
// it outlives this process, which starts it, shows its progress and its
// report); without one, this command copies the image itself under the
// library's lock.  Ctrl-C before the switch aborts it.

#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "library/cartridge_migration.h"
#include "library/control_protocol.h"
#include "library/library_lock.h"
#include "library/migration_service.h"
#include "tapeformat/base/json_writer.h"
#include "tapeformat/format_table.h"
#include "tools/command_spec.h"
#include "tools/interrupt_guard.h"
#include "tools/progress.h"

namespace vtape {
namespace {

constexpr std::string_view kHelp =
    "Moves the image of cartridge VOLSER into DIR (made 0700 when missing),\n"
    "in FMT (the cartridge's format unless given), while it may be loaded and\n"
    "written: a bulk copy, copies of what was written since, a synchronous\n"
    "phase, then a switch between two records.  The copy is checked against\n"
    "the catalog's digests before the old image is deleted.\n"
    "  --to DIR        where the image goes (required)\n"
    "  --format FMT    simh, e11, mtd, aws, het\n"
    "  --keep-old      keep the old image after the switch\n"
    "  --simulate      copy and check into DIR, report, remove the copy: no switch\n"
    "  --abort         stop the migration of VOLSER (the original stays in use)\n"
    "  --resume        continue a migration cut short (a daemon that died)\n"
    "  --max-rate RATE read at most RATE bytes a second while the writer runs (50M)\n"
    "  --json          the report as one JSON document\n";

std::string check(const CommandLine& cl) {
  if (std::string bad = max_rate_error(cl); !bad.empty()) return bad;
  if (cl.has("--abort") && (cl.has("--resume") || cl.has("--to"))) return "--abort takes only VOLSER";
  if (!cl.has("--abort") && !cl.has("--resume") && !cl.has("--to")) return "--to DIR is required";
  if (cl.has("--resume") && cl.has("--to")) return "--resume continues where the migration was going: no --to";
  return "";
}

void print_report(const CommandContext& ctx, const MigrationReport& r) {
  if (ctx.json) {
    JsonWriter j;
    j.begin_object().field("volser", r.volser).field("result", describe(r.phase));
    j.field("from", r.from).field("from_format", r.from_format).field("to", r.to).field("to_format", r.to_format);
    if (r.drive >= 0) j.field("drive", static_cast<int64_t>(r.drive));
    j.field("bytes_read", r.counts.bytes_read).field("records_copied", r.counts.records_copied);
    j.field("records_recopied", r.counts.records_recopied).field("filemarks_copied", r.counts.filemarks_copied);
    j.field("passes", static_cast<int64_t>(r.passes)).field("longest_hold_ms", r.longest_hold_ms);
    j.field("elapsed_s", r.elapsed_s).field("message", r.message).end_object();
    fmt::print("{}\n", j.str());
    return;
  }
  fmt::print("{}: {} ({}) -> {} ({}): {}\n", r.volser, r.from, r.from_format, r.to, r.to_format, describe(r.phase));
  fmt::print("  {} read, {} records copied, {} recopied, {} filemarks, {} pass{}\n", human_bytes(r.counts.bytes_read),
             r.counts.records_copied, r.counts.records_recopied, r.counts.filemarks_copied, r.passes,
             r.passes == 1 ? "" : "es");
  fmt::print("  writer held at most {:.1f} ms; {:.2f} s in all\n", r.longest_hold_ms, r.elapsed_s);
  if (!r.message.empty()) fmt::print("  {}\n", r.message);
}

int finish(const CommandContext& ctx, const MigrationReport& r) {
  print_report(ctx, r);
  if (r.phase == MigrationPhase::kDone || r.phase == MigrationPhase::kSimulated) return kExitOk;
  return ctx.failure(fmt::format("{} was not migrated: {}", r.volser, r.message));
}

int run_migrate(CommandContext& ctx) {
  TapeLibrary& lib = *ctx.library;
  Cartridge c;
  if (Status s = lib.find(ctx.positional()[0], &c); !s.is_ok()) return ctx.failure(s.message());
  std::string payload;
  bool offline = false;
  if (ctx.cl.has("--abort")) {
    Status s = request_or_offline(
        lib, "migrate-abort " + c.volser, &payload,
        [&] { return CartridgeMigration::discard_interrupted(lib, c.volser); }, &offline);
    if (!s.is_ok()) return ctx.failure(s.message());
    if (!ctx.json) fmt::print("the migration of {} is stopped; it stays on {}\n", c.volser, c.image_path);
    return kExitOk;
  }
  MigrationRequest request;
  request.volser = c.volser;
  if (auto to = ctx.cl.value("--to")) {
    // Where the user said, made absolute here (the daemon's directory is
    // not ours); the control protocol is words, so no blanks.
    request.target_dir = std::filesystem::absolute(*to).lexically_normal().string();
    if (request.target_dir.find_first_of(" \t\r\n") != std::string::npos) {
      return ctx.failure(fmt::format("the target '{}' has a blank in its name, which vtape migrate cannot pass on",
                                     request.target_dir));
    }
  }
  request.format = ctx.format;
  request.simulate = ctx.cl.has("--simulate");
  request.keep_old = ctx.cl.has("--keep-old");
  request.resume = ctx.cl.has("--resume");
  std::string line = fmt::format("migrate {} {} {} {} {} {}", c.volser, request.resume ? "-" : request.target_dir,
                                 request.format ? format_name(*request.format) : "-",
                                 request.simulate ? "simulate" : "switch", request.keep_old ? "keep-old" : "retire",
                                 request.resume ? "resume" : "new");
  request.max_rate = max_rate_of(ctx.cl);
  if (request.max_rate != 0) line += fmt::format(" max-rate={}", request.max_rate);
  InterruptGuard guard;
  MigrationReport done;
  Status s = request_or_offline(
      lib, line, &payload,
      [&]() -> Status {
        // No daemon: the cartridge is in no drive; copied here.
        CartridgeMigration m(lib, request, nullptr);
        VTAPE_RETURN_IF_ERROR(m.prepare());
        std::thread worker([&m] { m.run(); });
        Progress progress(fmt::format("migrating {}", c.volser), m.report().source_size);
        while (!m.report().finished()) {
          if (InterruptGuard::interrupted()) m.abort();
          progress.update(m.report().counts.bytes_read);
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        worker.join();
        progress.finish();
        done = m.report();
        return Status::ok();
      },
      &offline);
  if (!s.is_ok()) return ctx.failure(s.message());
  if (offline) return finish(ctx, done);
  // The daemon migrates: its progress until it ends.
  MigrationReport r = parse_migration_status(payload);
  Progress progress(fmt::format("migrating {}", c.volser), r.source_size);
  bool abort_sent = false;
  while (!r.finished()) {
    if (InterruptGuard::interrupted() && !abort_sent) {
      abort_sent = control_request(lib.socket_path(), "migrate-abort " + c.volser, &payload).is_ok();
    }
    // The daemon answers once the migration has ended, or after 100 ms for
    // the progress line: the end is heard of at once, not at the next poll.
    if (Status q = control_request(lib.socket_path(), "migrate-status " + c.volser + " wait=100", &payload);
        !q.is_ok()) {
      return ctx.failure(fmt::format("lost the daemon while it migrated {}: {} (vtape migrate --resume {} goes on)",
                                     c.volser, q.message(), c.volser));
    }
    r = parse_migration_status(payload);
    progress.update(r.counts.bytes_read);
  }
  progress.finish();
  return finish(ctx, r);
}

}  // namespace

const CommandSpec kMigrateCommand{
    .name = "migrate",
    .summary = "move a cartridge's image to new storage, even while it is written",
    .usage = "vtape migrate VOLSER --to DIR [--format FMT] [--keep-old] [--simulate] [--max-rate RATE] [--json]\n"
             "       [--library DIR]\n"
             "       vtape migrate --abort VOLSER | --resume VOLSER [--max-rate RATE]",
    .help = kHelp,
    .flags = {"--json", "--keep-old", "--simulate", "--abort", "--resume"},
    .options = {"--library", "--to", "--format", "--max-rate"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "one VOLSER is needed",
    .opens = Opens::kLibrary,
    .check = check,
    .run = run_migrate,
};

}  // namespace vtape
