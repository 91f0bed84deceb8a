// Content detectors for compressed tape files (`tar -czf /dev/nst0`, -j, -J,
// --zstd): the reader decompresses the records as they stream past, in
// bounded memory (index/decompressor.h), and reads the archive inside with
// the detector that recognises the first decompressed bytes among those
// whose members have data (tar, cpio).  The catalog then records the inner
// content ("tar") with the compression ("gzip"), and member data offsets in
// the decompressed stream.  Damage of the compressed data is recorded as
// the tape file's damage; the members before it are kept.
#include <fmt/format.h>

#include "index/content_detector.h"
#include "index/decompressor.h"

namespace vtape {
namespace {

// How much content decides what is inside (the first record decides for
// an uncompressed tape file; tar needs 512 bytes).
constexpr size_t kSniffBytes = 64 * 1024;

class CompressedReader : public ContentReader {
 public:
  explicit CompressedReader(const ContentCompression& c) : decompressor_(c) {}

  void add_record(std::span<const uint8_t> record) override {
    if (stopped_) return;
    if (!decompressor_.feed(record, [this](std::span<const uint8_t> content) { return take(content); }) ||
        !wants_more()) {
      stopped_ = true;
    }
  }
  // Once the archive inside has ended, the rest of its compressed stream is
  // still decompressed (not read) so that the stream's check is verified.
  bool wants_more() const override {
    if (stopped_ || decompressor_.ended()) return false;
    return !sniff_done_ || inner_ != nullptr;  // nothing known inside: nothing to read
  }

  void take_members(std::vector<TapeMember>* out) override {
    if (inner_) inner_->take_members(out);
  }

  void finish(TapeFileAnalysis& out) override {
    if (!stopped_) decompressor_.finish();
    if (!sniff_done_ && !sniffed_.empty()) start_inner();  // less content than kSniffBytes
    out.compression = decompressor_.compression().name;
    out.content = inner_ ? ContentKind(inner_name_) : ContentKind::kUnknown;
    if (inner_) inner_->finish(out);
    // The compressed data's damage is the cause of the archive's.
    if (decompressor_.damage()) {
      out.damage = out.damage ? *decompressor_.damage() + "; then " + *out.damage : *decompressor_.damage();
    }
  }

 private:
  bool take(std::span<const uint8_t> content) {
    if (!sniff_done_) {
      sniffed_.insert(sniffed_.end(), content.begin(), content.end());
      return sniffed_.size() < kSniffBytes || start_inner();
    }
    if (inner_ && inner_->wants_more()) {
      inner_->add_record(content);
      if (!inner_->wants_more()) decompressor_.end_with_this_stream();
    }
    return inner_ != nullptr;
  }

  // Decides the inner content from what was sniffed; false when there is
  // nothing to read in it.
  bool start_inner() {
    sniff_done_ = true;
    std::vector<uint8_t> first;
    first.swap(sniffed_);
    auto d = find_archive_detector(first);
    if (!d) return false;
    inner_name_ = d->name;
    inner_ = d->make_reader();
    inner_->add_record(first);
    if (!inner_->wants_more()) decompressor_.end_with_this_stream();
    return true;
  }

  StreamDecompressor decompressor_;
  std::vector<uint8_t> sniffed_;
  bool sniff_done_ = false;
  bool stopped_ = false;
  std::string inner_name_;
  std::unique_ptr<ContentReader> inner_;
};

}  // namespace

ContentDetector compressed_detector(const ContentCompression& compression) {
  return ContentDetector{
      compression.name,
      compression.matches,
      [&compression] { return std::make_unique<CompressedReader>(compression); },
      /*members_have_data=*/false,
      compression.name
  };
}

}  // namespace vtape
