#include "fuse/vtapefs.h"

namespace vtape {

VtapeFs::VtapeFs(std::unique_ptr<TapeLibrary> library, int drives)
    : service_(std::move(library), drives), router_(*this) {}

Status VtapeFs::start() {
  VTAPE_RETURN_IF_ERROR(service_.start());
  saved_view_ = std::make_unique<SavedView>(library(), *catalog());
  spool_devices_ = std::make_unique<SpoolDevices>(*service_.spool_store(), spool_system_name());
  spool_view_ = std::make_unique<SpoolView>(*service_.spool_store());
  return Status::ok();
}

}  // namespace vtape
