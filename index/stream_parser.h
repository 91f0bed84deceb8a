// StreamParser: base for parsers that read an archive (tar, cpio) out of a
// tape file's bytes as they stream past, record by record, without ever
// holding more than one header.  A subclass asks for the next N bytes
// (expect) or to pass over N bytes (skip) and gets them in on_bytes().
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "index/tape_member.h"

namespace vtape {

class StreamParser {
 public:
  virtual ~StreamParser() = default;
  void feed(std::span<const uint8_t> data);
  bool done() const { return done_; }
  const std::vector<TapeMember>& members() const { return members_; }
  std::vector<TapeMember>& members() { return members_; }
  // Moves the members found so far (final once found) to the end of `out`,
  // so that they can be cataloged while the archive still streams.
  void take_members(std::vector<TapeMember>* out) {
    members_taken_ += members_.size();
    if (out->empty()) {
      out->swap(members_);
    } else {
      out->insert(out->end(), std::make_move_iterator(members_.begin()), std::make_move_iterator(members_.end()));
    }
    members_.clear();
  }
  const std::optional<std::string>& damage() const { return damage_; }
  // Called when the tape file ends: an archive cut short is damage.
  virtual void finish() = 0;

 protected:
  // The next `n` bytes go to on_bytes() in one piece (a view valid only
  // during the call: often the caller's record itself).
  void expect(size_t n) { want_ = n; }
  void skip(uint64_t n) { skip_ = n; }
  virtual void on_bytes(std::span<const uint8_t> bytes) = 0;
  void stop() { done_ = true; }
  void fail(std::string why) {
    if (!damage_) damage_ = std::move(why);
    done_ = true;
  }
  // Stream offset of the first byte of the current on_bytes() chunk.
  uint64_t chunk_offset() const { return chunk_offset_; }
  uint64_t stream_offset() const { return offset_; }
  // True when the stream ended inside a header or inside member data.
  bool cut_short() const { return !buf_.empty() || skip_ > 0; }
  // Whether any member was found, taken or not.
  bool found_members() const { return members_taken_ > 0 || !members_.empty(); }

  std::vector<TapeMember> members_;

 private:
  size_t want_ = 0;
  uint64_t skip_ = 0;
  std::vector<uint8_t> buf_;
  uint64_t offset_ = 0;        // bytes of the stream consumed so far
  uint64_t chunk_offset_ = 0;
  bool done_ = false;
  uint64_t members_taken_ = 0;
  std::optional<std::string> damage_;
};

}  // namespace vtape
