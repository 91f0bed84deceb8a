// A real sshd on 127.0.0.1 with its own host key, authorized_keys and a
// free port, for the tests of vtape rmt, vtape send/receive, vtapefs
// --mirror and the soak: two client
// keys, one plain and one restricted to a forced command.  Stopped by its
// pid when the object goes away.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "tests/test_support.h"

namespace vtape::testing {

// Writes `body` as a shell script at `path`, executable by its owner only
// (an ssh command, a wrapper that cuts a link).
void write_script(const std::string& path, const std::string& body);

class Sshd {
 public:
  Sshd(const TempDir& dir, const std::string& forced_command);
  ~Sshd();
  Sshd(const Sshd&) = delete;
  Sshd& operator=(const Sshd&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  // A script usable as --rsh-command or --ssh-command: ssh to 127.0.0.1
  // with `key` ("plain_key" or "forced_key").
  std::string ssh_script(const std::string& key) const;

 private:
  bool fail(const std::string& why);
  bool start(const std::string& forced_command);

  const TempDir& dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool ok_ = false;
  std::string error_;
};

// The remote side of vtape send and vtape --mirror: a library of its own
// (with one cartridge, SEED01, so that it exists) behind a real sshd whose
// forced key runs `vtape receive --library LIBRARY` + `forced_options`.
// With `vtapefs_args`, the library is instead a MountedVtapefs's, started
// with them: the receives go through its drives, several at once (without
// a vtapefs a second receive is refused while the first holds the library).
class RemoteLibrary {
 public:
  explicit RemoteLibrary(const std::string& forced_options = "", const std::string& vtapefs_args = "");
  RemoteLibrary(const RemoteLibrary&) = delete;
  RemoteLibrary& operator=(const RemoteLibrary&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& library() const { return library_; }
  // `vtape receive --library LIBRARY`: what a sender runs there.
  const std::string& receive_command() const { return receive_; }
  // ssh to it with the plain key (--ssh-command).
  const std::string& ssh() const { return ssh_; }
  const Sshd& sshd() const { return *sshd_; }
  // The vtapefs serving the library (with `vtapefs_args`), else null.
  const MountedVtapefs* served_by() const { return served_by_.get(); }

  // Expects this library's `remote_volser` to be the same tape as the
  // cartridge `local_volser` of `vt`, whose image is `local_image`: the
  // same image bytes (the remote image has the local one's extension: the
  // stream carries the format), and the same tape files (records, bytes,
  // digests) in both catalogs.  Returns how many tape files this library's
  // catalog lists, -1 when it cannot tell.
  int expect_mirror_of(const MountedVtapefs& vt, const std::string& local_volser, const std::string& local_image,
                       const std::string& remote_volser) const;

 private:
  TempDir dir_;
  TempDir sshdir_;
  // Before sshd_: sshd stops (no more receives) before the unmount.
  std::unique_ptr<MountedVtapefs> served_by_;
  std::unique_ptr<Sshd> sshd_;
  std::string library_, receive_, ssh_, error_;
};

}  // namespace vtape::testing
