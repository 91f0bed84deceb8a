// Between the bytes a program writes to a spool device and the records a
// spool file keeps (man/vtape-spool.1, "RECORDS"):
//
//   printer: one record per line (split at '\n', the newline not kept),
//            each starting with an ASA carriage control byte: '1' (new
//            page) for a line that began with a form feed (the form feed
//            is not kept), ' ' (single space) for any other line.
//   punch:   one 80-byte card per line, padded with blanks; a line longer
//            than 80 bytes is refused.  Reading back gives each card
//            without its trailing blanks and a newline.
//
// A last line without a newline is kept as a record and flagged, so the
// printer's bytes read back exactly as written.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "index/spool_metadata.h"
#include "tapeformat/base/status.h"

namespace vtape {

using SpoolRecords = std::vector<std::string>;

using SpoolRecordSink = std::function<Status(std::string_view record)>;

// The same split, done as the bytes come: memory for one line at most,
// whatever the size of the file.  feed() hands every whole line's record
// to `put`; finish() the last line without a newline, then fills the record
// fields of *m as spool_records_from_content does.
class SpoolRecordSplitter {
 public:
  explicit SpoolRecordSplitter(SpoolDevice device) : printer_(device == SpoolDevice::kPrinter) {}
  Status feed(std::string_view bytes, const SpoolRecordSink& put);
  Status finish(const SpoolRecordSink& put, SpoolMetadata* m);

 private:
  Status emit(std::string_view line, const SpoolRecordSink& put);

  bool printer_;
  std::string line_;  // the line so far (no newline yet)
  std::string record_;
  uint64_t records_ = 0, data_bytes_ = 0, content_bytes_ = 0, input_bytes_ = 0;
  uint32_t lrecl_ = 0;
};

// Fills the records and the record fields of `m` (lrecl, records,
// data_bytes, content_bytes, unterminated, carriage_control) from the
// bytes written to a `m.device`.  kInvalidArgument for a punch line longer
// than a card, naming the line.
Status spool_records_from_content(std::string_view content, SpoolMetadata* m, SpoolRecords* out);
// The bytes a spool file reads back as.
std::string spool_content_from_records(const SpoolMetadata& m, const SpoolRecords& records);

// Checks punch output as it is written: `column` is the length of the line
// written so far (kept between calls).  False when a line grows past 80.
bool punch_lines_fit(std::string_view more, uint32_t* column);

}  // namespace vtape
