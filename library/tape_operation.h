// What any door (the mount's ioctls, an rmt session, a receiver) may ask of
// a drive besides reading and writing records: the neutral vocabulary
// TapeDrive::operation() takes.  How a door's own numbers map onto it is
// the door's business (library/mtio_mapping.h for <sys/mtio.h>: the mount and rmt).
#pragma once

namespace vtape {

enum class TapeOp {
  kNop,                       // flush what is buffered; nothing moves
  kSpaceFilesForward,         // count filemarks forward, to just after the last
  kSpaceFilesBackward,        // count filemarks back, to just before the last
  kSpaceFilesForwardToMark,   // forward over count filemarks, then back before the last
  kSpaceFilesBackwardToMark,  // back over count filemarks, then forward after the last
  kSpaceRecordsForward,       // count records forward (a filemark stops it)
  kSpaceRecordsBackward,      // count records back (a filemark stops it)
  kWriteFilemarks,            // count filemarks (0: only a sync point)
  kWriteFilemarksImmediate,   // the same; the drive never buffers them anyway
  kRewind,
  kRetension,                 // a rewind, on a virtual tape
  kLoad,                      // the cartridge in the drive is rewound
  kUnload,                    // rewind and eject the cartridge
  kEndOfData,                 // to the end of the recorded data, to append
  kErase,                     // everything from here to the end of the tape
  kLocate,                    // to block address count (records and filemarks from BOT)
  kSetBlockSize,              // count bytes (0: variable-block mode)
  kSetDensity,                // density code count
  kSetDriveBuffer,            // accepted, changes nothing (a drive buffer size, options not implemented)
  kSetBufferedWrites,         // count != 0: write() returns once its record is in the drive's
                              // buffer (the default, st's buffer-writes); 0: write-through
  kSetCompression,            // count != 0: on
  kLock,                      // the cartridge stays in: `vtape unload` refuses until kUnlock
  kUnlock,
  // An operation the door could not name: answered kNotSupported, after
  // ending a write in progress as every operation that is no setting does.
  kUnknown,
};

}  // namespace vtape
