#include "fuse/request_interrupt.h"

#include <atomic>

namespace vtape {
namespace {

std::atomic<RequestAbandonedCheck> registered_check{nullptr};

}  // namespace

void set_request_abandoned_check(RequestAbandonedCheck check) { registered_check.store(check); }

bool fuse_request_abandoned() {
  RequestAbandonedCheck check = registered_check.load();
  return check != nullptr && check();
}

}  // namespace vtape
