// Cartridges and drives: vtape new, load, unload, protect, unprotect, status.
// load/unload/status talk to the running vtapefs through its control socket;
// with no daemon running, load and unload record the change in the library
// so the next mount starts with it.

#include <fmt/format.h>

#include "library/cartridge_removal.h"
#include "library/catalog_sync.h"
#include "library/control_protocol.h"
#include "library/drive_status_json.h"
#include "library/library_lock.h"
#include "library/spool_store.h"
#include "library/tape_library.h"
#include "tapeformat/base/json_writer.h"
#include "tapeformat/format_table.h"
#include "tools/cartridge_loading.h"
#include "tools/catalog_support.h"
#include "tools/changer_slots.h"
#include "tools/command_spec.h"
#include "tools/progress.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

std::optional<int> drive_number(const std::string& text) {
  if (text.empty() || text.size() > 3 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoi(text);
}

// DRIVE, when the first positional argument is one.
std::string check_drive(const CommandLine& cl) {
  if (cl.positional().empty() || drive_number(cl.positional()[0])) return "";
  return fmt::format("'{}' is not a drive number", cl.positional()[0]);
}

// --capacity SIZE (default kDefaultCapacity); a message when SIZE is too small.
std::string capacity_option(const CommandLine& cl, uint64_t* capacity) {
  *capacity = kDefaultCapacity;
  if (auto v = cl.value("--capacity")) {
    auto n = parse_size(*v);
    if (!n || *n < 64 * 1024) return fmt::format("--capacity takes a size of at least 64K, not '{}'", *v);
    *capacity = *n;
  }
  return "";
}

std::string check_new(const CommandLine& cl) {
  uint64_t capacity = 0;
  return capacity_option(cl, &capacity);
}

int run_new(CommandContext& ctx) {
  uint64_t capacity = 0;
  (void)capacity_option(ctx.cl, &capacity);  // checked by check_new
  const bool import_slot = ctx.cl.has("--import-slot");
  if (import_slot) {
    if (Status s = check_import_export_slot_free(*ctx.library); !s.is_ok()) return ctx.failure(s.message());
  }
  Cartridge c;
  Status s = ctx.library->create_cartridge(ctx.positional()[0], ctx.format.value_or(Format::kSimh), capacity, &c);
  if (!s.is_ok()) return ctx.failure(s.message());
  int slot = 0;
  if (import_slot) {
    if (Status placed = put_in_import_export_slot(*ctx.library, c.volser, &slot); !placed.is_ok()) {
      catalog_new_cartridge(*ctx.library, c);
      return ctx.failure(fmt::format("{} is made, in a storage slot: {}", c.volser, placed.message()));
    }
  }
  if (ctx.json) {
    JsonWriter j;
    j.begin_object().field("volser", c.volser).field("format", format_name(c.format)).field("capacity", c.capacity);
    j.field("image", c.image_path);
    if (import_slot) j.field("import_export_slot", slot);
    j.end_object();
    fmt::print("{}\n", j.str());
    catalog_new_cartridge(*ctx.library, c);
    return kExitOk;
  }
  fmt::print("{}: new {} cartridge, capacity {}, image {}{}\n", c.volser, format_name(c.format),
             human_bytes(c.capacity), c.image_path,
             import_slot ? fmt::format(", in the changer's import/export slot {}", slot) : "");
  catalog_new_cartridge(*ctx.library, c);
  return kExitOk;
}

int run_load(CommandContext& ctx) {
  TapeLibrary& lib = *ctx.library;
  int drive = *drive_number(ctx.positional()[0]);
  Cartridge c;
  if (Status s = lib.find(ctx.positional()[1], &c); !s.is_ok()) return ctx.failure(s.message());
  bool offline = false;
  Status s = load_cartridge(lib, drive, c, &offline);
  if (!s.is_ok()) return ctx.failure(s.message());
  if (ctx.json) {
    // loaded: in the drive now; false: recorded for the next mount.
    JsonWriter j;
    j.begin_object().field("volser", c.volser).field("drive", drive).field("loaded", !offline).end_object();
    fmt::print("{}\n", j.str());
  } else if (offline) {
    fmt::print("{} will be in drive {} when vtapefs mounts this library\n", c.volser, drive);
  } else {
    fmt::print("{} loaded in drive {}\n", c.volser, drive);
  }
  return kExitOk;
}

int run_unload(CommandContext& ctx) {
  TapeLibrary& lib = *ctx.library;
  int drive = *drive_number(ctx.positional()[0]);
  bool offline = false;
  Status s = unload_drive(lib, drive, &offline);
  if (!s.is_ok()) return ctx.failure(s.message());
  if (ctx.json) {
    JsonWriter j;
    j.begin_object().field("drive", drive).field("unloaded", !offline).end_object();
    fmt::print("{}\n", j.str());
  } else if (offline) {
    // No image was touched: only what the next mount loads changed.
    fmt::print("drive {} will be empty when vtapefs mounts this library (no vtapefs serves it now)\n", drive);
  } else {
    fmt::print("drive {} unloaded\n", drive);
  }
  return kExitOk;
}

int set_protection(CommandContext& ctx, bool on) {
  TapeLibrary& lib = *ctx.library;
  Cartridge c;
  if (Status s = lib.find(ctx.positional()[0], &c); !s.is_ok()) return ctx.failure(s.message());
  std::string payload;
  bool offline = false;
  Status s = request_or_offline(
      lib, fmt::format("protect {} {}", c.volser, on ? 1 : 0), &payload,
      [&]() -> Status {
        // No daemon: the library file and the catalog are updated here.
        VTAPE_RETURN_IF_ERROR(lib.set_protected(c.volser, on));
        std::unique_ptr<Catalog> catalog;
        if (lib.find(c.volser, &c).is_ok() && Catalog::open(lib.catalog_path(), &catalog).is_ok()) {
          return catalog->upsert_volume(volume_row(c));
        }
        return Status::ok();
      },
      &offline);
  if (!s.is_ok()) return ctx.failure(s.message());
  if (ctx.json) {
    JsonWriter j;
    j.begin_object().field("volser", c.volser).field("write_protected", on).end_object();
    fmt::print("{}\n", j.str());
  } else {
    fmt::print("{} is {}\n", c.volser, on ? "write-protected" : "writable");
  }
  return kExitOk;
}

// vtape rm: through the daemon when one serves the library (it knows what
// its drives hold), else here under the library's lock.
int run_rm(CommandContext& ctx) {
  TapeLibrary& lib = *ctx.library;
  Cartridge c;
  if (Status s = lib.find(ctx.positional()[0], &c); !s.is_ok()) return ctx.failure(s.message());
  std::string payload;
  bool offline = false;
  Status s = request_or_offline(
      lib, fmt::format("remove {}", c.volser), &payload,
      [&]() -> Status {
        std::unique_ptr<Catalog> catalog;
        if (Status cs = Catalog::open(lib.catalog_path(), &catalog); !cs.is_ok()) catalog.reset();
        return remove_cartridge(lib, catalog.get(), c.volser, lib.loaded(), SpoolStore::default_volser());
      },
      &offline);
  if (!s.is_ok()) return ctx.failure(s.message());
  if (ctx.json) {
    JsonWriter j;
    j.begin_object().field("removed", c.volser).field("image", c.image_path).end_object();
    fmt::print("{}\n", j.str());
  } else {
    fmt::print("{}: removed (image {})\n", c.volser, c.image_path);
  }
  return kExitOk;
}

int run_protect(CommandContext& ctx) { return set_protection(ctx, true); }
int run_unprotect(CommandContext& ctx) { return set_protection(ctx, false); }

int run_status(CommandContext& ctx) {
  std::optional<int> only;
  if (!ctx.positional().empty()) only = drive_number(ctx.positional()[0]);
  std::string payload;
  std::string request = fmt::format("status {}{}", ctx.json ? "json" : "text", only ? fmt::format(" {}", *only) : "");
  bool offline = false;
  Status s = request_or_offline(
      *ctx.library, request, &payload,
      [&]() {
        return Status::not_found(
            fmt::format("no vtapefs is running on this library ({})", ctx.library->socket_path()));
      },
      &offline);
  if (!s.is_ok()) return ctx.failure(s.message());
  fmt::print("{}", payload);
  return kExitOk;
}

}  // namespace

