// vtapefs: mounts virtual tape drives backed by the image files of a library.
//
//   vtapefs [--library DIR] [--group G] [--drives N] [-f] [-d] [-o FUSE_OPTIONS] MOUNTPOINT
//
// main() is a fixed sequence: parse, open the library, hand over to FUSE
// (which mounts, daemonizes unless -f, and runs a multi-threaded loop).
// The drives and the control socket start in init(), after daemonizing, so
// that their threads live in the daemon process.

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fuse/fuse_adapter.h"
#include <fuse3/fuse_lowlevel.h>
#include "fuse/vtapefs.h"

namespace {

constexpr const char* kUsage =
    "usage: vtapefs [--library DIR] [--group G] [--drives N] [-f] [-d] [-o FUSE_OPTIONS] MOUNTPOINT\n"
    "Mounts virtual tape drives (drives/nstN, drives/stN) backed by the cartridges of a\n"
    "library (default $VTAPE_LIBRARY, else ~/.local/share/vtapefs). A new library is\n"
    "only its owner's (0700), or shared with group G (02770). Unmount with\n"
    "fusermount3 -u MOUNTPOINT. See vtapefs(8).\n";

vtape::VtapeFs* g_fs = nullptr;
bool g_start_failed = false;

void* init_then_start(fuse_conn_info* conn, fuse_config* cfg) {
  void* data = vtape::vtapefs_operations().init(conn, cfg);
  vtape::Status s = g_fs->start();
  if (!s.is_ok()) {
    fmt::print(stderr, "vtapefs: {}\n", s.message());
    g_start_failed = true;
    fuse_exit(fuse_get_context()->fuse);
  }
  return data;
}

void destroy_then_stop(void*) { g_fs->stop(); }

// parse FUSE's own options, session, mount, daemonize, signals, loop,
// unmount: the sequence fuse_main() runs, spelled out so the loop gets a
// sane thread configuration (libfuse 3.14's fuse_main() passes an unset
// maximum and warns about it on every mount).
int run_fuse(std::vector<std::string>& arguments, vtape::VtapeFs& fs) {
  std::vector<char*> cargs;
  for (auto& a : arguments) cargs.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(cargs.size()), cargs.data());
  fuse_cmdline_opts opts{};
  if (fuse_parse_cmdline(&args, &opts) != 0 || opts.mountpoint == nullptr) {
    fmt::print(stderr, "vtapefs: cannot parse the FUSE options\n");
    return 2;
  }
  fuse_operations ops = vtape::vtapefs_operations();
  ops.init = init_then_start;
  ops.destroy = destroy_then_stop;
  int rc = 1;
  fuse* f = fuse_new(&args, &ops, sizeof ops, &fs);
  if (f != nullptr) {
    if (fuse_mount(f, opts.mountpoint) == 0) {
      if (fuse_daemonize(opts.foreground) == 0 && fuse_set_signal_handlers(fuse_get_session(f)) == 0) {
        if (opts.singlethread) {
          rc = fuse_loop(f);
        } else {
          fuse_loop_config* cfg = fuse_loop_cfg_create();
          fuse_loop_cfg_set_clone_fd(cfg, opts.clone_fd);
          fuse_loop_cfg_set_max_threads(cfg, 16);
          rc = fuse_loop_mt(f, cfg);
          fuse_loop_cfg_destroy(cfg);
        }
        fuse_remove_signal_handlers(fuse_get_session(f));
      }
      fuse_unmount(f);
    }
    fuse_destroy(f);
  }
  free(opts.mountpoint);
  fuse_opt_free_args(&args);
  return rc == 0 && !g_start_failed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string library_dir = vtape::TapeLibrary::default_dir();
  std::string group;
  int drives = 2;
  std::vector<std::string> fuse_args = {argv[0]};
  std::string mountpoint;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "vtapefs: {} needs a value\n{}", name, kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (a == "--library") {
      library_dir = value("--library");
    } else if (a == "--group") {
      group = value("--group");
    } else if (a == "--drives") {
      std::string v = value("--drives");
      drives = std::atoi(v.c_str());
      if (drives < 1 || drives > 64) {
        fmt::print(stderr, "vtapefs: --drives takes 1 to 64, not '{}'\n", v);
        return 2;
      }
    } else if (a == "-f" || a == "-d" || a == "-s") {
      fuse_args.push_back(a);
    } else if (a == "-o") {
      fuse_args.push_back(a);
      fuse_args.push_back(value("-o"));
    } else if (!a.empty() && a[0] == '-') {
      fmt::print(stderr, "vtapefs: unknown option {}\n{}", a, kUsage);
      return 2;
    } else if (mountpoint.empty()) {
      mountpoint = a;
    } else {
      fmt::print(stderr, "vtapefs: one MOUNTPOINT only\n{}", kUsage);
      return 2;
    }
  }
  if (mountpoint.empty()) {
    fmt::print(stderr, "vtapefs: MOUNTPOINT is needed\n{}", kUsage);
    return 2;
  }

  std::unique_ptr<vtape::TapeLibrary> library;
  vtape::Status s = vtape::TapeLibrary::open(library_dir, /*create=*/true, &library, group);
  if (!s.is_ok()) {
    fmt::print(stderr, "vtapefs: {}\n", s.message());
    return 1;
  }
  vtape::VtapeFs fs(std::move(library), drives);
  g_fs = &fs;
  if (vtape::Status p = fs.preflight(); !p.is_ok()) {
    fmt::print(stderr, "vtapefs: {}\n", p.message());
    return 1;
  }

  // default_permissions: the kernel checks every access against the owner
  // and mode getattr gives (the library's owner for the drives and images,
  // the archived owner for saved members, the spool user for spool files),
  // so that with -o allow_other nobody reaches what is not theirs.
  fuse_args.push_back("-o");
  fuse_args.push_back("fsname=vtapefs,subtype=vtapefs,default_permissions");
  fuse_args.push_back(mountpoint);
  return run_fuse(fuse_args, fs);
}
