#include "tools/cartridge_restore.h"

#include <unistd.h>

#include <vector>

#include <fmt/format.h>

#include "library/cartridge_door.h"
#include "library/drive_record_sink.h"
#include "tools/interrupt_guard.h"

namespace vtape {
namespace {

// Where writing starts: the beginning of an empty cartridge; after what a
// cartridge holds with --append; its beginning with --overwrite (which
// replaces everything there, as writing at BOT does on a tape).
Status position_for_writing(CartridgeDoor& door, const CartridgeRestoreOptions& options) {
  TapeDrive& drive = door.lease().drive();
  const std::string& volser = door.cartridge().volser;
  VTAPE_RETURN_IF_ERROR(drive_error_status(drive.operation(TapeOp::kRewind, 1), "rewinding " + volser));
  if (drive.status().at_end_of_data) return Status::ok();  // nothing on it yet
  if (options.append) {
    return drive_error_status(drive.operation(TapeOp::kEndOfData, 1), "spacing to the end of " + volser);
  }
  std::vector<TapeFileRow> rows;
  if (door.catalog()) (void)door.catalog()->files(volser, &rows);
  std::string holds = rows.empty() ? "data" : fmt::format("{} tape files", rows.size());
  if (!may_overwrite(options.policy, volser)) {
    return Status::invalid_argument(fmt::format(
        "{} already holds {}: --append writes after them, --overwrite=always writes over them", volser, holds));
  }
  return Status::ok();  // at the beginning: the first write replaces what follows
}

}  // namespace

Status restore_to_cartridge(const RestorePlan& plan, const CartridgeRestoreOptions& options,
                            const ReplayOptions& replay_options, ReplaySummary* summary, uint64_t* lost_error_flags) {
  std::unique_ptr<CartridgeDoor> door;
  bool served = false;
  Status opened = CartridgeDoor::open(options.library_dir, options.volser, options.format,
                                      fmt::format("vtape restore (pid {})", getpid()), &door, &served,
                                      options.digest);
  if (served) {
    return Status::invalid_argument(fmt::format("{}: nothing was written; restore into one of its drives instead: "
                                                "vtape restore {} --to-device MNT/drives/nstN",
                                                opened.message(), plan.source));
  }
  VTAPE_RETURN_IF_ERROR(opened);
  if (door->cartridge().image_path == plan.image_path) {
    return Status::invalid_argument(fmt::format("{} is the source itself", door->cartridge().volser));
  }
  Status s = position_for_writing(*door, options);
  if (s.is_ok()) {
    InterruptGuard guard;
    // Ctrl-C or a TERM while writing: the replay stops at the next record
    // and the drive is closed as after an error (what was written stays,
    // ended by its filemark and cataloged).
    DriveRecordSink sink(door->lease(), door->cartridge().volser, &InterruptGuard::interrupted());
    s = replay(plan, sink, replay_options, summary);
    *lost_error_flags = sink.lost_error_flags();
  }
  // Closed as the mount closes: records after the last filemark get theirs.
  Status closed = door->finish();
  return s.is_ok() ? closed : s;
}

}  // namespace vtape
