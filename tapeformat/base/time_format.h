// Times as the catalog, the cartridge descriptions and the views write
// them: UTC, ISO 8601, second precision (or the day only).
#pragma once

#include <ctime>
#include <string>

namespace vtape {

// "2026-12-06T17:04:15Z"
std::string utc_iso8601(std::time_t t);
// utc_iso8601 of now.
std::string utc_now_iso8601();
// "2026-12-06T17:04:15" (no zone: callers add fractions and the Z).
std::string utc_iso8601_no_zone(std::time_t t);
// "2026-12-06"
std::string utc_date(std::time_t t);

}  // namespace vtape
