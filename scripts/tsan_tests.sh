#!/bin/bash
# The daemon's threaded tests under ThreadSanitizer: the drives and their
# write buffers, DriveService, the catalog and analyzer threads, the control
# socket, feed, migration and mirror threads, and a short soak of four
# drives at once.  The mounts run the TSan-built vtapefs; a report in it
# fails the test (MountedVtapefs reads the daemon's log), a report in a test
# binary or in vtape stops it with exit code 66.
#
#   scripts/tsan_tests.sh [BUILD_DIR]      (default build-tsan)
#
# Environment: VTAPE_TSAN_SOAK_SECONDS, the soak's length here (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-tsan}

# Only what these tests run is built: the TSan build of everything would
# double the step's time.
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DVTAPE_TSAN=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target vtape vtapefs drives_test soak_test index_test tools_test

# The tests where threads meet: drives and their write buffers, the
# catalog and analyzer threads, the control socket, feeds, migration,
# snapshot, mirror and stream threads, and the soak (four drives at once).
# Single-threaded command tests (LibraryCommands, ChangerTest, the
# exhaustive DriveStates) stay out: they add minutes and no thread.
TESTS='^([A-Za-z]+/)?(TapeDriveTest|TapeDriveFormats|DriveObservers|DriveServiceTest|DeferredError|WriteMode'
TESTS+='|DriveCatalogTest|DriveCatalogEndings|ControlSocket|FeedDrive|FeedCartridge|MigrationTest'
TESTS+='|MigrateMountTest|SnapshotMountTest|MountSmoke|Soak'
TESTS+='|BackgroundAnalyzer|RecorderTest|CatalogWriter|MirrorTest|StreamThroughDaemon)\.'

export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
export VTAPE_SOAK_SECONDS=${VTAPE_TSAN_SOAK_SECONDS:-30}
ctest --test-dir "$BUILD" -j"$(nproc)" --output-on-failure -R "$TESTS"
