#!/bin/bash
# Installs what is missing, builds vtapefs with AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs every test under CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
BUILD=${VTAPE_TEST_BUILD:-build-test}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DVTAPE_SANITIZE=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
cd "$BUILD"
ctest -j"$(nproc)" --output-on-failure
