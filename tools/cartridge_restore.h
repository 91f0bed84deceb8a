// vtape restore --to-cartridge VOLSER: replays the plan onto a cartridge of
// the library when no vtapefs serves it.  The command becomes the library's
// door for the while (library/cartridge_door.h) and writes through a drive
// with DriveRecordSink, so the drive keeps the catalog as the mount does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "index/digest.h"
#include "library/restore_plan.h"
#include "library/restore_replay.h"
#include "tapeformat/tape_format.h"
#include "tools/overwrite_policy.h"

namespace vtape {

struct CartridgeRestoreOptions {
  std::string library_dir;
  std::string volser;             // the target cartridge (made if missing)
  std::optional<Format> format;   // for a cartridge made here
  std::optional<DigestAlgorithm> digest;  // --digest: else the library's setting
  bool append = false;            // --append: after what the cartridge holds
  OverwritePolicy policy = OverwritePolicy::kNever;  // always: from its beginning
};

Status restore_to_cartridge(const RestorePlan& plan, const CartridgeRestoreOptions& options,
                            const ReplayOptions& replay_options, ReplaySummary* summary, uint64_t* lost_error_flags);

}  // namespace vtape
