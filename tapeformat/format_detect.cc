#include "tapeformat/format_detect.h"

#include <algorithm>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "tapeformat/codec.h"
#include "tapeformat/format_table.h"

namespace vtape {
namespace {

// Objects parsed before a verdict: enough to reject chance matches, few
// enough that detection costs nothing noticeable.
constexpr int kObjectsToCheck = 64;

struct Trial {
  Format format;
  int objects = 0;           // well-formed objects read
  int records = 0;           // of which records (framing checked, unlike a filemark's zeros)
  bool clean = false;        // reached the end of data (or the check limit) without damage
  bool saw_odd = false;      // an odd-length record was read (SIMH vs E11)
  bool saw_compressed = false;
  Status error;
};

Trial try_format(ImageFile& file, Format format) {
  Trial t;
  t.format = format;
  auto codec = make_codec(format, WriteOptions{});
  // Detection must not pay for TPC's full-image index: only forward reads.
  uint64_t offset = 0;
  for (int i = 0; i < kObjectsToCheck; ++i) {
    TapeObject obj;
    uint64_t next = 0;
    Status s = codec->read_forward(file, offset, &obj, nullptr, &next);
    if (!s.is_ok()) {
      t.error = s;
      return t;
    }
    if (obj.kind == ObjectKind::kEndOfData) break;
    if (obj.kind == ObjectKind::kRecord) ++t.records;
    if (obj.kind == ObjectKind::kRecord && (obj.length & 1) != 0) t.saw_odd = true;
    if (obj.compressed) t.saw_compressed = true;
    ++t.objects;
    offset = next;
  }
  t.clean = true;
  return t;
}

bool reads_through(Format named, Format tried) {
  const auto& by = format_spec(named).read_by;
  return std::find(by.begin(), by.end(), tried) != by.end();
}

// The codec to report a named framed format's damage with: a trial that
// reads its images (SIMH framing for .tap, .e11 and .mtd, AWS chunks for
// .aws and .het).
bool same_family(Format tried, Format named) { return reads_through(named, tried); }

// The format a trial stands for, once the content and then the name have
// had their say (HET is AWS with compressed records; MTD is SIMH framing
// read either way).
Format named_variant(const Trial& t, std::optional<Format> by_name) {
  if (t.saw_compressed) {
    for (const auto& spec : format_table()) {
      if (spec.has_compressed_records && reads_through(spec.format, t.format)) return spec.format;
    }
  }
  if (by_name && reads_through(*by_name, t.format)) return *by_name;
  return t.format;
}

}  // namespace

Status detect_format(ImageFile& file, Format* format) {
  std::optional<Format> by_name = format_from_extension(file.path());
  *format = by_name.value_or(default_format());
  if (file.size() == 0) return Status::ok();

  // Every format with a detection rank is tried, lowest rank first.
  std::vector<const FormatSpec*> tried;
  for (const auto& spec : format_table()) {
    if (spec.detection_rank > 0) tried.push_back(&spec);
  }
  std::stable_sort(tried.begin(), tried.end(),
                   [](const FormatSpec* a, const FormatSpec* b) { return a->detection_rank < b->detection_rank; });
  std::vector<Trial> trials;
  for (const FormatSpec* spec : tried) trials.push_back(try_format(file, spec->format));
  auto trial_of = [&](Format f) -> const Trial* {
    for (const Trial& t : trials) {
      if (t.format == f) return &t;
    }
    return nullptr;
  };

  // A trial with checked framing that reads cleanly decides, the lowest
  // rank first.  An end-of-medium word at byte 0 is an empty tape of a
  // format that keeps one (a drive keeps one after the last object while it
  // writes; what follows it was never completed).  Within one rank the
  // formats read the same bytes (SIMH and E11 without an odd record): the
  // name decides, else the first in the table.
  uint8_t first[4] = {};
  size_t got = 0;
  std::optional<uint32_t> first_word;
  if (file.read_some(0, first, 4, &got).is_ok() && got == 4) first_word = load_le32(first);
  for (size_t i = 0; i < trials.size();) {
    size_t end = i;
    while (end < trials.size() && tried[end]->detection_rank == tried[i]->detection_rank) ++end;
    const Trial* chosen = nullptr;
    for (size_t k = i; k < end; ++k) {
      const Trial& t = trials[k];
      const FormatSpec& spec = *tried[k];
      bool empty_tape = first_word && spec.end_guard && *first_word == *spec.end_guard;
      if (!spec.checked_framing || !t.clean || (t.objects == 0 && !empty_tape)) continue;
      if (chosen == nullptr || (by_name && reads_through(*by_name, t.format) && !reads_through(*by_name, chosen->format))) {
        chosen = &t;
      }
    }
    if (chosen != nullptr) {
      *format = named_variant(*chosen, by_name);
      return Status::ok();
    }
    i = end;
  }
  // No framed format reads cleanly.  A format without redundancy (TPC)
  // reads any bytes as some records and filemarks (a damaged SIMH or AWS
  // image reads as hundreds of them), so it is the answer only when the
  // name says so or nothing framed reads at all.
  bool named_framed = by_name && format_spec(*by_name).checked_framing;
  if (by_name && !named_framed) {
    const Trial* named = trial_of(*by_name);
    if (named != nullptr && named->objects > 0) {
      *format = *by_name;
      return Status::ok();
    }
  }
  // A damaged framed image: the image is judged (and its damage reported)
  // as the format its name says, or else as the framed format that read the
  // most before the damage.  Another framed format counts only if it read a
  // record: its framing (trailing length word, chunk flags) was checked,
  // while a filemark is just four or six zero bytes.
  const Trial* best = nullptr;
  for (const Trial& t : trials) {
    if (!format_spec(t.format).checked_framing) continue;
    bool named_reading = named_framed && same_family(t.format, *by_name) && t.objects > 0;
    if (t.records == 0 && !named_reading) continue;
    bool better = best == nullptr || t.objects > best->objects;
    if (named_framed && best != nullptr) {
      // The named format's reading wins over another's.
      bool t_named = same_family(t.format, *by_name);
      bool best_named = same_family(best->format, *by_name);
      if (t_named != best_named) better = t_named;
    }
    if (better) best = &t;
  }
  if (best == nullptr && !named_framed) {
    for (const Trial& t : trials) {
      if (!format_spec(t.format).checked_framing && t.objects > 0) {
        best = &t;
        break;
      }
    }
  }
  if (best != nullptr) {
    *format = named_variant(*best, by_name);
    return Status::ok();
  }
  // Nothing reads: report the damage as the named (or default) format, read
  // by the first trial that reads it.  The message names the format the
  // image is judged as (a torn .het is a damaged HET image, though AWS
  // framing read it).
  const Format judged = by_name.value_or(default_format());
  const Trial* named = trial_of(format_spec(judged).read_by.front());
  Status e = named->error;
  if (e.code() == StatusCode::kCorrupt) {
    return Status::corrupt(e.offset(), fmt::format("a tape image (read as {}: {})", format_name(judged), e.expected()),
                           e.found());
  }
  return e;
}

}  // namespace vtape
