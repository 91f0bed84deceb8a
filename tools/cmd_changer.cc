// vtape changer: a media changer with the interface of Bacula's mtx-changer
// script (COMMAND SLOT ARCHIVE-DEVICE DRIVE-INDEX), so backup software can
// load and unload the library's cartridges in the running vtapefs's drives.
// What the changer shows and the moves it makes are tools/changer_view.h;
// barcodes are the volsers.  `list` shows the storage slots only, as
// mtx-changer's does: a cartridge in the import/export slot is out of the
// backup software's reach until it is transferred into one.

#include <fmt/format.h>

#include <set>
#include <vector>

#include "tapeformat/base/json_writer.h"
#include "tools/changer_view.h"
#include "tools/command_spec.h"

namespace vtape {
namespace {

const std::set<std::string> kChangerCommands = {"list", "listall", "slots", "loaded", "load", "unload", "transfer"};

std::string positional(const CommandLine& cl, size_t i) {
  return i < cl.positional().size() ? cl.positional()[i] : std::string();
}

std::string check_changer(const CommandLine& cl) {
  std::string command = positional(cl, 0);
  if (kChangerCommands.count(command) == 0) {
    return fmt::format("unknown changer command '{}' (list, listall, slots, loaded, load, unload, transfer)", command);
  }
  bool needs_slot = command == "load" || command == "unload" || command == "transfer";
  if (needs_slot && cl.positional().size() < 2) return fmt::format("{} needs a SLOT", command);
  if (cl.positional().size() >= 2 && !parse_element_number(positional(cl, 1))) {
    return fmt::format("'{}' is not a slot number", positional(cl, 1));
  }
  if (command == "transfer" && !parse_element_number(positional(cl, 2))) {
    return fmt::format("transfer needs a destination slot, not '{}'", positional(cl, 2));
  }
  if (cl.positional().size() >= 4 && !parse_element_number(positional(cl, 3))) {
    return fmt::format("'{}' is not a drive index", positional(cl, 3));
  }
  return "";
}

void print_list(const CommandContext& ctx, const ChangerView& view) {
  JsonWriter j;
  j.begin_array();
  for (int slot = 1; slot <= view.slots.count; ++slot) {
    std::string volser = view.in_slot(slot);
    if (volser.empty()) continue;
    if (ctx.json) {
      j.begin_object().field("slot", slot).field("barcode", volser).end_object();
    } else {
      fmt::print("{}:{}\n", slot, volser);
    }
  }
  j.end_array();
  if (ctx.json) fmt::print("{}\n", j.str());
}

void print_listall(const CommandContext& ctx, const ChangerView& view) {
  JsonWriter j;
  j.begin_object().key("drives").begin_array();
  for (size_t d = 0; d < view.drives.size(); ++d) {
    const std::string& volser = view.drives[d];
    int slot = volser.empty() ? 0 : view.slots.slot_of(volser);
    if (ctx.json) {
      j.begin_object().field("drive", static_cast<int>(d)).field("full", !volser.empty());
      if (!volser.empty()) j.field("slot", slot).field("barcode", volser);
      j.end_object();
    } else if (volser.empty()) {
      fmt::print("D:{}:E\n", d);
    } else {
      fmt::print("D:{}:F:{}:{}\n", d, slot, volser);
    }
  }
  j.end_array().key("slots").begin_array();
  // The storage slots, then the import/export slot (I: lines).
  for (int slot = 1; slot <= view.slots.import_export_slot(); ++slot) {
    std::string volser = view.in_slot(slot);
    bool import_export = slot == view.slots.import_export_slot();
    if (ctx.json) {
      j.begin_object().field("slot", slot).field("full", !volser.empty());
      if (!volser.empty()) j.field("barcode", volser);
      if (import_export) j.field("import_export", true);
      j.end_object();
    } else if (volser.empty()) {
      fmt::print("{}:{}:E\n", import_export ? 'I' : 'S', slot);
    } else {
      fmt::print("{}:{}:F:{}\n", import_export ? 'I' : 'S', slot, volser);
    }
  }
  j.end_array().end_object();
  if (ctx.json) fmt::print("{}\n", j.str());
}

int run_changer(CommandContext& ctx) {
  TapeLibrary& lib = *ctx.library;
  const CommandLine& cl = ctx.cl;
  std::string command = positional(cl, 0);
  int slot = parse_element_number(positional(cl, 1)).value_or(0);
  int drive = parse_element_number(positional(cl, 3)).value_or(0);
  ChangerView view;
  if (Status s = read_changer_view(lib, &view); !s.is_ok()) return ctx.failure(s.message());

  if (command == "list") {
    print_list(ctx, view);
    return kExitOk;
  }
  if (command == "listall") {
    print_listall(ctx, view);
    return kExitOk;
  }
  if (command == "slots") {
    // All of them, the import/export slot too, as mtx-changer counts them.
    if (ctx.json) {
      fmt::print("{{\"slots\":{}}}\n", view.slots.import_export_slot());
    } else {
      fmt::print("{}\n", view.slots.import_export_slot());
    }
    return kExitOk;
  }
  if (Status s = check_drive_index(view, drive); !s.is_ok()) return ctx.failure(s.message());
  if (command == "loaded") {
    int loaded_slot = view.slot_loaded_in(drive);
    if (ctx.json) {
      fmt::print("{{\"drive\":{},\"slot\":{}}}\n", drive, loaded_slot);
    } else {
      fmt::print("{}\n", loaded_slot);
    }
    return kExitOk;
  }
  Status s;
  if (command == "load") {
    s = load_from_slot(lib, view, slot, drive);
  } else if (command == "unload") {
    s = unload_to_slot(lib, view, drive, slot);
  } else {
    // transfer SLOT DEST: the cartridge's home becomes DEST.
    s = transfer_between_slots(lib, view, slot, *parse_element_number(positional(cl, 2)));
  }
  return s.is_ok() ? kExitOk : ctx.failure(s.message());
}

}  // namespace

const CommandSpec kChangerCommand{
    .name = "changer",
    .summary = "a media changer for backup software (the interface of Bacula's mtx-changer)",
    .usage = "vtape changer [--library DIR] [--json] COMMAND [SLOT] [ARCHIVE-DEVICE] [DRIVE-INDEX]",
    .help = "COMMAND is list, listall, slots, loaded, load, unload or transfer (DEST in place of\n"
            "ARCHIVE-DEVICE), as Bacula's mtx-changer takes them: Changer Command =\n"
            "\"vtape changer --library DIR %o %S %a %d\".  Barcodes are volsers.  See vtape-changer(1).\n",
    .flags = {"--json"},
    .options = {"--library"},
    .min_positional = 1,
    .max_positional = 4,
    .positional_error = "usage: COMMAND [SLOT] [ARCHIVE-DEVICE] [DRIVE-INDEX]",
    .opens = Opens::kLibrary,
    .check = check_changer,
    .run = run_changer,
};

}  // namespace vtape
