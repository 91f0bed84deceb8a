// libFuzzer target: the E11 reader (and writer), forced format.
#include "tests/fuzz/fuzz_driver.h"

VTAPE_FUZZ_TARGET(::vtape::Format::kE11)
