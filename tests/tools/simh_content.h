// What a SIMH image holds, read with python (not with the project's own
// reader), for tests that compare what arrived with what was sent.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace vtape::testing {

// The records of a SIMH image, in order, and how many filemarks it holds:
// read here with python, not with the project's own reader.
struct SimhContent {
  std::vector<size_t> record_sizes;
  size_t filemarks = 0;
  std::string data_file;  // the records' bytes, concatenated
};

// Reads `image`, writing its records' bytes to `data_out`.
SimhContent read_simh(const std::string& image, const std::string& data_out);

}  // namespace vtape::testing
