// libFuzzer target: `vtape find PATTERN` (index/find_pattern.h): the plan
// of a pattern and the literal parts taken out of a glob.  The plan may
// only narrow where members are looked for, never what matches, so every
// range's low bound must not lie above its high bound.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "index/find_pattern.h"

namespace {

void check(const vtape::FindPattern& plan) {
  for (const auto& r : plan.ranges) {
    if (r.high && r.low > *r.high) {
      std::fprintf(stderr, "broken invariant: a find range whose low bound is above its high bound\n");
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view pattern(reinterpret_cast<const char*>(data), size);
  check(vtape::plan_find(pattern));
  check(vtape::plan_path_glob(pattern));
  (void)vtape::literal_prefix(pattern);
  (void)vtape::literal_suffix(pattern);
  (void)vtape::longest_literal_run(pattern);
  if (!pattern.empty()) {
    vtape::FindRange r = vtape::prefix_range(std::string(pattern));
    if (r.high && r.low > *r.high) std::abort();
  }
  return 0;
}
