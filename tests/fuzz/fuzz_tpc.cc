// libFuzzer target: the TPC reader (read only), forced format.
#include "tests/fuzz/fuzz_driver.h"

VTAPE_FUZZ_TARGET(::vtape::Format::kTpc)
