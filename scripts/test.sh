#!/bin/bash
# Installs what is missing, builds vtapefs with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs every test under CTest.  Before that,
# every image reader gets a short libFuzzer run (clang build, 15 s each);
# after it, the daemon's threaded tests run again under ThreadSanitizer
# (scripts/tsan_tests.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
BUILD=${VTAPE_TEST_BUILD:-build-test}

echo "== include order"
bash scripts/check_layers.sh

echo "== fuzz smoke run"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DVTAPE_FUZZ=ON -DVTAPE_SANITIZE=ON -DVTAPE_TESTS=OFF >/dev/null
FUZZ_JOBS=2 bash tests/fuzz/run_fuzz_smoke.sh build-fuzz "${VTAPE_FUZZ_SECONDS:-15}"

echo "== build and test"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DVTAPE_SANITIZE=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
(cd "$BUILD" && ctest -j"$(nproc)" --output-on-failure)

echo "== ThreadSanitizer: the daemon's threaded tests"
bash scripts/tsan_tests.sh "${VTAPE_TSAN_BUILD:-build-tsan}"
