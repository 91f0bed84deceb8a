// TapeImage: one tape image file seen as a tape.  It reads one object at a
// time forward or backward, writes records and filemarks with tape rules (a
// write discards everything after it), and keeps the position as file
// number, block number and byte offset.  Memory use does not depend on the
// image size.
//
// Reading forward:
//   record     -> obj.kind == kRecord, data filled, position past it
//   filemark   -> obj.kind == kFilemark, position past it (next file, block 0)
//   end of data-> obj.kind == kEndOfData, position unchanged
// Reading backward (step_back):
//   record / filemark -> position before it
//   beginning of tape -> obj.kind == kBeginningOfTape, position unchanged
// Damage is a kCorrupt Status naming the byte offset; the position does not
// change, so a caller may resynchronise with seek_to_offset().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tapeformat/codec.h"
#include "tapeformat/image_file.h"
#include "tapeformat/base/status.h"
#include "tapeformat/tape_format.h"
#include "tapeformat/tape_object.h"

namespace vtape {

struct OpenOptions {
  bool writable = false;
  std::optional<Format> format;  // detected from the content when not given
  WriteOptions write;            // for later writes (HET compression, chunk size)
};

class TapeImage {
 public:
  static Status open(const std::string& path, const OpenOptions& options,
                     std::unique_ptr<TapeImage>* out);
  static Status create(const std::string& path, Format format, const WriteOptions& options,
                       bool overwrite, std::unique_ptr<TapeImage>* out);
  // An image on an already open descriptor (fuzz targets use a memfd; a
  // restore continues its partial image on the descriptor it checked).
  static Status adopt_fd(int fd, std::string name, Format format, bool writable,
                         std::unique_ptr<TapeImage>* out, const WriteOptions& options = {});

  ~TapeImage();

  Format format() const { return codec_->format(); }
  const std::string& path() const { return file_.path(); }
  uint64_t size() const { return file_.size(); }
  uint64_t bytes_read() const { return file_.bytes_read(); }
  uint64_t reads() const { return file_.reads(); }
  const TapePosition& position() const { return pos_; }
  bool writable() const { return file_.writable(); }

  Status read(TapeObject* obj, std::vector<uint8_t>* data);
  // Whether read_in_place() works for this image's format.
  bool records_in_place() const { return codec_->records_in_place(); }
  // read() without copying a record's data: *data_offset is where its
  // obj->length bytes are in the image file, for the caller to take with
  // read_bytes() or straight from descriptor().  Only if records_in_place().
  Status read_in_place(TapeObject* obj, uint64_t* data_offset);
  // Bytes of the image file (the data of a record read in place).
  Status read_bytes(uint64_t offset, std::span<uint8_t> out) {
    return file_.read_exact(offset, out.data(), out.size(), "record");
  }
  int descriptor() const { return file_.descriptor(); }
  // The stored bytes (framing included) of the object read last, if they
  // are still in memory; empty otherwise.  Valid until the next call.
  std::span<const uint8_t> stored_bytes(const TapeObject& obj) const {
    return file_.cached(obj.offset, static_cast<size_t>(obj.stored_size));
  }
  Status step_back(TapeObject* obj);
  // What the next read would meet (kind and length), without moving.
  Status peek(TapeObject* obj);
  Status rewind();
  // Moves to the end of the recorded data (skips data, keeps counting files).
  Status seek_end_of_data();
  // Continues reading at a byte offset (after damage).  File and block
  // counts carry on from where they were; they may be wrong after damage.
  void seek_to_offset(uint64_t offset);
  // Back to a position this image reported before (position()), with
  // nothing changed before it since: a drive's feed writes at the end of
  // data and gives its reader the place it was reading back.
  void set_position(const TapePosition& position) { pos_ = position; }

  Status write_record(std::span<const uint8_t> data, bool error_flag = false);
  Status write_filemark();
  // Erases from the current position to the end of the tape.
  Status erase_to_end();

  // Crash guard for images a drive writes to (see ImageFile end guard):
  // SIMH-framed formats keep an end-of-medium marker after the last object
  // so that a process killed mid-write never leaves a torn image.  Formats
  // without such a marker (AWS, HET) ignore this.
  Status enable_crash_guard();
  Status disable_crash_guard() { return file_.disable_end_guard(); }

  // After MTEOM the st driver does not know the block number either.
  void mark_block_unknown() { pos_.block = -1; }

  Status flush() { return file_.flush(); }
  void set_write_through(bool on) { file_.set_write_through(on); }
  void set_early_writeback(bool on) { file_.set_early_writeback(on); }
  Status sync() { return file_.sync(); }
  Status close() { return file_.close(); }

  // Whether a well-formed object seems to start at this offset.
  bool plausible_object_at(uint64_t offset) { return codec_->plausible_object_at(file_, offset); }

  // "path: at byte N: expected X, found Y"
  std::string describe(const Status& s) const { return s.message_for(path()); }

 private:
  TapeImage() = default;
  Status prepare_write();

  ImageFile file_;
  std::unique_ptr<Codec> codec_;
  TapePosition pos_;
};

}  // namespace vtape
