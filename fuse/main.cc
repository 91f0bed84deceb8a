// vtapefs: mounts virtual tape drives backed by the image files of a library.
//
//   vtapefs [--library DIR] [--group G] [--drives N] [--digest ALG] [--write-through] [-f] [-d] [-o OPTIONS] MOUNTPOINT
//
// main() is a fixed sequence: parse, open the library, take its lock
// (DriveService::preflight), check the mount point, hand over to FUSE.
// Unless -f, vtapefs forks into the background itself (not with
// fuse_daemonize) so that the command returns only when the daemon serves
// the library: the drives loaded, the control socket answering, the mount
// in place, or exits 1 with the reason when the daemon could not start.
// The drives and the control socket start in init(), in the daemon
// process, so that their threads live there.  With -f, readiness is told
// to systemd (sd_notify READY=1, for a Type=notify unit).  Messages go to
// standard error until the daemon is ready, then, in the background, to
// the journal (syslog without one); with -f always to standard error.

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include "fuse/fuse_adapter.h"
#include <fuse3/fuse_lowlevel.h>
#include "fuse/vtapefs.h"
#include "library/daemon_log.h"
#include "library/drive_mirror.h"
#include "library/mount_table.h"

namespace {

constexpr const char* kUsage =
    "usage: vtapefs [--library DIR] [--group G] [--drives N] [--digest xxh3-128|sha256]\n"
    "               [--write-through] [--mirror [USER@]HOST:PREFIX [--mirror-ssh-command CMD]\n"
    "               [--mirror-retry SECONDS] [--mirror-receive-command CMD]\n"
    "               [--mirror-unload-wait SECONDS]]\n"
    "               [-f] [-d] [-o OPTIONS] [LIBRARY] MOUNTPOINT\n"
    "Mounts virtual tape drives (drives/nstN, drives/stN) backed by the cartridges of a\n"
    "library (default $VTAPE_LIBRARY, else ~/.local/share/vtapefs). A new library is\n"
    "only its owner's (0700), or shared with group G (02770). Unmount with\n"
    "fusermount3 -u MOUNTPOINT. --digest sets the library's digest of tape files (kept\n"
    "in DIR/settings; xxh3-128 when never set). Drives buffer writes as st does\n"
    "(buffer-writes); with --write-through every record is in the image before its\n"
    "write() returns. -o takes drives=N, group=G, digest=ALG, write_through and FUSE's\n"
    "mount options, so that mount -t fuse.vtapefs LIBRARY MOUNTPOINT -o drives=4 and\n"
    "fstab lines work. --mirror sends every record and filemark written to a drive to\n"
    "the cartridge PREFIX+VOLSER of the library on HOST as well (ssh HOST vtape receive).\n"
    "See vtapefs(8).\n";

vtape::VtapeFs* g_fs = nullptr;
bool g_start_failed = false;
bool g_foreground = false;
// The write end of the pipe the waiting parent reads (-1 with -f, or once
// readiness was told): one byte, 0 when the daemon serves the library.
int g_ready_fd = -1;

// The daemon serves the library: the parent may return.  What the daemon
// says from now on has no terminal (as after fuse_daemonize): it goes to
// the journal.
void tell_ready() {
  if (g_foreground) {
    sd_notify(0, "READY=1");
    return;
  }
  if (g_ready_fd < 0) return;
  // From now on the daemon's messages go to the journal (library/daemon_log.h).
  vtape::set_log_sink(vtape::LogSink::kJournal);
  char ok = 0;
  (void)!::write(g_ready_fd, &ok, 1);
  ::close(g_ready_fd);
  g_ready_fd = -1;
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::close(null);
  }
}

void* init_then_start(fuse_conn_info* conn, fuse_config* cfg) {
  void* data = vtape::vtapefs_operations().init(conn, cfg);
  vtape::Status s = g_fs->start();
  if (!s.is_ok()) {
    fmt::print(stderr, "vtapefs: {}\n", s.message());
    g_start_failed = true;
    fuse_exit(fuse_get_context()->fuse);
    return data;
  }
  g_fs->service().note_lock_holder();
  tell_ready();
  return data;
}

