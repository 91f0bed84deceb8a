// libFuzzer target: format detection (TapeImage::open without a format, on
// the memfd's /proc/self/fd path), then the detected format's reader.
#include "tests/fuzz/fuzz_driver.h"

VTAPE_FUZZ_TARGET(std::nullopt)
