#include "library/library_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "library/control_protocol.h"

namespace vtape {
namespace {

std::string lock_path(const TapeLibrary& library) { return library.dir() + "/vtapefs.lock"; }

}  // namespace

LibraryLock::~LibraryLock() {
  if (fd_ >= 0) ::close(fd_);
}

Status LibraryLock::try_acquire(const TapeLibrary& library, std::unique_ptr<LibraryLock>* out, bool* held_by_other) {
  out->reset();
  *held_by_other = false;
  std::string path = lock_path(library);
  // O_NOFOLLOW: a link planted in the library's place is not followed.  A
  // user of the library's group may find it made by another: flock needs
  // no write access, so read-only will do (the pid is then not noted).
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, library.file_mode() & 0660);
  if (fd >= 0) {
    struct stat st {};
    // Made just now (or by us): exactly the library's mode, whatever the umask.
    if (fstat(fd, &st) == 0 && st.st_uid == ::geteuid()) (void)fchmod(fd, library.file_mode() & 0660);
  } else if (errno == EACCES) {
    fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) return Status::io_error(fmt::format("cannot open the library's lock {}", path), errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK) {
      *held_by_other = true;
      return Status::ok();
    }
    return Status::io_error(fmt::format("cannot lock {}", path), e);
  }
  out->reset(new LibraryLock(fd));
  (*out)->note_holder();
  return Status::ok();
}

void LibraryLock::note_holder() {
  std::string pid = fmt::format("{}\n", static_cast<long>(::getpid()));
  if (::ftruncate(fd_, 0) == 0) (void)::pwrite(fd_, pid.data(), pid.size(), 0);
}

long LibraryLock::holder_pid(const TapeLibrary& library) {
  int fd = ::open(lock_path(library).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  ::close(fd);
  return n > 0 ? std::strtol(buf, nullptr, 10) : 0;
}

Status request_or_offline(const TapeLibrary& library, const std::string& request, std::string* payload,
                          const std::function<Status()>& offline, bool* offline_ran) {
  *offline_ran = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLockWaitMilliseconds);
  for (;;) {
    Status s = control_request(library.socket_path(), request, payload);
    if (s.code() != StatusCode::kNotFound) return s;  // a daemon answered (ok or its error)
    std::unique_ptr<LibraryLock> lock;
    bool busy = false;
    VTAPE_RETURN_IF_ERROR(LibraryLock::try_acquire(library, &lock, &busy));
    if (lock) {
      // No daemon (a daemon holds the lock for its whole life), and none
      // can start until this change is done.
      *offline_ran = true;
      return offline();
    }
    // A vtapefs holds the lock and does not answer yet (it is starting), or
    // another command is changing the state: wait for either.
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::io_error(
          fmt::format("the library {} is locked by process {}, which does not answer on {}", library.dir(),
                      LibraryLock::holder_pid(library), library.socket_path()),
          EBUSY);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace vtape
