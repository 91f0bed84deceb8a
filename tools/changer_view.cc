#include "tools/changer_view.h"

#include <fmt/format.h>

#include "library/library_lock.h"
#include "tools/cartridge_loading.h"

namespace vtape {
namespace {

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

}  // namespace

Status read_loaded_drives(const TapeLibrary& library, std::vector<std::string>* drives) {
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

std::optional<int> parse_element_number(const std::string& text) {
  if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoi(text);
}

bool ChangerView::in_a_drive(const std::string& volser) const {
  for (const auto& d : drives) {
    if (d == volser) return true;
  }
  return false;
}

std::string ChangerView::in_slot(int slot) const {
  std::string volser = slots.home_of(slot);
  return volser.empty() || in_a_drive(volser) ? "" : volser;
}

int ChangerView::slot_loaded_in(int drive) const {
  const std::string& volser = drives[static_cast<size_t>(drive)];
  return volser.empty() ? 0 : slots.slot_of(volser);
}

Status read_changer_view(const TapeLibrary& library, ChangerView* view) {
  VTAPE_RETURN_IF_ERROR(read_loaded_drives(library, &view->drives));
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
  if (slot < 1 || slot > view.slots.import_export_slot()) {
    return Status::invalid_argument(fmt::format("no slot {} (slots 1 to {}, import/export slot {})", slot,
                                                view.slots.count, view.slots.import_export_slot()));
  }
  return Status::ok();
}

Status load_from_slot(TapeLibrary& library, const ChangerView& view, int slot, int drive) {
  VTAPE_RETURN_IF_ERROR(check_drive_index(view, drive));
  VTAPE_RETURN_IF_ERROR(check_slot(view, slot));
  std::string volser = view.in_slot(slot);
  if (volser.empty()) return Status::invalid_argument(fmt::format("slot {} is empty", slot));
  const std::string& in_drive = view.drives[static_cast<size_t>(drive)];
  if (!in_drive.empty()) {
    return Status::invalid_argument(
        fmt::format("drive {} is full: {} from slot {} is in it", drive, in_drive, view.slot_loaded_in(drive)));
  }
  Cartridge c;
  VTAPE_RETURN_IF_ERROR(library.find(volser, &c));
  bool offline = false;
  return load_cartridge(library, drive, c, &offline);
}

Status unload_to_slot(TapeLibrary& library, const ChangerView& view, int drive, int slot) {
  VTAPE_RETURN_IF_ERROR(check_drive_index(view, drive));
  const std::string& in_drive = view.drives[static_cast<size_t>(drive)];
  if (in_drive.empty()) return Status::invalid_argument(fmt::format("drive {} is empty", drive));
  int home = view.slot_loaded_in(drive);
  if (slot == 0) slot = home;
  VTAPE_RETURN_IF_ERROR(check_slot(view, slot));
  bool offline = false;
  if (slot == view.slots.import_export_slot() && view.slots.home_of(slot).empty()) {
    // The drive puts the cartridge out into the empty import/export slot, as
    // a library ejects one for an admin to take: it leaves the storage slots.
    SlotMap ignored;
    return update_slot_map(
        library,
        [&](SlotMap& map) -> Status {
          if (slot != map.import_export_slot() || !map.home_of(slot).empty()) {
            return Status::invalid_argument(fmt::format("slot {} is full", slot));
          }
          VTAPE_RETURN_IF_ERROR(unload_drive(library, drive, &offline));
          map.move_home(in_drive, slot);
          return Status::ok();
        },
        &ignored);
  }
  if (slot != home) {
    // A cartridge's slot is its home (a transfer moves it); the drive gives
    // it back there only, or out into the import/export slot.
    std::string other = view.in_slot(slot).empty() ? fmt::format("slot {} is not its slot", slot)
                                                   : fmt::format("slot {} is full", slot);
    return Status::invalid_argument(
        fmt::format("{}; {} in drive {} goes back to its slot {}", other, in_drive, drive, home));
  }
  return unload_drive(library, drive, &offline);
}

Status transfer_between_slots(const TapeLibrary& library, const ChangerView& view, int slot, int dest) {
  VTAPE_RETURN_IF_ERROR(check_slot(view, slot));
  SlotMap ignored;
  return update_slot_map(
      library,
      [&](SlotMap& map) -> Status {
        VTAPE_RETURN_IF_ERROR(check_slot(view, dest));
        std::string volser = map.home_of(slot);
        if (volser.empty() || view.in_a_drive(volser)) {
          return Status::invalid_argument(fmt::format("slot {} is empty", slot));
        }
        if (!map.home_of(dest).empty()) return Status::invalid_argument(fmt::format("slot {} is full", dest));
        map.move_home(volser, dest);
        return Status::ok();
      },
      &ignored);
}

}  // namespace vtape
