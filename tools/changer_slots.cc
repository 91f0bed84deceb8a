#include "tools/changer_slots.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

namespace vtape {
namespace {

// Holds DIR/changer.lock (flock, exclusive) while it lives.
class SlotLock {
 public:
  ~SlotLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }
  Status acquire(const TapeLibrary& library) {
    std::string path = library.dir() + "/changer.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, library.file_mode() & 0660);
    if (fd_ >= 0) {
      // Made just now (or by us): exactly the library's mode, whatever the
      // umask, so the library's group (Amanda's or Bacula's user) may take
      // it too.
      struct stat st {};
      if (fstat(fd_, &st) == 0 && st.st_uid == ::geteuid()) (void)fchmod(fd_, library.file_mode() & 0660);
    } else if (errno == EACCES) {
      fd_ = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);  // flock needs no write access
    }
    if (fd_ < 0) return Status::io_error(fmt::format("cannot open the changer's lock {}", path), errno);
    if (::flock(fd_, LOCK_EX) != 0) return Status::io_error(fmt::format("cannot lock {}", path), errno);
    return Status::ok();
  }

 private:
  int fd_ = -1;
};

std::string slots_path(const TapeLibrary& library) { return library.dir() + "/changer.slots"; }

// The first word of the import/export slot's line.
constexpr const char* kImportExportWord = "ie";

SlotMap read_saved(const TapeLibrary& library) {
  SlotMap map;
  std::ifstream in(slots_path(library));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string where, volser;
    // A line that does not parse is dropped: its cartridge gets a new slot.
    if (!(words >> where >> volser) || map.slot_of(volser) != 0) continue;
    if (where == kImportExportWord) {
      if (map.import_export.empty()) map.import_export = volser;
    } else if (int slot = 0; std::istringstream(where) >> slot && slot > 0) {
      map.volser_at.emplace(slot, volser);
    }
  }
  return map;
}

std::string format_map(const SlotMap& map) {
  std::string text;
  for (const auto& [slot, volser] : map.volser_at) text += fmt::format("{} {}\n", slot, volser);
  if (!map.import_export.empty()) text += fmt::format("{} {}\n", kImportExportWord, map.import_export);
  return text;
}

}  // namespace

int SlotMap::slot_of(const std::string& volser) const {
  for (const auto& [slot, v] : volser_at) {
    if (v == volser) return slot;
  }
  return !volser.empty() && volser == import_export ? import_export_slot() : 0;
}

std::string SlotMap::home_of(int slot) const {
  if (slot == import_export_slot()) return import_export;
  auto it = volser_at.find(slot);
  return it == volser_at.end() ? "" : it->second;
}

void SlotMap::move_home(const std::string& volser, int slot) {
  std::erase_if(volser_at, [&](const auto& entry) { return entry.second == volser; });
  if (import_export == volser) import_export.clear();
  if (slot == import_export_slot()) {
    import_export = volser;
  } else {
    volser_at[slot] = volser;
  }
}

Status update_slot_map(const TapeLibrary& library, const std::function<Status(SlotMap&)>& change, SlotMap* out) {
  SlotLock lock;
  VTAPE_RETURN_IF_ERROR(lock.acquire(library));
  SlotMap map = read_saved(library);
  std::string before = format_map(map);
  std::set<std::string> present;
  for (const Cartridge& c : library.list()) present.insert(c.volser);  // volser order
  std::erase_if(map.volser_at, [&](const auto& entry) { return present.count(entry.second) == 0; });
  if (present.count(map.import_export) == 0) map.import_export.clear();
  int next_free = 1;
  for (const std::string& volser : present) {
    if (map.slot_of(volser) != 0) continue;
    while (map.volser_at.count(next_free) != 0) ++next_free;
    map.volser_at.emplace(next_free, volser);
  }
  // The cartridge in the import/export slot counts too: moving it in or out
  // keeps the number of the import/export slot.
  auto recount = [&] {
    int highest = map.volser_at.empty() ? 0 : map.volser_at.rbegin()->first;
    int cartridges = static_cast<int>(map.volser_at.size()) + (map.import_export.empty() ? 0 : 1);
    map.count = std::max(cartridges + 1, highest);
  };
  recount();
  if (change) {
    VTAPE_RETURN_IF_ERROR(change(map));
    recount();
  }
  std::string after = format_map(map);
  if (after != before) VTAPE_RETURN_IF_ERROR(write_file_atomically(slots_path(library), after, library.file_mode()));
  *out = std::move(map);
  return Status::ok();
}

namespace {

Status import_export_slot_free(const SlotMap& map) {
  if (map.import_export.empty()) return Status::ok();
  return Status::invalid_argument(
      fmt::format("the import/export slot {} holds {}: transfer it to a storage slot first (vtape changer "
                  "transfer {} DEST)",
                  map.import_export_slot(), map.import_export, map.import_export_slot()));
}

}  // namespace

Status check_import_export_slot_free(const TapeLibrary& library) {
  SlotMap map;
  VTAPE_RETURN_IF_ERROR(update_slot_map(library, nullptr, &map));
  return import_export_slot_free(map);
}

Status put_in_import_export_slot(const TapeLibrary& library, const std::string& volser, int* slot) {
  SlotMap map;
  VTAPE_RETURN_IF_ERROR(update_slot_map(
      library,
      [&](SlotMap& m) -> Status {
        VTAPE_RETURN_IF_ERROR(import_export_slot_free(m));
        m.move_home(volser, m.import_export_slot());
        return Status::ok();
      },
      &map));
  *slot = map.import_export_slot();
  return Status::ok();
}

}  // namespace vtape
