// vtape events: the library's history from the catalog's events table
// (loads, unloads, tape files written, erasures, damage found, repairs,
// reconciliations, spool files), oldest first; --follow goes on printing
// events as the daemon records them, as `tail -f` does.

#include <csignal>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "tapeformat/base/json_writer.h"
#include "tools/catalog_support.h"
#include "tools/command_spec.h"

namespace vtape {
namespace {

constexpr const char* kHelp =
    "Prints the library's events (man/vtape-catalog.5, the events table) oldest first:\n"
    "time, drive, volume, kind and detail.  --since DATE keeps those recorded at or\n"
    "after DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z], UTC); --volser V those of one\n"
    "volume; --follow waits for new events and prints them as they come (Ctrl-C ends).\n"
    "--json: one document {\"events\": [...]}, or with --follow one object per line.\n";

struct EventsOptions {
  std::string since;  // catalog time, or empty
  std::string volser;
  bool follow = false;
};

std::string events_options(const CommandLine& cl, EventsOptions* o) {
  if (auto v = cl.value("--since")) {
    auto t = parse_iso_time(*v);
    if (!t) return fmt::format("--since takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[Z], not '{}'", *v);
    o->since = iso_utc(*t);
  }
  if (auto v = cl.value("--volser")) {
    auto volser = normalize_volser(*v);
    if (!volser) return fmt::format("'{}' is not a volume serial", *v);
    o->volser = *volser;
  }
  o->follow = cl.has("--follow");
  return "";
}

std::string check_events(const CommandLine& cl) {
  EventsOptions o;
  return events_options(cl, &o);
}

void event_json(JsonWriter& j, const EventRow& e) {
  j.begin_object().field("id", e.id).field("at", e.at);
  j.key("volser");
  if (e.volser.empty()) {
    j.null();
  } else {
    j.value(e.volser);
  }
  j.key("drive");
  if (e.drive < 0) {
    j.null();
  } else {
    j.value(e.drive);
  }
  j.field("kind", e.kind).field("detail", e.detail).end_object();
}

void print_event_text(const EventRow& e) {
  fmt::print("{}  {:<8} {:<6}  {:<10} {}\n", e.at, e.drive < 0 ? std::string("-") : fmt::format("drive {}", e.drive),
             e.volser.empty() ? "-" : e.volser, e.kind, e.detail);
}

int run_events(CommandContext& ctx) {
  EventsOptions o;
  (void)events_options(ctx.cl, &o);  // checked by check_events
  std::vector<EventRow> rows;
  if (Status s = ctx.catalog->events(0, o.since, o.volser, 0, &rows); !s.is_ok()) return ctx.failure(s.message());
  if (ctx.json && !o.follow) {
    JsonWriter j;
    j.begin_object().key("events").begin_array();
    for (const auto& e : rows) event_json(j, e);
    j.end_array().end_object();
    fmt::print("{}\n", j.str());
    return kExitOk;
  }
  int64_t last = 0;
  for (;;) {
    for (const auto& e : rows) {
      if (ctx.json) {
        JsonWriter j;
        event_json(j, e);
        fmt::print("{}\n", j.str());
      } else {
        print_event_text(e);
      }
      last = e.id;
    }
    if (!o.follow) return kExitOk;
    // A reader of a pipe that went away ends us with SIGPIPE, as tail -f.
    if (std::fflush(stdout) != 0) return kExitFailure;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    if (Status s = ctx.catalog->events(last, o.since, o.volser, 0, &rows); !s.is_ok()) {
      return ctx.failure(s.message());
    }
  }
}

}  // namespace

const CommandSpec kEventsCommand{
    .name = "events",
    .summary = "the library's history: loads, tape files written, damage, repairs",
    .usage = "vtape events [--since DATE] [--volser V] [--follow] [--json] [--library DIR]",
    .help = kHelp,
    .flags = {"--json", "--follow"},
    .options = {"--library", "--since", "--volser"},
    .max_positional = 0,
    .positional_error = "no arguments are taken",
    .opens = Opens::kCatalog,
    .check = check_events,
    .run = run_events,
};

}  // namespace vtape
