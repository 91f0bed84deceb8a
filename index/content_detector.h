// The registry of content detectors: how the catalog learns what a tape
// file holds.  A detector is one row: a name (the catalog's content), a
// test of the tape file's first record, and a reader made for a tape file
// it recognised, which then sees every record and reports the members,
// labels and damage it found.  No SQL here: the catalog stores whatever a
// reader reports, and `vtape ls/find`, saved/ and restore take members from
// the catalog, so a new kind of content is its own file plus one row of the
// table in content_detector.cc.
//
// The rows are tried in order and the first that matches decides
// (man/vtape-catalog.5, CONTENT RECOGNITION); nothing matching is
// "unknown".  Compressed tape files (gzip, bzip2, xz, zstd) have one row
// per compression of index/decompressor.h, after the others: their reader
// decompresses on the fly and runs the rows whose members have data (tar,
// cpio) on the decompressed bytes.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "index/stream_parser.h"
#include "index/tape_member.h"

namespace vtape {

// Reads one tape file whose first record a detector recognised.
class ContentReader {
 public:
  virtual ~ContentReader() = default;
  // Every record of the tape file in order, the first one included.
  virtual void add_record(std::span<const uint8_t> record) = 0;
  // False once the reader has seen all it needs (an archive's end).
  virtual bool wants_more() const { return true; }
  // The tape file ended: what was found goes into `out` (members, damage,
  // label_volser and label_owner; content and compression when the reader
  // knows better than the detector's name, as a compressed one does).
  virtual void finish(TapeFileAnalysis& out) = 0;
  // Moves the members found so far that will not change to the end of
  // `out` (a drive catalogs them while the tape file is still written);
  // finish() then reports only the rest.  Readers that learn their members
  // only at the end keep them.
  virtual void take_members(std::vector<TapeMember>* /*out*/) {}
};

// A reader for a byte-stream archive (tar, cpio): the records are fed to a
// StreamParser end to end.
class StreamContentReader : public ContentReader {
 public:
  explicit StreamContentReader(std::unique_ptr<StreamParser> parser) : parser_(std::move(parser)) {}
  void add_record(std::span<const uint8_t> record) override {
    if (!parser_->done()) parser_->feed(record);
  }
  bool wants_more() const override { return !parser_->done(); }
  void finish(TapeFileAnalysis& out) override {
    parser_->finish();
    out.members = std::move(parser_->members());
    out.damage = parser_->damage();
  }
  void take_members(std::vector<TapeMember>* out) override { parser_->take_members(out); }

 private:
  std::unique_ptr<StreamParser> parser_;
};

struct ContentDetector {
  using Matcher = std::function<bool(std::span<const uint8_t> first_record)>;
  using ReaderMaker = std::function<std::unique_ptr<ContentReader>()>;
  ContentDetector(std::string name, Matcher matches, ReaderMaker make_reader, bool members_have_data = false,
                  std::string compression = "")
      : name(std::move(name)), matches(std::move(matches)), make_reader(std::move(make_reader)),
        members_have_data(members_have_data), compression(std::move(compression)) {}

  std::string name;  // the content it recognises, as the catalog records it
  // Whether a tape file whose first record is this holds this content.
  Matcher matches;
  ReaderMaker make_reader;
  // Its members are files whose bytes lie in the tape file's byte stream
  // at their data_offset: saved/.../members/ serves them and restore
  // extracts them (tar, cpio).  Only these are looked for inside
  // compressed data.
  bool members_have_data = false;
  // The compression this detector undoes (index/decompressor.h), or empty.
  std::string compression;
};

// The first detector, in order, that matches `first_record`; null if none.
std::shared_ptr<const ContentDetector> find_content_detector(std::span<const uint8_t> first_record);
// The same, among the detectors whose members have data, for the first
// bytes of decompressed content.
std::shared_ptr<const ContentDetector> find_archive_detector(std::span<const uint8_t> first_bytes);
// Whether members of content `name` (tape_files.content) have data.
bool content_has_member_data(std::string_view name);
// Adds a detector after all others (tests, extensions); it is used by
// every analysis that starts afterwards.
void add_content_detector(ContentDetector detector);
// Removes the detectors called `name` that add_content_detector() added.
void remove_content_detector(std::string_view name);

}  // namespace vtape
