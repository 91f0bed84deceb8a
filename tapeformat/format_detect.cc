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
    if (obj.kind == ObjectKind::kRecord && (obj.length & 1) != 0) t.saw_odd = true;
    if (obj.compressed) t.saw_compressed = true;
    ++t.objects;
    offset = next;
  }
  t.clean = true;
  return t;
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
  if (tpc.clean && tpc.objects > 0) {
    *format = Format::kTpc;
    return Status::ok();
  }
  // Nothing reads cleanly: a damaged image.  Take the format that read the
  // most objects before the damage so that verify --salvage can go on; with
  // nothing readable at all, report the damage as the named (or SIMH) format.
  // TPC has no redundancy (any bytes read as some records), so it is the
  // answer only when no framed format read anything.
  const Trial* best = nullptr;
  for (const Trial& t : trials) {
    if (t.format == Format::kTpc && by_name != Format::kTpc) continue;
    if (t.objects > 0 && (best == nullptr || t.objects > best->objects)) best = &t;
  }
  if (best == nullptr && tpc.objects > 0) best = &tpc;
  if (best != nullptr) {
    *format = best->format;
    if (best->format == Format::kAws && (best->saw_compressed || by_name == Format::kHet)) *format = Format::kHet;
    if ((best->format == Format::kSimh || best->format == Format::kE11) && by_name == Format::kMtd) *format = Format::kMtd;
    return Status::ok();
  }
  best = &simh;
  if (by_name == Format::kAws || by_name == Format::kHet) best = &aws;
  if (by_name == Format::kE11) best = &e11;
  if (by_name == Format::kTpc) best = &tpc;
  Status e = best->error;
  if (e.code() == StatusCode::kCorrupt) {
    return Status::corrupt(e.offset(),
                           fmt::format("a tape image (read as {}: {})", format_name(best->format),
                                       e.expected()),
                           e.found());
  }
  return e;
}

}  // namespace vtape