void destroy_then_stop(void*) { g_fs->stop(); }

// Forks: the parent waits until the daemon (the child) is ready or gone and
// exits with 0 or 1; the child returns and goes on to mount and serve.
void fork_into_background() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    fmt::print(stderr, "vtapefs: cannot make a pipe: {}\n", std::strerror(errno));
    std::exit(1);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    fmt::print(stderr, "vtapefs: cannot fork: {}\n", std::strerror(errno));
    std::exit(1);
  }
  if (pid > 0) {
    ::close(fds[1]);
    char status = 1;
    ssize_t n;
    do {
      n = ::read(fds[0], &status, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1 && status == 0) _exit(0);
    // The daemon said why on our shared stderr and is exiting.
    int ws = 0;
    ::waitpid(pid, &ws, 0);
    _exit(1);
  }
  ::close(fds[0]);
  g_ready_fd = fds[1];
  ::setsid();
}

// parse FUSE's own options, session, mount, background, signals, loop,
// unmount: the sequence fuse_main() runs, spelled out so the loop gets a
// sane thread configuration (libfuse 3.14's fuse_main() passes an unset
// maximum and warns about it on every mount) and the command returns only
// when the daemon is ready.
int run_fuse(std::vector<std::string>& arguments, vtape::VtapeFs& fs) {
  std::vector<char*> cargs;
  for (auto& a : arguments) cargs.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(cargs.size()), cargs.data());
  fuse_cmdline_opts opts{};
  if (fuse_parse_cmdline(&args, &opts) != 0 || opts.mountpoint == nullptr) {
    fmt::print(stderr, "vtapefs: cannot parse the FUSE options\n");
    return 2;
  }
  g_foreground = opts.foreground != 0;
  fuse_operations ops = vtape::vtapefs_operations();
  ops.init = init_then_start;
  ops.destroy = destroy_then_stop;
  int rc = 1;
  fuse* f = fuse_new(&args, &ops, sizeof ops, &fs);
  if (f != nullptr) {
    if (!g_foreground) fork_into_background();
    if (fuse_mount(f, opts.mountpoint) == 0) {
      (void)!::chdir("/");
      if (fuse_set_signal_handlers(fuse_get_session(f)) == 0) {
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
        // libfuse ends the loop on SIGTERM, SIGINT and SIGHUP and returns
        // the signal's number; that is how systemctl stop (and ^C with -f)
        // stops the daemon, a clean unmount, not a failure.
        if (rc == SIGTERM || rc == SIGINT || rc == SIGHUP) rc = 0;
      }
      fuse_unmount(f);
    }
    fuse_destroy(f);
  }
  free(opts.mountpoint);
  fuse_opt_free_args(&args);
  return rc == 0 && !g_start_failed ? 0 : 1;
}

// A mount point vtapefs may use: a directory, not already a vtapefs (a
// second mount would hide the first), and empty (a mount would hide what
// is in it).  A message when it may not.
std::string check_mount_point(const std::string& mountpoint) {
  std::error_code ec;
  std::string path = std::filesystem::canonical(mountpoint, ec).string();
  if (ec) return fmt::format("cannot use {} as the mount point: {}", mountpoint, ec.message());
  if (!std::filesystem::is_directory(path, ec)) return fmt::format("{} is not a directory", mountpoint);
  for (const auto& m : vtape::vtapefs_mounts()) {
    if (m.mount_point == path) {
      return fmt::format("{} already has a vtapefs mounted on it (library {}); unmount it first "
                         "(fusermount3 -u {})",
                         mountpoint, m.library, mountpoint);
    }
  }
  if (!std::filesystem::is_empty(path, ec)) {
    return fmt::format("{} is not empty: the mount would hide what is in it", mountpoint);
  }
  return "";
}

// --drives N or -o drives=N: 1 to 64; nothing (and a message) otherwise.
std::optional<int> drive_count(const std::string& text) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > 64) {
    fmt::print(stderr, "vtapefs: drives takes 1 to 64, not '{}'\n", text);
    return std::nullopt;
  }
  return n;
}

