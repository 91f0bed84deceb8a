// The format table: one row per tape image format, with everything the rest
// of vtape needs to know about it (name, file extensions, whether it can be
// written, record limits and framing arithmetic, crash guard, how detection
// tries it, and its codec).  Every list of formats, every switch on Format
// and every message naming formats asks this table, so adding a format is
// its codec, its Format value, one row here and its man page section.
// Byte layouts are documented in man/vtape-formats.5.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tapeformat/tape_format.h"

namespace vtape {

class Codec;

struct FormatSpec {
  Format format;
  std::string_view name;  // as --format and messages spell it
  // File name extensions, lower case with the dot; the first is the one
  // vtape gives new images of this format.
  std::span<const std::string_view> extensions;
  bool writable;
  uint32_t max_record_size;
  // Bytes a record of `length` bytes takes in the image as this format's
  // writer frames it with `options` (a HET record is counted uncompressed:
  // the writer stores it so when compressing would not make it smaller).
  // Only for writable formats.
  uint64_t (*framed_size)(uint64_t length, const WriteOptions& options);
  // SIMH length words before and after every record: any record can be
  // found from its neighbours and can carry the "read with an error" flag.
  bool simh_framed;
  // The word a drive keeps after the last object while it writes (see
  // ImageFile's end guard), if the format has such an end-of-medium marker.
  // An image that starts with it is an empty tape of this format.
  std::optional<uint32_t> end_guard;
  // Detection (format_detect.cc).  detection_rank: formats with a rank
  // have their codec tried on an image, lower ranks first; a clean reading
  // of a lower rank wins, equal ranks read the same bytes and the file name
  // decides between them.  0: never tried itself, it is read through the
  // trials of `read_by`.
  int detection_rank;
  // The trial formats whose reading stands for this format: itself, or the
  // formats whose codecs read its images (MTD: SIMH and E11 framing).
  std::span<const Format> read_by;
  // Whether the trial of its framing checks anything: a format without
  // redundancy (TPC) reads any bytes as something and is judged last.
  bool checked_framing;
  // A reading through `read_by` that met a compressed record is this format.
  bool has_compressed_records;
  std::unique_ptr<Codec> (*make_codec)(const WriteOptions& options);
};

// Every format, in the order vtape lists them.
std::span<const FormatSpec> format_table();
const FormatSpec& format_spec(Format f);
// The format of new images when nothing says otherwise.
Format default_format();
// "simh, e11, mtd, aws, het, tpc" (every format) or with writable_only
// the formats that can be written, joined by `separator`.
std::string format_names(std::string_view separator, bool writable_only = false);
// ".tap, .simh, .e11, ..." (every format's extensions), joined by `separator`.
std::string format_extensions(std::string_view separator);

}  // namespace vtape
