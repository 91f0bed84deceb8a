// The slots of `vtape changer`: which slot is each cartridge's home.
//
// DIR/changer.slots holds "SLOT VOLSER" lines for the storage slots and at
// most one "ie VOLSER" line for the import/export slot (the mail slot; files
// written before it existed have none and read as an empty one).  A slot,
// once given, stays the cartridge's until `vtape changer transfer` moves it,
// so a backup program's record of "volume X is in slot N" stays true while
// cartridges are added: a new cartridge gets the lowest free storage slot
// (new ones in volser order), or the import/export slot when `vtape new
// --import-slot` asks for it; a removed one frees its slot.  The library has
// one empty storage slot more than it has cartridges (room for a transfer),
// or as many as its highest storage slot in use if that is more; the
// import/export slot is numbered after them, as a real library numbers its
// mail slot.  The file is read, completed and rewritten (atomically) under
// DIR/changer.lock, a lock of its own: the library's lock is the running
// vtapefs's for its whole life.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "library/tape_library.h"
#include "tapeformat/base/status.h"

namespace vtape {

struct SlotMap {
  std::map<int, std::string> volser_at;  // storage slot (from 1) -> volser
  std::string import_export;             // the volser whose home is the import/export slot, "" for none
  int count = 0;                         // storage slots 1..count

  int import_export_slot() const { return count + 1; }
  int slot_of(const std::string& volser) const;  // 0 when none
  // The volser whose home is `slot` (storage or import/export), "" for none.
  std::string home_of(int slot) const;
  // Makes `slot` (storage or import/export) the home of `volser`, which
  // leaves its old one.
  void move_home(const std::string& volser, int slot);
};

// Reads the slot map, gives every cartridge of the library a slot, lets
// `change` (may be empty) change it, and saves it when it changed.
Status update_slot_map(const TapeLibrary& library, const std::function<Status(SlotMap&)>& change, SlotMap* out);

// `vtape new --import-slot`: an error naming the cartridge whose home the
// import/export slot is, if any; then, once the cartridge `volser` exists,
// makes the import/export slot its home (*slot: that slot's number).
Status check_import_export_slot_free(const TapeLibrary& library);
Status put_in_import_export_slot(const TapeLibrary& library, const std::string& volser, int* slot);

}  // namespace vtape
