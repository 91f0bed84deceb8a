#include "tapeformat/base/time_format.h"

namespace vtape {
namespace {

std::string format_utc(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

}  // namespace

std::string utc_iso8601(std::time_t t) { return format_utc(t, "%Y-%m-%dT%H:%M:%SZ"); }
std::string utc_now_iso8601() { return utc_iso8601(std::time(nullptr)); }
std::string utc_iso8601_no_zone(std::time_t t) { return format_utc(t, "%Y-%m-%dT%H:%M:%S"); }
std::string utc_date(std::time_t t) { return format_utc(t, "%Y-%m-%d"); }

}  // namespace vtape
