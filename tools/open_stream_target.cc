#include "tools/open_stream_target.h"

#include "library/cartridge_stream_target.h"

namespace vtape {

Status open_stream_target(const std::string& library_dir, const std::string& volser, std::optional<Format> format,
                          StreamOverwrite overwrite, const std::string& door_name,
                          std::unique_ptr<StreamTarget>* out, bool* busy) {
  bool served = false;
  std::unique_ptr<CartridgeStreamTarget> t;
  Status s = CartridgeStreamTarget::open(library_dir, volser, format, overwrite, door_name, &t, &served);
  *busy = served;
  if (!s.is_ok()) return s;
  *out = std::move(t);
  return Status::ok();
}

}  // namespace vtape
