// vtape mtx (also installed as the program vtape-mtx): the media changer of
// tools/changer_view.h with the command line and the output of the mtx(1)
// program, for backup software that runs mtx itself and parses what it
// prints, as Amanda's chg-robot does (property "mtx" names the program it
// runs as `MTX -f DEVICE [nobarcode] status|inquiry|load|unload|transfer`).
// DEVICE is the vtapefs mount (or the library directory).  As mtx, one
// call may hold several commands ("unload 3 0 load 4 0"), run in order.
// The library's import/export slot is the storage element after the others,
// marked IMPORT/EXPORT, as mtx shows a library's mail slot.

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tools/changer_view.h"
#include "tools/command_spec.h"

namespace vtape {
namespace {

struct MtxCommandForm {
  const char* name;
  size_t min_numbers, max_numbers;  // the numbers that follow it
  const char* needs;                // what a missing number is, for the usage error
};

const MtxCommandForm kMtxForms[] = {
    {"status", 0, 0, ""},
    {"inquiry", 0, 0, ""},
    {"nobarcode", 0, 0, ""},  // the status commands after it leave out the volume tags
    {"load", 1, 2, "a SLOT (and a DRIVE, 0 when not given)"},
    {"unload", 0, 2, ""},     // [SLOT] [DRIVE]: the cartridge's own slot, drive 0
    {"transfer", 2, 2, "a SLOT and a destination SLOT"},
};

struct MtxStep {
  std::string name;
  std::vector<int> numbers;
};

// The commands and their numbers as mtx reads them: a command takes the
// numbers that follow it, up to its most.
std::string parse_steps(const std::vector<std::string>& words, std::vector<MtxStep>* steps) {
  for (size_t i = 0; i < words.size();) {
    const MtxCommandForm* form = nullptr;
    for (const auto& f : kMtxForms) {
      if (words[i] == f.name) form = &f;
    }
    if (form == nullptr) {
      return fmt::format("unknown mtx command '{}' (status, inquiry, load, unload, transfer, nobarcode)", words[i]);
    }
    MtxStep step{words[i++], {}};
    while (step.numbers.size() < form->max_numbers && i < words.size()) {
      auto n = parse_element_number(words[i]);
      if (!n) break;
      step.numbers.push_back(*n);
      ++i;
    }
    if (step.numbers.size() < form->min_numbers) return fmt::format("{} needs {}", step.name, form->needs);
    steps->push_back(std::move(step));
  }
  return "";
}

std::string check_mtx(const CommandLine& cl) {
  std::vector<MtxStep> steps;
  return parse_steps(cl.positional(), &steps);
}

int number_or(const MtxStep& step, size_t i, int fallback) {
  return i < step.numbers.size() ? step.numbers[i] : fallback;
}

// What mtx prints for `status`: a summary line, the drives (data transfer
// elements, numbered from 0), then the slots (storage elements, from 1; mtx
// counts the import/export one among them and lists it last).
void print_status(const std::string& device, const ChangerView& view, bool barcodes) {
  fmt::print("  Storage Changer {}:{} Drives, {} Slots ( 1 Import/Export )\n", device, view.drives.size(),
             view.slots.import_export_slot());
  for (size_t d = 0; d < view.drives.size(); ++d) {
    const std::string& volser = view.drives[d];
    if (volser.empty()) {
      fmt::print("Data Transfer Element {}:Empty\n", d);
      continue;
    }
    fmt::print("Data Transfer Element {}:Full (Storage Element {} Loaded)", d,
               view.slot_loaded_in(static_cast<int>(d)));
    fmt::print("{}\n", barcodes ? ":VolumeTag = " + volser : "");
  }
  for (int slot = 1; slot <= view.slots.import_export_slot(); ++slot) {
    std::string volser = view.in_slot(slot);
    std::string kind = slot == view.slots.import_export_slot() ? " IMPORT/EXPORT" : "";
    if (volser.empty()) {
      fmt::print("      Storage Element {}{}:Empty\n", slot, kind);
    } else {
      fmt::print("      Storage Element {}{}:Full {}\n", slot, kind, barcodes ? ":VolumeTag=" + volser : "");
    }
  }
}

// What mtx prints for `inquiry`, the SCSI INQUIRY fields at their widths.
void print_inquiry() {
  fmt::print("Product Type: Medium Changer\n");
  fmt::print("Vendor ID: '{:<8.8}'\n", "VTAPEFS");
  fmt::print("Product ID: '{:<16.16}'\n", "VIRTUAL LIBRARY");
  std::string version = VTAPE_VERSION;  // MAJOR.MINOR in the 4 characters
  fmt::print("Revision: '{:<4.4}'\n", version.substr(0, version.find('.', version.find('.') + 1)));
  fmt::print("Attached Changer API: No\n");
}

int run_mtx(CommandContext& ctx) {
  TapeLibrary& lib = *ctx.library;
  std::vector<MtxStep> steps;
  parse_steps(ctx.positional(), &steps);  // check_mtx accepted them
  std::string device = ctx.cl.value("-f").value_or(lib.dir());
  bool barcodes = true;
  for (const MtxStep& step : steps) {
    if (step.name == "nobarcode") {
      barcodes = false;
      continue;
    }
    if (step.name == "inquiry") {
      print_inquiry();
      continue;
    }
    // Each command sees what the ones before it did.
    ChangerView view;
    Status s = read_changer_view(lib, &view);
    if (s.is_ok() && step.name == "status") {
      print_status(device, view, barcodes);
      continue;
    }
    if (s.is_ok() && step.name == "load") {
      int slot = step.numbers[0], drive = number_or(step, 1, 0);
      s = load_from_slot(lib, view, slot, drive);
      if (s.is_ok()) fmt::print("Loading media from Storage Element {} into drive {}...done\n", slot, drive);
    } else if (s.is_ok() && step.name == "unload") {
      int drive = number_or(step, 1, 0), slot = number_or(step, 0, 0);
      s = unload_to_slot(lib, view, drive, slot);
      if (s.is_ok()) {
        fmt::print("Unloading drive {} into Storage Element {}...done\n", drive,
                   slot != 0 ? slot : view.slot_loaded_in(drive));
      }
    } else if (s.is_ok()) {
      s = transfer_between_slots(lib, view, step.numbers[0], step.numbers[1]);
    }
    std::fflush(stdout);  // before an error on stderr, in the order mtx prints them
    if (!s.is_ok()) return ctx.failure(s.message());
  }
  return kExitOk;
}

}  // namespace

const CommandSpec kMtxCommand{
    .name = "mtx",
    .summary = "the media changer as the mtx program (for Amanda's chg-robot)",
    .usage = "vtape mtx [-f MOUNT-OR-LIBRARY] COMMAND [NUMBERS]... [COMMAND [NUMBERS]...]...",
    .help = "COMMAND is status, inquiry, load SLOT [DRIVE], unload [SLOT] [DRIVE], transfer SLOT DEST or\n"
            "nobarcode, printed as mtx(1) prints them; -f names the vtapefs mount or its library.\n"
            "The program vtape-mtx is this command: Amanda's property \"mtx\" names it.  See\n"
            "vtape-changer(1).\n",
    .options = {"-f", "--library"},
    .min_positional = 1,
    .positional_error = "a COMMAND is missing (status, inquiry, load, unload, transfer)",
    .opens = Opens::kLibrary,
    .check = check_mtx,
    .run = run_mtx,
};

}  // namespace vtape
