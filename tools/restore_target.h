// Where `vtape restore` writes: the one --to-* option given.
#pragma once

#include <string>

#include "tools/command_line.h"

namespace vtape {

enum class TargetKind { kNone, kDevice, kImage, kStdout, kDir, kSpool, kCartridge };

struct RestoreTarget {
  TargetKind kind = TargetKind::kNone;
  std::string path;  // device, image file, directory, spool user, or volser
};

// "device", "image", "stdout", "directory", "spool", "cartridge", "none".
const char* target_name(TargetKind k);
// The one --to-* option of the command line (none is allowed only with
// --dry-run).  False with a message otherwise.
bool target_option(const CommandLine& cl, RestoreTarget* target, std::string* error);
// The --to-* options that take a value (--to-stdout is a flag).
const std::vector<std::string>& target_option_names();

}  // namespace vtape
