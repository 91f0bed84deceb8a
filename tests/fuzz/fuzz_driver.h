// The driver shared by the libFuzzer targets: one fuzz input is a tape image
// in a memfd.  Each target (fuzz_simh.cc, ...) only names its format; the
// driver reads the image forward, steps back to the beginning, spaces over
// records and files, scans it with salvage, and for writable formats writes a
// record and a filemark into a copy and checks that they read back.
//
// Damage in the input is expected and is not a failure.  The driver aborts
// (a crash for libFuzzer) only when the library breaks a promise that holds
// for any input: a motion that does not move, an object whose offsets do not
// add up, record data of the wrong length, a write that fails or does not
// read back.  The sanitizers catch the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "tapeformat/tape_format.h"

namespace vtape::fuzz {

// Runs one input.  `format` forces the format (TapeImage::adopt_fd); without
// it the format is detected by TapeImage::open on /proc/self/fd/N.
int run_one_input(const uint8_t* data, size_t size, std::optional<Format> format);

}  // namespace vtape::fuzz

// Defines LLVMFuzzerTestOneInput for one format (or std::nullopt: detection).
#define VTAPE_FUZZ_TARGET(format_expr)                                        \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {   \
    return ::vtape::fuzz::run_one_input(data, size, (format_expr));           \
  }