const CommandSpec kNewCommand{
    .name = "new",
    .summary = "create a cartridge in the library",
    .usage = "vtape new VOLSER [--format FMT] [--capacity SIZE] [--import-slot] [--json] [--library DIR] [--group G]",
    .help = "Creates an empty cartridge (a tape image) in the library. SIZE takes K, M, G.\n"
            "FMT is any writable format of vtape-formats(5) (`vtape --help` lists them).\n"
            "A library made here is only its owner's (0700), or shared with group G (02770).\n"
            "--import-slot puts it in the changer's import/export slot, not a storage slot\n"
            "(vtape-changer(1)).\n",
    .flags = {"--json", "--import-slot"},
    .options = {"--library", "--format", "--capacity", "--group"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "wrong number of arguments",
    .opens = Opens::kNewLibrary,
    .check = check_new,
    .run = run_new,
};

const CommandSpec kRmCommand{
    .name = "rm",
    .summary = "remove a cartridge (its image) from the library",
    .usage = "vtape rm VOLSER [--json] [--library DIR]",
    .help = "Removes a cartridge: its description, its image and its rows in the catalog.\n"
            "Refused while it is in a drive, while it is write-protected, and for the spool\n"
            "cartridge.\n",
    .flags = {"--json"},
    .options = {"--library"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "one VOLSER",
    .opens = Opens::kLibrary,
    .run = run_rm,
};

const CommandSpec kLoadCommand{
    .name = "load",
    .summary = "load a cartridge into a drive",
    .usage = "vtape load DRIVE VOLSER [--json] [--library DIR]",
    .help = "Loads a cartridge into a drive of the running vtapefs.\n",
    .flags = {"--json"},
    .options = {"--library"},
    .min_positional = 2,
    .max_positional = 2,
    .positional_error = "wrong number of arguments",
    .opens = Opens::kLibrary,
    .check = check_drive,
    .run = run_load,
};

const CommandSpec kUnloadCommand{
    .name = "unload",
    .summary = "take the cartridge out of a drive",
    .usage = "vtape unload DRIVE [--json] [--library DIR]",
    .help = "Takes the cartridge out of a drive.\n",
    .flags = {"--json"},
    .options = {"--library"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "wrong number of arguments",
    .opens = Opens::kLibrary,
    .check = check_drive,
    .run = run_unload,
};

const CommandSpec kProtectCommand{
    .name = "protect",
    .summary = "write-protect a cartridge",
    .usage = "vtape protect VOLSER [--json] [--library DIR]",
    .help = "Write-protects a cartridge.\n",
    .flags = {"--json"},
    .options = {"--library"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "wrong number of arguments",
    .opens = Opens::kLibrary,
    .run = run_protect,
};

const CommandSpec kUnprotectCommand{
    .name = "unprotect",
    .summary = "allow writing to a cartridge again",
    .usage = "vtape unprotect VOLSER [--json] [--library DIR]",
    .help = "Allows writing to a cartridge again.\n",
    .flags = {"--json"},
    .options = {"--library"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "wrong number of arguments",
    .opens = Opens::kLibrary,
    .run = run_unprotect,
};

const CommandSpec kStatusCommand{
    .name = "status",
    .summary = "drives of the running vtapefs: cartridge, position, status",
    .usage = "vtape status [DRIVE] [--json] [--library DIR]",
    .help = "Shows each drive of the running vtapefs: cartridge, position, status bits.\n",
    .flags = {"--json"},
    .options = {"--library"},
    .max_positional = 1,
    .positional_error = "one DRIVE at most",
    .opens = Opens::kLibrary,
    .check = check_drive,
    .run = run_status,
};

}  // namespace vtape
