// Gathered writes that may move fewer bytes than asked (writev, pwritev,
// sendmsg): what is left to write after each call.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace vtape {

// Steps `*iov` (`*count` vectors) over the `done` bytes a call moved: past
// the vectors written whole, then into a partial one, so that the call can
// be repeated with what is left (nothing when *count reaches 0).
inline void advance_io_vectors(::iovec** iov, size_t* count, size_t done) {
  while (*count > 0 && done >= (*iov)->iov_len) {
    done -= (*iov)->iov_len;
    ++*iov;
    --*count;
  }
  if (*count > 0) {
    (*iov)->iov_base = static_cast<uint8_t*>((*iov)->iov_base) + done;
    (*iov)->iov_len -= done;
  }
}

}  // namespace vtape