// --digest ALG or -o digest=ALG; nothing (and a message) otherwise.
std::optional<vtape::DigestAlgorithm> digest_option(const std::string& text) {
  auto algorithm = vtape::parse_digest_name(text);
  if (!algorithm) fmt::print(stderr, "vtapefs: digest takes {}, not '{}'\n", vtape::kDigestNames, text);
  return algorithm;
}

}  // namespace

int main(int argc, char** argv) {
  // The daemon runs about twenty threads (FUSE workers, a writer and an
  // analyzer per drive, the catalog, the control socket), and glibc gives
  // each its own arena up to 8 per core, each keeping what it freed: under
  // the soak (tests/drives/soak_test.cc) that grew the daemon from 58 to 72
  // MiB in a minute; with two arenas it stays within a few MiB of 45.
  // Unless the user chose (MALLOC_ARENA_MAX), two are enough: no thread
  // allocates per record on the write path.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
  std::string library_dir = vtape::TapeLibrary::default_dir();
  std::string group;
  int drives = 2;
  std::optional<vtape::DigestAlgorithm> digest;  // given: becomes the library's setting
  bool write_through = false;
  std::optional<vtape::MirrorOptions> mirror;
  std::string mirror_ssh = "ssh", mirror_receive = "vtape receive";
  double mirror_retry = 5;
  std::optional<double> mirror_unload_wait;
  std::optional<uint64_t> mirror_queue_bytes;
  std::vector<std::string> fuse_args = {argv[0]};
  std::vector<std::string> positional;
  // -o words of vtapefs's own (what mount(8) and fstab pass as options),
  // taken out before the rest goes to FUSE.
  auto take_own_options = [&](const std::string& list) -> bool {
    std::string rest;
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      std::string word = list.substr(start, comma - start);
      start = comma + 1;
      if (word.rfind("drives=", 0) == 0) {
        auto n = drive_count(word.substr(7));
        if (!n) return false;
        drives = *n;
      } else if (word.rfind("digest=", 0) == 0) {
        digest = digest_option(word.substr(7));
        if (!digest) return false;
      } else if (word == "write_through") {
        write_through = true;
      } else if (word.rfind("group=", 0) == 0) {
        group = word.substr(6);
      } else if (word.rfind("library=", 0) == 0) {
        library_dir = word.substr(8);
      } else if (!word.empty()) {
        rest += (rest.empty() ? "" : ",") + word;
      }
    }
    if (!rest.empty()) {
      fuse_args.push_back("-o");
      fuse_args.push_back(rest);
    }
    return true;
  };
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
      auto n = drive_count(value("--drives"));
      if (!n) return 2;
      drives = *n;
    } else if (a == "--digest") {
      digest = digest_option(value("--digest"));
      if (!digest) return 2;
    } else if (a == "--write-through") {
      write_through = true;
    } else if (a == "--mirror") {
      std::string dest = value("--mirror");
      mirror.emplace();
      if (!vtape::parse_mirror_destination(dest, &*mirror)) {
        fmt::print(stderr, "vtapefs: --mirror {}: [USER@]HOST:PREFIX\n", dest);
        return 2;
      }
    } else if (a == "--mirror-ssh-command") {
      mirror_ssh = value("--mirror-ssh-command");
    } else if (a == "--mirror-receive-command") {
      mirror_receive = value("--mirror-receive-command");
    } else if (a == "--mirror-retry") {
      std::string v = value("--mirror-retry");
      char* end = nullptr;
      mirror_retry = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(mirror_retry > 0) || mirror_retry > 86400) {
        fmt::print(stderr, "vtapefs: --mirror-retry {}: seconds, more than 0\n", v);
        return 2;
      }
    } else if (a == "--mirror-unload-wait") {
      std::string v = value("--mirror-unload-wait");
      char* end = nullptr;
      double w = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(w >= 0) || w > 86400) {
        fmt::print(stderr, "vtapefs: --mirror-unload-wait {}: seconds, 0 or more\n", v);
        return 2;
      }
      mirror_unload_wait = w;
    } else if (a == "--mirror-queue-bytes") {
      // Not in the usage: the tests make the queue small to overflow it.
      std::string v = value("--mirror-queue-bytes");
      char* end = nullptr;
      unsigned long long q = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || q == 0) {
        fmt::print(stderr, "vtapefs: --mirror-queue-bytes {}: bytes, more than 0\n", v);
        return 2;
      }
      mirror_queue_bytes = q;
    } else if (a == "-f" || a == "-d" || a == "-s") {
      fuse_args.push_back(a);
    } else if (a == "-o") {
      if (!take_own_options(value("-o"))) return 2;
    } else if (a.rfind("-o", 0) == 0 && a.size() > 2) {  // -odrives=3, as mount.fuse3 may pass it
      if (!take_own_options(a.substr(2))) return 2;
    } else if (!a.empty() && a[0] == '-') {
      fmt::print(stderr, "vtapefs: unknown option {}\n{}", a, kUsage);
      return 2;
    } else {
      positional.push_back(a);
    }
  }
  // MOUNTPOINT, or LIBRARY MOUNTPOINT as mount(8) runs a FUSE file system
  // (mount -t fuse.vtapefs LIBRARY MOUNTPOINT; the fstab's first field).
  if (positional.empty()) {
    fmt::print(stderr, "vtapefs: MOUNTPOINT is needed\n{}", kUsage);
    return 2;
  }
  if (positional.size() > 2) {
    fmt::print(stderr, "vtapefs: one LIBRARY and one MOUNTPOINT only\n{}", kUsage);
    return 2;
  }
  std::string mountpoint = positional.back();
  if (positional.size() == 2) {
    // "vtapefs#DIR", the mount's own source, names DIR too.
    std::string source = positional.front();
    if (source.rfind("vtapefs#", 0) == 0) source = source.substr(8);
    library_dir = source;
  }

  std::unique_ptr<vtape::TapeLibrary> library;
  vtape::Status s = vtape::TapeLibrary::open(library_dir, /*create=*/true, &library, group);
  if (!s.is_ok()) {
    fmt::print(stderr, "vtapefs: {}\n", s.message());
    return 1;
  }
  std::string fsname = vtape::vtapefs_fsname_option(library->dir());
  vtape::VtapeFs fs(std::move(library), drives);
  fs.service().set_buffered_writes(!write_through);
  if (mirror) {
    // A link that breaks is an error of a write to ssh, not a signal.
    ::signal(SIGPIPE, SIG_IGN);
    mirror->ssh_command = mirror_ssh;
    mirror->receive_command = mirror_receive;
    mirror->retry_seconds = mirror_retry;
    if (mirror_unload_wait) {
      mirror->unload_wait = std::chrono::milliseconds(static_cast<int64_t>(*mirror_unload_wait * 1000));
    }
    if (mirror_queue_bytes) mirror->queue_bytes = *mirror_queue_bytes;
    fs.service().set_mirror(*mirror);
  }
  g_fs = &fs;
  if (vtape::Status p = fs.preflight(); !p.is_ok()) {
    fmt::print(stderr, "vtapefs: {}\n", p.message());
    return 1;
  }
  // Saved once no other daemon serves the library (preflight), before the
  // drives start: every later mount and vtape command digests the same way.
  if (digest && *digest != fs.library().digest()) {
    if (vtape::Status d = fs.library().save_digest(*digest); !d.is_ok()) {
      fmt::print(stderr, "vtapefs: {}\n", d.message());
      return 1;
    }
  }
  if (std::string why = check_mount_point(mountpoint); !why.empty()) {
    fmt::print(stderr, "vtapefs: {}\n", why);
    return 1;
  }

  // default_permissions: the kernel checks every access against the owner
  // and mode getattr gives (the library's owner for the drives and images,
  // the archived owner for saved members, the spool user for spool files),
  // so that with -o allow_other nobody reaches what is not theirs.
  fuse_args.push_back("-o");
  // fsname: the mount's source names the library (vtapefs#DIR) for
  // findmnt, mount and vtape (library/mount_table.h).
  fuse_args.push_back("fsname=" + fsname + ",subtype=vtapefs,default_permissions");
  fuse_args.push_back(mountpoint);
  return run_fuse(fuse_args, fs);
}
