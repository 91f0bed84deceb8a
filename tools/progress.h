// Progress of a long operation on a terminal: bytes done, rate and ETA,
// redrawn at most four times a second on stderr.  Silent when stderr is not
// a terminal, so pipes and logs stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace vtape {

class Progress {
 public:
  Progress(std::string label, uint64_t total);
  ~Progress();
  void update(uint64_t done);
  void finish();

 private:
  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

// "1.5 GiB", "512 B": sizes for people.
std::string human_bytes(uint64_t n);

}  // namespace vtape
