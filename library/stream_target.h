// StreamTarget: where a received stream of records and filemarks lands
// (`vtape receive`, issue 18).  Two kinds meet here:
//   - a cartridge driven by the receiving process itself, through a
//     CartridgeDoor, when no vtapefs serves the library;
//   - a drive of the running vtapefs that serves the library, reached
//     through its control socket (a "feed"): either a cartridge the daemon
//     loads into a free drive for this stream, or a drive already loaded
//     that a program on this host may be reading at the same time.
// The receiver speaks the stream protocol; the target only writes, syncs
// and says how much of the tape is there, so resuming after a break works
// the same through both.
#pragma once

#include <cstdint>
#include <string>

#include "library/restore_replay.h"
#include "tapeformat/base/status.h"

namespace vtape {

// What a receive does with a cartridge that already holds something.
enum class StreamOverwrite {
  kNever,   // refuse a cartridge that holds any record or filemark
  kAlways,  // write from the beginning of the tape
  kAppend,  // write after the last object (end of data)
};

class StreamTarget : public RecordSink {
 public:
  // record() and filemark() (from RecordSink) append, with st semantics:
  // early warning and a full disk are kNoSpace at the record that meets it.

  // Records and filemarks (objects) on the tape before the place where this
  // target started writing: after a break, the receiver counts what reached
  // the tape as (objects on tape now) - (objects before at the stream's start).
  virtual uint64_t objects_before() const = 0;
  // Objects written through this target so far (accepted, maybe not durable).
  virtual uint64_t objects_written() const = 0;
  // Everything accepted so far is on stable storage when this returns ok:
  // the receiver acknowledges nothing before it.
  virtual Status sync() = 0;
  // The stream ended as the sender said (complete): closed as a close(2)
  // after writing closes a drive (a filemark after records, st's rule).
  // Not complete (the sender vanished, an error): synced and left as it is,
  // with no filemark added, so a resumed stream continues exactly there.
  virtual Status finish(bool complete) = 0;
};

}  // namespace vtape
