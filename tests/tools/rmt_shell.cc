#include "tests/tools/rmt_shell.h"

#include "tests/test_support.h"
#include "tests/test_support/ssh_fixture.h"

namespace vtape::testing {

std::string rmt_server_command(const std::string& library) {
  return shell_quote(VTAPE_BINARY) + " rmt --library " + shell_quote(library);
}

std::string write_rmt_shell(const std::string& path, const std::string& library, const std::string& first) {
  write_script(path, first + "exec " + rmt_server_command(library) + "\n");
  return " --rsh-command=" + shell_quote(path);
}

}  // namespace vtape::testing
