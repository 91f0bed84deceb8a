#include "tools/restore_target.h"

namespace vtape {

const char* target_name(TargetKind k) {
  switch (k) {
    case TargetKind::kNone: return "none";
    case TargetKind::kDevice: return "device";
    case TargetKind::kImage: return "image";
    case TargetKind::kStdout: return "stdout";
    case TargetKind::kDir: return "directory";
    case TargetKind::kSpool: return "spool";
    case TargetKind::kCartridge: return "cartridge";
  }
  return "?";
}

const std::vector<std::string>& target_option_names() {
  static const std::vector<std::string> names = {"--to-device", "--to-image", "--to-dir", "--to-spool",
                                                 "--to-cartridge"};
  return names;
}

bool target_option(const CommandLine& cl, RestoreTarget* target, std::string* error) {
  int given = 0;
  auto take = [&](TargetKind kind, const std::string& path) {
    *target = {kind, path};
    ++given;
  };
  if (auto v = cl.value("--to-device")) take(TargetKind::kDevice, *v);
  if (auto v = cl.value("--to-image")) take(TargetKind::kImage, *v);
  if (cl.has("--to-stdout")) take(TargetKind::kStdout, "");
  if (auto v = cl.value("--to-dir")) take(TargetKind::kDir, *v);
  if (auto v = cl.value("--to-spool")) take(TargetKind::kSpool, *v);
  if (auto v = cl.value("--to-cartridge")) take(TargetKind::kCartridge, *v);
  if (given == 1) return true;
  if (given == 0 && cl.has("--dry-run")) {
    *target = {TargetKind::kNone, ""};  // only read and check
    return true;
  }
  *error = given == 0
               ? "say where to: --to-device, --to-cartridge, --to-image, --to-stdout, --to-dir or --to-spool"
               : "only one of --to-device, --to-cartridge, --to-image, --to-stdout, --to-dir and --to-spool";
  return false;
}

}  // namespace vtape
