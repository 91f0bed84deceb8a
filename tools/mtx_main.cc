// vtape-mtx: `vtape mtx` (tools/cmd_mtx.cc) as a program of its own, to be
// named where backup software wants the path of an mtx program
// (Amanda's chg-robot: property "mtx" "/usr/bin/vtape-mtx").

#include "library/daemon_log.h"
#include "tools/command_spec.h"

int main(int argc, char** argv) {
  vtape::set_log_sink(vtape::LogSink::kStderr, "vtape-mtx");
  return vtape::run_command(vtape::kMtxCommand, vtape::Args(argv + 1, argv + argc));
}
