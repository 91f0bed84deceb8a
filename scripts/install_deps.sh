#!/bin/bash
# Installs the Debian 12 packages that building, testing and the demo need,
# when any is missing.  Run as root (CI and fresh machines are root).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config            # toolchain
  libfuse3-dev fuse3 libfmt-dev libsqlite3-dev libgtest-dev zlib1g-dev libbz2-dev
  libssl-dev                                  # SHA-256 (libcrypto), a library's digest setting
  libxxhash-dev xxhash                        # XXH3-128, the default tape-file digest (xxhsum for its tests)
  libsystemd-dev systemd                      # readiness (sd_notify), the journal (and journald for its test)
  liblzma-dev libzstd-dev                     # compressed archives on tape (xz, zstd; zlib and bzip2 above)
  clang libclang-rt-14-dev                    # libFuzzer targets
  gcc-multilib                                # 32-bit ioctl callers in the drive tests
  hercules simh mt-st cpio tar sqlite3 attr python3 gzip bzip2 xz-utils zstd   # the real programs the tests drive
  openssh-server                              # vtape rmt's tests run tar, cpio and mt-gnu through a real sshd
  openssl                                     # the 1 GiB stream test makes its input with openssl enc
  strace                                      # the kill tests: SIGKILL at the Nth write, a client delayed after connect
  bacula-sd dump e2fsprogs mount              # btape, dump(8) of an ext2 image (mke2fs, debugfs, losetup)
  bacula-director bacula-director-sqlite3 bacula-fd bacula-console   # a real Bacula backup through vtape changer (postinst only starts them under systemd)
  amanda-server amanda-client                 # a real Amanda (chg-robot) through vtape-mtx (pulls in openbsd-inetd, enabled for amandad on tcp 10080 under systemd)
  dpkg-dev man-db                             # the package: cpack -G DEB (dpkg-shlibdeps), man of the installed pages
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
