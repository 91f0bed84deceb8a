// What a vtape rmt session opens: a cartridge of a library no vtapefs
// serves (through the library's own drive core, CartridgeDoor), or a drive
// of the vtapefs that serves the library (through its drives/ file, so the
// daemon's drive does the work).  Both speak Linux's <sys/mtio.h> numbers
// and answer errnos, so the session does not care which it has.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tools/rmt_protocol.h"

namespace vtape {

class RmtTape {
 public:
  virtual ~RmtTape() = default;
  // For messages and the log: "VOL002", "drive nst0".
  virtual std::string name() const = 0;
  // Each 0 or an errno.
  virtual int write(std::span<const uint8_t> record) = 0;
  virtual int read(std::span<uint8_t> buffer, size_t* length) = 0;
  virtual int operation(int mt_op, int mt_count) = 0;
  virtual int status(MtStatus* out) = 0;
  // st's close (the filemark after writing); a message when it failed.
  virtual std::string close() = 0;
};

struct RmtOpenRequest {
  std::string library_dir;
  std::string name;  // as the client sent it
  RmtOpenFlags flags;
  std::vector<std::string> allow;  // --allow patterns; empty: any name
  bool read_only = false;          // --read-only
};

// Opens what `request` names: a volume serial (VOL002), or a drive of the
// running vtapefs (nstN, stN, /dev/nstN, /dev/stN).  Anything else, and
// names outside `allow`, are refused before anything is looked up.  On
// failure *error and *message say why (the E reply).
std::unique_ptr<RmtTape> open_rmt_tape(const RmtOpenRequest& request, int* error, std::string* message);

}  // namespace vtape
