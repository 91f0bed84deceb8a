// libFuzzer target: the HET reader (and writer), forced format: AWS chunks
// plus zlib / bzip2 record decompression (and compression when writing).
#include "tests/fuzz/fuzz_driver.h"

VTAPE_FUZZ_TARGET(::vtape::Format::kHet)
