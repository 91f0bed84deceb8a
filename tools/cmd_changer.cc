// vtape changer: a media changer with the interface of Bacula's mtx-changer
// script (COMMAND SLOT ARCHIVE-DEVICE DRIVE-INDEX), so backup software can
// load and unload the library's cartridges in the running vtapefs's drives.
// Slots are the cartridges' homes (tools/changer_slots.h); barcodes are the
// volsers.  Loading goes through the same door as `vtape load`.

#include <fmt/format.h>

#include <optional>
#include <set>
#include <vector>

#include "library/library_lock.h"
#include "tapeformat/base/json_writer.h"
#include "tools/cartridge_loading.h"
#include "tools/changer_slots.h"
#include "tools/command_spec.h"

namespace vtape {
namespace {

const std::set<std::string> kChangerCommands = {"list", "listall", "slots", "loaded", "load", "unload", "transfer"};

std::optional<int> number(const std::string& text) {
  if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoi(text);
}

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
  if (cl.positional().size() >= 2 && !number(positional(cl, 1))) {
    return fmt::format("'{}' is not a slot number", positional(cl, 1));
  }
  if (command == "transfer" && !number(positional(cl, 2))) {
    return fmt::format("transfer needs a destination slot, not '{}'", positional(cl, 2));
  }
  if (cl.positional().size() >= 4 && !number(positional(cl, 3))) {
    return fmt::format("'{}' is not a drive index", positional(cl, 3));
  }
  return "";
}

// The volser in each drive of the running vtapefs (empty: no cartridge),
// from its `status json` answer: objects of "drive" then, when loaded,
// "volser" (volsers are A-Z0-9, never escaped).
std::vector<std::string> parse_drives(const std::string& json) {
  std::vector<std::string> drives;
  size_t at = 0;
  const std::string drive_key = "\"drive\":";
  const std::string volser_key = "\"volser\":\"";
  while ((at = json.find(drive_key, at)) != std::string::npos) {
    size_t next = json.find(drive_key, at + drive_key.size());
    size_t v = json.find(volser_key, at);
    std::string volser;
    if (v != std::string::npos && v < next) {
      size_t start = v + volser_key.size();
      volser = json.substr(start, json.find('"', start) - start);
    }
    drives.push_back(volser);
    at += drive_key.size();
  }
  return drives;
}

Status read_drives(const TapeLibrary& library, std::vector<std::string>* drives) {
  std::string payload;
  bool offline = false;
  VTAPE_RETURN_IF_ERROR(request_or_offline(
      library, "status json", &payload,
      [&]() {
        return Status::not_found(fmt::format("no vtapefs is running on this library ({})", library.socket_path()));
      },
      &offline));
  *drives = parse_drives(payload);
  return Status::ok();
}

// What the changer sees: the drives and the slots, a cartridge that is in a
// drive leaving its slot empty.
struct ChangerView {
  std::vector<std::string> drives;
  SlotMap slots;

