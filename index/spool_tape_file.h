// One spool file on tape: a tape file of a header record (spool_header.h),
// the data records, and a filemark.  The spool cartridge and the images
// `vtape spool dump` writes are made of nothing else.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "index/spool_metadata.h"
#include "index/spool_records.h"
#include "tapeformat/tape_image.h"

namespace vtape {

struct SpoolFile {
  SpoolMetadata meta;
  SpoolRecords records;
};

// Bytes of image the tape file takes at most, framing included (for the
// capacity check before anything is written), from the record fields of
// the metadata.
uint64_t spool_tape_file_bound(const SpoolMetadata& m);

// The data records of a spool file, handed one by one to `put` in order
// (so that a file need not be in memory whole).
using SpoolRecordSource = std::function<Status(const SpoolRecordSink& put)>;

// Writes header, data records (blocked: spool_blocks.h) and filemark at the
// image's position.  The source must give as many records as m.records.
// `on_record` (may be empty) sees every tape record written, for catalog
// upkeep.
Status write_spool_tape_file(TapeImage& image, const SpoolMetadata& m, const SpoolRecordSource& records,
                             const std::function<void(std::span<const uint8_t>)>& on_record = {});
Status write_spool_tape_file(TapeImage& image, const SpoolFile& f,
                             const std::function<void(std::span<const uint8_t>)>& on_record = {});
// A SpoolFile's records as a source.
SpoolRecordSource spool_records_source(const SpoolRecords& records);

// Reads the spool tape file at the image's position, through its filemark
// (unblocked data records too, as written before blocking).
// *end is set (and nothing read) at the end of the data.  A tape file that
// is not a spool file, a header that does not decode, or a record count
// that does not match the header is a Corrupt status naming the byte
// offset in the image.
Status read_spool_tape_file(TapeImage& image, SpoolFile* out, bool* end);

// Every spool tape file of an image from the beginning, in order.  Tape
// files that are not spool files are passed over with `skipped` told why
// (both callbacks get the tape file number and the image offset of its
// first record); damage stops the scan with an error.
struct ScannedSpoolFile {
  uint64_t file_number = 0;
  uint64_t image_offset = 0;
  SpoolFile file;
};
Status scan_spool_image(TapeImage& image, const std::function<Status(ScannedSpoolFile&)>& found,
                        const std::function<void(uint64_t file_number, uint64_t offset, const std::string& why)>& skipped);

}  // namespace vtape
