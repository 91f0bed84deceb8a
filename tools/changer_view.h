// The media changer that `vtape changer` (Bacula's mtx-changer interface)
// and `vtape mtx` (the mtx program's, for Amanda's chg-robot) both show:
// what is in the drives of the running vtapefs and in the slots
// (tools/changer_slots.h: storage slots and one import/export slot), and
// the moves a robot makes between them.  A
// cartridge in a drive leaves its slot empty, as a real library shows it;
// loading goes through the same door as `vtape load` (tools/cartridge_loading.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "library/tape_library.h"
#include "tapeformat/base/status.h"
#include "tools/changer_slots.h"

namespace vtape {

struct ChangerView {
  std::vector<std::string> drives;  // the volser in each drive, "" when empty
  SlotMap slots;

  bool in_a_drive(const std::string& volser) const;
  // The cartridge in `slot`, "" when the slot is empty.
  std::string in_slot(int slot) const;
  // The home slot of the cartridge in `drive` (a valid index), 0 when empty.
  int slot_loaded_in(int drive) const;
};

// A slot or drive number as the changers take them: up to 6 digits.
std::optional<int> parse_element_number(const std::string& text);

// The volser in each drive of the running vtapefs ("" when empty); an
// error saying no vtapefs runs when none does.
Status read_loaded_drives(const TapeLibrary& library, std::vector<std::string>* drives);

// Asks the running vtapefs what its drives hold (an error saying no vtapefs
// runs when none does) and reads the slots.
Status read_changer_view(const TapeLibrary& library, ChangerView* view);

// "no drive D (drives 0 to N)" / "no slot S (slots 1 to N, import/export
// slot N+1)" errors.
Status check_drive_index(const ChangerView& view, int drive);
Status check_slot(const ChangerView& view, int slot);

// The robot's moves, checked against `view` (read just before):
// the cartridge of `slot` into the empty `drive`;
Status load_from_slot(TapeLibrary& library, const ChangerView& view, int slot, int drive);
// the cartridge in `drive` back to `slot`, which must be its home (0: its
// home) or the empty import/export slot, its home from then on;
Status unload_to_slot(TapeLibrary& library, const ChangerView& view, int drive, int slot);
// the cartridge of `slot` to the empty slot `dest`, its home from then on.
Status transfer_between_slots(const TapeLibrary& library, const ChangerView& view, int slot, int dest);

}  // namespace vtape
