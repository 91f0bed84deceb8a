#!/bin/bash
# Installs what is missing, builds vtapefs with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs every test under CTest.  Before that,
# every image reader gets a short libFuzzer run (clang build, 15 s each);
# after it, the soak runs again from a build without sanitizers, the only
# one where it judges the daemon's memory (build-plain: vtape, vtapefs and
# soak_test only), and the daemon's threaded tests run again under
# ThreadSanitizer (scripts/tsan_tests.sh).
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

echo "== the soak's memory, in a build without sanitizers"
# Under ASan and TSan the sanitizers' own memory grows and the soak does not
# judge the daemon's; here it does (flat, under 64 MiB).  Only what the soak
# runs is built.
PLAIN=${VTAPE_PLAIN_BUILD:-build-plain}
cmake -S . -B "$PLAIN" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$PLAIN" -j"$(nproc)" --target soak_test
(cd "$PLAIN" && ctest --output-on-failure -R '^Soak\.')

echo "== ThreadSanitizer: the daemon's threaded tests"
bash scripts/tsan_tests.sh "${VTAPE_TSAN_BUILD:-build-tsan}"
