// vtape restore of spool files (see vtape-restore(1), "Spool files"):
//   spool:OWNER/SPOOLID   one spool file
//   spool                 the spool files the criteria options select
//                         (--owner, --class, --name, ... as vtape spool)
// Each is checked first (its tape file on the spool cartridge against the
// catalog's checksums, and its header against the catalog row), then goes
// into a directory (OWNER/SPOOLID.NAME.TYPE with .meta beside it), to
// standard output (one), into a user's reader (--to-spool USER), or as
// tape files onto an image or a device.
#pragma once

#include <optional>
#include <string>

#include "tapeformat/tape_format.h"
#include "tools/command_line.h"
#include "tools/overwrite_policy.h"
#include "tools/restore_target.h"

namespace vtape {

struct SpoolRestoreOptions {
  RestoreTarget target;
  OverwritePolicy policy = OverwritePolicy::kNever;
  bool dry_run = false;
  bool resume = false;
  bool json = false;
  bool rewind = false;
  std::string library_dir;
  std::optional<Format> image_format;
  WriteOptions write;
};

// Whether a restore SOURCE names spool files.
bool is_spool_source(const std::string& source);

// Runs the restore; returns the exit status.
int run_spool_restore(const std::string& source, const CommandLine& cl, const SpoolRestoreOptions& options);

}  // namespace vtape
