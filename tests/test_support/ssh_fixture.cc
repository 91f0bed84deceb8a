#include "tests/test_support/ssh_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

namespace vtape::testing {

Sshd::Sshd(const TempDir& dir, const std::string& forced_command) : dir_(dir) { ok_ = start(forced_command); }

Sshd::~Sshd() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

void write_script(const std::string& path, const std::string& body) {
  write_text(path, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0700);
}

std::string Sshd::ssh_script(const std::string& key) const {
  std::string path = dir_.file("ssh-" + key + ".sh");
  write_script(path, "exec ssh -F /dev/null -p " + std::to_string(port_) + " -i " + shell_quote(dir_.file(key)) +
                         " -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=" +
                         shell_quote(dir_.file("known_hosts")) + " -o StrictHostKeyChecking=accept-new" +
                         " -o LogLevel=ERROR -l root \"$@\"\n");
  return path;
}

bool Sshd::fail(const std::string& why) {
  error_ = why;
  return false;
}

bool Sshd::start(const std::string& forced_command) {
  for (const char* key : {"host_key", "plain_key", "forced_key"}) {
    CommandResult k = run_command("ssh-keygen -q -t ed25519 -N '' -f " + shell_quote(dir_.file(key)));
    if (k.exit_code != 0) return fail(describe(k));
  }
  // The second key may run only `forced_command`, whatever its client asks.
  std::string forced = "command=\"" + forced_command + "\",restrict " + read_text(dir_.file("forced_key.pub"));
  write_text(dir_.file("authorized_keys"), read_text(dir_.file("plain_key.pub")) + forced);
  ::chmod(dir_.file("authorized_keys").c_str(), 0600);
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(s);
    return fail("no free port");
  }
  port_ = ntohs(a.sin_port);
  ::close(s);
  write_text(dir_.file("sshd_config"),
             "Port " + std::to_string(port_) + "\nListenAddress 127.0.0.1\nHostKey " + dir_.file("host_key") +
                 "\nAuthorizedKeysFile " + dir_.file("authorized_keys") +
                 "\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
                 "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\nLogLevel ERROR\n");
  ::mkdir("/run/sshd", 0755);  // its privilege separation directory
  std::string log = dir_.file("sshd.log");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", dir_.file("sshd_config").c_str(), "-E", log.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 1200; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM, 0);
    bool up = ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(c);
    if (up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fail("sshd did not listen: " + read_text(log));
}

RemoteLibrary::RemoteLibrary(const std::string& forced_options, const std::string& vtapefs_args) {
  if (!std::filesystem::exists("/usr/sbin/sshd")) {
    error_ = "no /usr/sbin/sshd: openssh-server (scripts/install_deps.sh)";
    return;
  }
  if (!vtapefs_args.empty()) {
    served_by_ = std::make_unique<MountedVtapefs>(vtapefs_args);
    if (!served_by_->ok()) {
      error_ = "the remote vtapefs: " + served_by_->error();
      return;
    }
    library_ = served_by_->library();
  } else {
    library_ = dir_.file("remote");
    if (::mkdir(library_.c_str(), 0700) != 0) {
      error_ = "cannot make " + library_;
      return;
    }
    CommandResult made = run_vtape("new --library " + shell_quote(library_) + " SEED01");
    if (made.exit_code != 0) {
      error_ = describe(made);
      return;
    }
  }
  receive_ = std::string(VTAPE_BINARY) + " receive --library " + library_;
  sshd_ = std::make_unique<Sshd>(sshdir_, receive_ + forced_options);
  if (!sshd_->ok()) {
    error_ = sshd_->error();
    return;
  }
  ssh_ = sshd_->ssh_script("plain_key");
}

int RemoteLibrary::expect_mirror_of(const MountedVtapefs& vt, const std::string& local_volser,
                                    const std::string& local_image, const std::string& remote_volser) const {
  std::string remote_image =
      library_ + "/cartridges/" + remote_volser + std::filesystem::path(local_image).extension().string();
  CommandResult c = run_command("cmp " + shell_quote(local_image) + " " + shell_quote(remote_image));
  EXPECT_EQ(c.exit_code, 0) << describe(c) << vt.log();
  CommandResult a = vt.vtape("ls --json " + local_volser);
  CommandResult b = run_vtape("ls --json --library " + shell_quote(library_) + " " + remote_volser);
  EXPECT_EQ(a.exit_code, 0) << describe(a);
  EXPECT_EQ(b.exit_code, 0) << describe(b);
  if (a.exit_code != 0 || b.exit_code != 0) return -1;
  std::string files = "[(f['records'], f['bytes'], f['digest']) for f in d['files']]";
  EXPECT_EQ(json_query(a.out, files), json_query(b.out, files)) << local_volser << " and " << remote_volser;
  return std::atoi(json_query(b.out, "len(d['files'])").c_str());
}

}  // namespace vtape::testing
