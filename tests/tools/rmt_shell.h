// The server side of the rmt tests (vtape rmt with GNU tar, cpio, mt-gnu,
// dump and restore as clients): the `vtape rmt` command line for a library,
// and a "remote shell" that runs it whatever the client asks to run, as
// ssh's forced command does, so that a test needs no sshd.
#pragma once

#include <string>

namespace vtape::testing {

// `vtape rmt --library LIBRARY`, quoted for sh.
std::string rmt_server_command(const std::string& library);

// Writes at `path` a remote shell (tar's, cpio's and mt-gnu's
// --rsh-command, dump's and restore's RSH) that execs
// rmt_server_command(library); `first`: shell lines it runs before (a log
// of what the client asked for).  Returns " --rsh-command=PATH", to append
// to a client's command line.
std::string write_rmt_shell(const std::string& path, const std::string& library, const std::string& first = "");

}  // namespace vtape::testing
