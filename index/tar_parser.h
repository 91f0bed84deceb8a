// Reads tar member headers (v7, POSIX ustar, GNU and pax extensions) out of
// a tape file's byte stream: names, sizes, modes, mtimes and where each
// member's data starts.  Names are kept exactly as written.
#pragma once

#include <span>

#include "index/stream_parser.h"

namespace vtape {

// Whether a 512-byte block is a tar header (its checksum is right).
bool is_tar_header(std::span<const uint8_t> block);

class TarParser : public StreamParser {
 public:
  TarParser() { expect(512); }
  void finish() override;

 private:
  enum class Pending { kNone, kLongName, kLongLink, kPax };
  void on_bytes(std::span<const uint8_t> bytes) override;
  void on_header(std::span<const uint8_t> h);
  void on_extension(std::span<const uint8_t> data);

  Pending pending_ = Pending::kNone;
  uint64_t pending_padding_ = 0;
  std::string long_name_, long_link_, pax_path_, pax_link_;
  std::optional<uint64_t> pax_size_;
  std::optional<int64_t> pax_mtime_;
  std::optional<int64_t> pax_uid_, pax_gid_;
};

}  // namespace vtape
