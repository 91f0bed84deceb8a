// The slots of `vtape changer`: which slot is each cartridge's home.
//
// DIR/changer.slots holds "SLOT VOLSER" lines.  A slot, once given, stays
// the cartridge's until `vtape changer transfer` moves it, so a backup
// program's record of "volume X is in slot N" stays true while cartridges
// are added: a new cartridge gets the lowest free slot (new ones in volser
// order), a removed one frees its slot.  The library has one empty slot
// more than it has cartridges (room for a transfer), or as many as its
// highest slot in use if that is more.  The file is read, completed and
// rewritten (atomically) under DIR/changer.lock, a lock of its own: the
// library's lock is the running vtapefs's for its whole life.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "library/tape_library.h"
#include "tapeformat/base/status.h"

namespace vtape {

struct SlotMap {
  std::map<int, std::string> volser_at;  // slot (from 1) -> volser
  int count = 0;                         // slots 1..count

  int slot_of(const std::string& volser) const;  // 0 when none
};

// Reads the slot map, gives every cartridge of the library a slot, lets
// `change` (may be empty) change it, and saves it when it changed.
Status update_slot_map(const TapeLibrary& library, const std::function<Status(SlotMap&)>& change, SlotMap* out);

}  // namespace vtape
