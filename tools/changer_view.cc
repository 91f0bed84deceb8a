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

}  // namespace

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
  auto it = slots.volser_at.find(slot);
  if (it == slots.volser_at.end() || in_a_drive(it->second)) return "";
  return it->second;
}

int ChangerView::slot_loaded_in(int drive) const {
  const std::string& volser = drives[static_cast<size_t>(drive)];
  return volser.empty() ? 0 : slots.slot_of(volser);
}

Status read_changer_view(const TapeLibrary& library, ChangerView* view) {
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
  if (slot != home) {
    // A cartridge's slot is its home (a transfer moves it); the drive gives
    // it back there only.
    std::string other = view.in_slot(slot).empty() ? fmt::format("slot {} is not its slot", slot)
                                                   : fmt::format("slot {} is full", slot);
    return Status::invalid_argument(
        fmt::format("{}; {} in drive {} goes back to its slot {}", other, in_drive, drive, home));
  }
  bool offline = false;
  return unload_drive(library, drive, &offline);
}

Status transfer_between_slots(const TapeLibrary& library, const ChangerView& view, int slot, int dest) {
  VTAPE_RETURN_IF_ERROR(check_slot(view, slot));
  SlotMap ignored;
  return update_slot_map(
      library,
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
}

}  // namespace vtape