  bool in_a_drive(const std::string& volser) const {
    for (const auto& d : drives) {
      if (d == volser) return true;
    }
    return false;
  }
  // The cartridge in `slot`, empty when the slot is empty.
  std::string in_slot(int slot) const {
    auto it = slots.volser_at.find(slot);
    if (it == slots.volser_at.end() || in_a_drive(it->second)) return "";
    return it->second;
  }
};

Status read_view(const TapeLibrary& library, ChangerView* view) {
  VTAPE_RETURN_IF_ERROR(read_drives(library, &view->drives));
  return update_slot_map(library, nullptr, &view->slots);
}

Status check_drive_index(const ChangerView& view, int drive) {
  if (drive < 0 || drive >= static_cast<int>(view.drives.size())) {
    return Status::invalid_argument(
        fmt::format("no drive {} (drives 0 to {})", drive, static_cast<int>(view.drives.size()) - 1));
  }
  return Status::ok();
}

Status check_slot(const ChangerView& view, int slot) {
  if (slot < 1 || slot > view.slots.count) {
    return Status::invalid_argument(fmt::format("no slot {} (slots 1 to {})", slot, view.slots.count));
  }
  return Status::ok();
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
  for (int slot = 1; slot <= view.slots.count; ++slot) {
    std::string volser = view.in_slot(slot);
    if (ctx.json) {
      j.begin_object().field("slot", slot).field("full", !volser.empty());
      if (!volser.empty()) j.field("barcode", volser);
      j.end_object();
    } else if (volser.empty()) {
      fmt::print("S:{}:E\n", slot);
    } else {
      fmt::print("S:{}:F:{}\n", slot, volser);
    }
  }
  j.end_array().end_object();
  if (ctx.json) fmt::print("{}\n", j.str());
}

int run_changer(CommandContext& ctx) {
  TapeLibrary& lib = *ctx.library;
  const CommandLine& cl = ctx.cl;
  std::string command = positional(cl, 0);
  int slot = number(positional(cl, 1)).value_or(0);
  int drive = number(positional(cl, 3)).value_or(0);
  ChangerView view;
  if (Status s = read_view(lib, &view); !s.is_ok()) return ctx.failure(s.message());

  if (command == "list") {
    print_list(ctx, view);
    return kExitOk;
  }
  if (command == "listall") {
    print_listall(ctx, view);
    return kExitOk;
  }
  if (command == "slots") {
    if (ctx.json) {
      fmt::print("{{\"slots\":{}}}\n", view.slots.count);
    } else {
      fmt::print("{}\n", view.slots.count);
    }
    return kExitOk;
  }
  if (Status s = check_drive_index(view, drive); !s.is_ok()) return ctx.failure(s.message());
  const std::string& in_drive = view.drives[static_cast<size_t>(drive)];
  if (command == "loaded") {
    int loaded_slot = in_drive.empty() ? 0 : view.slots.slot_of(in_drive);
    if (ctx.json) {
      fmt::print("{{\"drive\":{},\"slot\":{}}}\n", drive, loaded_slot);
    } else {
      fmt::print("{}\n", loaded_slot);
    }
    return kExitOk;
  }
  if (Status s = check_slot(view, slot); !s.is_ok()) return ctx.failure(s.message());
  bool offline = false;
  if (command == "load") {
    std::string volser = view.in_slot(slot);
    if (volser.empty()) return ctx.failure(fmt::format("slot {} is empty", slot));
    if (!in_drive.empty()) {
      return ctx.failure(fmt::format("drive {} is full: {} from slot {} is in it", drive, in_drive,
                                     view.slots.slot_of(in_drive)));
    }
    Cartridge c;
    Status s = lib.find(volser, &c);
    if (s.is_ok()) s = load_cartridge(lib, drive, c, &offline);
    return s.is_ok() ? kExitOk : ctx.failure(s.message());
  }
  if (command == "unload") {
    if (in_drive.empty()) return ctx.failure(fmt::format("drive {} is empty", drive));
    int home = view.slots.slot_of(in_drive);
    if (slot != home) {
      return ctx.failure(fmt::format("slot {} is full; {} in drive {} goes back to its slot {}", slot, in_drive,
                                     drive, home));
    }
    Status s = unload_drive(lib, drive, &offline);
    return s.is_ok() ? kExitOk : ctx.failure(s.message());
  }
  // transfer SLOT DEST: the cartridge's home becomes DEST.
  int dest = *number(positional(cl, 2));
  SlotMap ignored;
  Status s = update_slot_map(
      lib,
      [&](SlotMap& map) -> Status {
        VTAPE_RETURN_IF_ERROR(check_slot(view, dest));
        auto from = map.volser_at.find(slot);
        if (from == map.volser_at.end() || view.in_a_drive(from->second)) {
          return Status::invalid_argument(fmt::format("slot {} is empty", slot));
        }
        if (map.volser_at.count(dest) != 0) return Status::invalid_argument(fmt::format("slot {} is full", dest));
        map.volser_at.emplace(dest, from->second);
        map.volser_at.erase(from);
        return Status::ok();
      },
      &ignored);
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
