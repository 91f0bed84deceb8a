#include "tools/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace vtape {

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, units[u]);
}

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(isatty(STDERR_FILENO) == 1) {
  start_ = last_ = std::chrono::steady_clock::now();
}

Progress::~Progress() { finish(); }

void Progress::update(uint64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(250)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? done / secs : 0;
  std::string eta = "--:--";
  if (rate > 0 && total_ > done) {
    auto left = static_cast<uint64_t>((total_ - done) / rate);
    eta = fmt::format("{}:{:02}", left / 60, left % 60);
  }
  int pct = total_ > 0 ? static_cast<int>(100.0 * done / total_) : 0;
  fmt::print(stderr, "\r{}: {} of {} ({}%)  {}/s  ETA {}   ", label_, human_bytes(done),
             human_bytes(total_), pct, human_bytes(static_cast<uint64_t>(rate)), eta);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) {
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace vtape
