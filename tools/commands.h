// The vtape subcommands.  Each takes its arguments (after the subcommand
// name) and returns the exit status: 0 success, 1 failure, 2 usage error.
#pragma once

#include <string>
#include <vector>

namespace vtape {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

using Args = std::vector<std::string>;

int run_dump(const Args& args);
int run_verify(const Args& args);
int run_convert(const Args& args);
int run_info(const Args& args);
int run_write(const Args& args);
int run_new(const Args& args);
int run_load(const Args& args);
int run_unload(const Args& args);
int run_protect(const Args& args);
int run_unprotect(const Args& args);
int run_status(const Args& args);
int run_ls(const Args& args);
int run_find(const Args& args);
int run_index(const Args& args);
int run_import(const Args& args);
int run_restore(const Args& args);
int run_spool(const Args& args);

}  // namespace vtape
