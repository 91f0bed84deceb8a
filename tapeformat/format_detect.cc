#include "tapeformat/format_detect.h"

#include <array>

#include <fmt/format.h>

#include "tapeformat/codec.h"

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

// The codec to report a named framed format's damage with: SIMH framing for
// .tap, .e11 and .mtd, AWS chunks for .aws and .het.
bool same_family(Format tried, Format named) {
  bool aws_family = named == Format::kAws || named == Format::kHet;
  if (aws_family) return tried == Format::kAws;
  return tried == named || (named == Format::kMtd && (tried == Format::kSimh || tried == Format::kE11));
}

// The format a trial stands for, once the name has had its say (HET is AWS
// with compressed records; MTD is SIMH framing read either way).
Format named_variant(const Trial& t, std::optional<Format> by_name) {
  if (t.format == Format::kAws && (t.saw_compressed || by_name == Format::kHet)) return Format::kHet;
  if ((t.format == Format::kSimh || t.format == Format::kE11) && by_name == Format::kMtd) return Format::kMtd;
  return t.format;
}

}  // namespace

Status detect_format(ImageFile& file, Format* format) {
  std::optional<Format> by_name = format_from_extension(file.path());
  *format = by_name.value_or(Format::kSimh);
  if (file.size() == 0) {
    *format = by_name.value_or(Format::kSimh);
    return Status::ok();
  }
  std::array<Trial, 4> trials = {try_format(file, Format::kAws), try_format(file, Format::kSimh),
                                 try_format(file, Format::kE11), try_format(file, Format::kTpc)};
  const Trial& aws = trials[0];
  const Trial& simh = trials[1];
  const Trial& e11 = trials[2];
  const Trial& tpc = trials[3];

  // AWS's previous-length chain is the strongest evidence, then SIMH's
  // trailing length words; TPC has no redundancy and comes last.
  if (aws.clean && aws.objects > 0) {
    bool het = aws.saw_compressed || by_name == Format::kHet;
    *format = het ? Format::kHet : Format::kAws;
    return Status::ok();
  }
  // An end-of-medium word at byte 0 is an empty SIMH-framed tape (a drive
  // keeps one after the last object while it writes; what follows it was
  // never completed).
  uint8_t first[4] = {};
  size_t got = 0;
  bool starts_with_eom = file.read_some(0, first, 4, &got).is_ok() && got == 4 && load_le32(first) == 0xFFFFFFFF;
  bool simh_ok = simh.clean && (simh.objects > 0 || starts_with_eom);
  bool e11_ok = e11.clean && (e11.objects > 0 || starts_with_eom);
  if (simh_ok || e11_ok) {
    if (by_name == Format::kMtd) {
      *format = Format::kMtd;
    } else if (simh_ok && e11_ok) {
      // No odd record: the framings are the same bytes; the name decides.
      *format = by_name == Format::kE11 ? Format::kE11 : Format::kSimh;
    } else {
      *format = simh_ok ? Format::kSimh : Format::kE11;
    }
    return Status::ok();
  }
  // No framed format reads cleanly.  TPC has no redundancy at all: any
  // bytes read as some TPC records and filemarks (a damaged SIMH or AWS
  // image reads as hundreds of them), so TPC is the answer only when the
  // name says so or nothing framed reads at all.
  if (by_name == Format::kTpc && tpc.objects > 0) {
    *format = Format::kTpc;
    return Status::ok();
  }
  // A damaged framed image: the image is judged (and its damage reported)
  // as the format its name says, or else as the framed format that read the
  // most before the damage.  Another framed format counts only if it read a
  // record: its framing (trailing length word, chunk flags) was checked,
  // while a filemark is just four or six zero bytes.
  bool named_framed = by_name && *by_name != Format::kTpc;
  const Trial* best = nullptr;
  for (const Trial& t : trials) {
    if (t.format == Format::kTpc) continue;
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
  if (best == nullptr && !named_framed && tpc.objects > 0) best = &tpc;
  if (best != nullptr) {
    *format = named_variant(*best, by_name);
    return Status::ok();
  }
  // Nothing reads: report the damage as the named (or SIMH) format.
  const Trial* named = &simh;
  if (by_name == Format::kAws || by_name == Format::kHet) named = &aws;
  if (by_name == Format::kE11) named = &e11;
  if (by_name == Format::kTpc) named = &tpc;
  Status e = named->error;
  if (e.code() == StatusCode::kCorrupt) {
    return Status::corrupt(e.offset(),
                           fmt::format("a tape image (read as {}: {})", format_name(named->format),
                                       e.expected()),
                           e.found());
  }
  return e;
}

}  // namespace vtape
