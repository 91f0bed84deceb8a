#include "tests/fuzz/fuzz_driver.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tapeformat/image_scan.h"
#include "tapeformat/tape_image.h"
#include "tapeformat/tape_motion.h"

namespace vtape::fuzz {
namespace {

// ---------------------------------------------------------------------------
// Failing

[[noreturn]] void fail(const char* what, int line, const Status* s = nullptr) {
  std::fprintf(stderr, "vtape fuzz: broken invariant at fuzz_driver.cc:%d: %s%s%s\n", line, what,
               s != nullptr ? ": " : "", s != nullptr ? s->message().c_str() : "");
  std::abort();
}

#define FUZZ_CHECK(cond)                          \
  do {                                            \
    if (!(cond)) fail(#cond, __LINE__);           \
  } while (0)

#define FUZZ_CHECK_OK(expr)                       \
  do {                                            \
    ::vtape::Status fuzz_s_ = (expr);             \
    if (!fuzz_s_.is_ok()) fail(#expr, __LINE__, &fuzz_s_); \
  } while (0)

// VTAPE_FUZZ_STRICT=1 adds checks that hold for well-behaved codecs but are
// not memory-safety promises (backward motion retraces forward motion).
bool strict_mode() {
  static const bool strict = [] {
    const char* v = std::getenv("VTAPE_FUZZ_STRICT");
    return v != nullptr && *v != '\0' && *v != '0';
  }();
  return strict;
}

// ---------------------------------------------------------------------------
// Input

int memfd_with(const uint8_t* data, size_t size) {
  int fd = memfd_create("vtape-fuzz", MFD_CLOEXEC);
  if (fd < 0) {
    std::perror("memfd_create");
    std::abort();
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("write to memfd");
      std::abort();
    }
    done += static_cast<size_t>(n);
  }
  return fd;
}

// Choices made per input (how far to read before writing, what to write)
// come from a hash of the whole input, so every mutation may change them.
struct Knobs {
  uint64_t h = 0;
  explicit Knobs(const uint8_t* data, size_t size) {
    h = 1469598103934665603ull;  // FNV-1a
    for (size_t i = 0; i < size; ++i) {
      h ^= data[i];
      h *= 1099511628211ull;
    }
  }
  uint32_t pick(int shift, uint32_t n) const { return static_cast<uint32_t>((h >> shift) % n); }
};

// ---------------------------------------------------------------------------
// Reading

struct Seen {
  ObjectKind kind;
  uint64_t offset;
  uint64_t stored_size;
  uint32_t length;
};

bool is_object(ObjectKind k) { return k == ObjectKind::kRecord || k == ObjectKind::kFilemark; }

// A forward read that must keep TapeImage's promises.  Returns the read's
// Status; on success *obj is what was read.
Status checked_read(TapeImage& tape, TapeObject* obj, std::vector<uint8_t>* data) {
  const TapePosition before = tape.position();
  Status s = tape.read(obj, data);
  const TapePosition& after = tape.position();
  if (!s.is_ok()) {
    // Damage leaves the position where it was and names an offset in the image.
    FUZZ_CHECK(after.offset == before.offset);
    FUZZ_CHECK(after.object_index == before.object_index);
    FUZZ_CHECK(s.code() == StatusCode::kCorrupt);
    FUZZ_CHECK(s.has_offset());
    FUZZ_CHECK(s.offset() <= tape.size());
    return s;
  }
  FUZZ_CHECK(obj->kind != ObjectKind::kBeginningOfTape);
  if (obj->kind == ObjectKind::kEndOfData) {
    FUZZ_CHECK(after.object_index == before.object_index);
    FUZZ_CHECK(after.offset >= before.offset);  // trailing gaps may be skipped
    return s;
  }
  // A record or filemark: the tape moved past it.
  FUZZ_CHECK(obj->stored_size > 0);
  FUZZ_CHECK(obj->offset >= before.offset);
  FUZZ_CHECK(obj->offset + obj->stored_size == after.offset);
  FUZZ_CHECK(after.offset <= tape.size());
  FUZZ_CHECK(after.object_index == before.object_index + 1);
  if (obj->kind == ObjectKind::kRecord) {
    FUZZ_CHECK(obj->length <= kMaxRecordSize);
    FUZZ_CHECK(obj->stored_length <= obj->stored_size);
    if (data != nullptr) FUZZ_CHECK(data->size() == obj->length);
  } else {
    FUZZ_CHECK(after.file == before.file + 1);
    FUZZ_CHECK(after.block == 0);
  }
  return s;
}

// A backward step that must keep TapeImage's promises.
Status checked_step_back(TapeImage& tape, TapeObject* obj) {
  const TapePosition before = tape.position();
  Status s = tape.step_back(obj);
  const TapePosition& after = tape.position();
  if (!s.is_ok()) {
    FUZZ_CHECK(after.offset == before.offset);
    FUZZ_CHECK(s.code() == StatusCode::kCorrupt);
    return s;
  }
  FUZZ_CHECK(obj->kind != ObjectKind::kEndOfData);
  if (obj->kind == ObjectKind::kBeginningOfTape) {
    FUZZ_CHECK(after.offset == 0);
    FUZZ_CHECK(after.at_bot());
    return s;
  }
  // Moved strictly backwards, to the start of the object it names.
  FUZZ_CHECK(after.offset < before.offset);
  FUZZ_CHECK(obj->offset == after.offset);
  FUZZ_CHECK(obj->stored_size > 0);
  FUZZ_CHECK(obj->offset + obj->stored_size <= before.offset);
  if (obj->kind == ObjectKind::kRecord) FUZZ_CHECK(obj->length <= kMaxRecordSize);
  return s;
}

// Reads from where the tape stands to the end of data or the first damage.
// Every object read is appended to *seen.  Returns whether it reached the
// end of data.
bool read_to_end(TapeImage& tape, std::vector<uint8_t>* data, std::vector<Seen>* seen) {
  // Every object moves the tape by at least 2 bytes, so this bounds the loop
  // well above what any well-behaved codec needs.
  const uint64_t limit = tape.size() / 2 + 2;
  for (uint64_t i = 0; i <= limit; ++i) {
    TapeObject obj;
    if (!checked_read(tape, &obj, data).is_ok()) return false;
    if (obj.kind == ObjectKind::kEndOfData) return true;
    seen->push_back(Seen{obj.kind, obj.offset, obj.stored_size, obj.length});
  }
  fail("more objects read forward than the image has room for", __LINE__);
}

// Steps back until the beginning of tape or damage.  Returns the objects
// passed, in the order they were met.
std::vector<Seen> step_back_to_bot(TapeImage& tape, bool* reached_bot) {
  std::vector<Seen> out;
  const uint64_t limit = tape.position().offset / 2 + 2;
  *reached_bot = false;
  for (uint64_t i = 0; i <= limit; ++i) {
    TapeObject obj;
    if (!checked_step_back(tape, &obj).is_ok()) return out;
    if (obj.kind == ObjectKind::kBeginningOfTape) {
      *reached_bot = true;
      return out;
    }
    out.push_back(Seen{obj.kind, obj.offset, obj.stored_size, obj.length});
  }
  fail("more objects stepped back over than the image has room for", __LINE__);
}

// ---------------------------------------------------------------------------
// The read-only part: every operation a reader of the image may use.

void exercise_reading(TapeImage& tape, const Knobs& knobs) {
  std::vector<uint8_t> data;

  // 1. Forward to the end of data, with the data.
  FUZZ_CHECK_OK(tape.rewind());
  std::vector<Seen> forward;
  const bool clean = read_to_end(tape, &data, &forward);
  const uint64_t forward_end = tape.position().offset;

  // 2. Back to the beginning of tape.
  bool reached_bot = false;
  std::vector<Seen> backward = step_back_to_bot(tape, &reached_bot);
  // An image that reads cleanly forward can be stepped back to its beginning.
  if (strict_mode() && clean) FUZZ_CHECK(reached_bot);
  if (strict_mode() && reached_bot) {
    // Going back retraces the objects read going forward.
    FUZZ_CHECK(backward.size() == forward.size());
    for (size_t i = 0; i < backward.size(); ++i) {
      const Seen& f = forward[forward.size() - 1 - i];
      FUZZ_CHECK(backward[i].kind == f.kind);
      FUZZ_CHECK(backward[i].offset == f.offset);
      FUZZ_CHECK(backward[i].stored_size == f.stored_size);
    }
  }
  if (!reached_bot) FUZZ_CHECK_OK(tape.rewind());
  FUZZ_CHECK(tape.position().at_bot());

  // 3. Spacing as a tape drive would: records and files, both ways.
  Motion m;
  if (space_records_forward(tape, 1 + knobs.pick(0, 4), &m).is_ok()) FUZZ_CHECK(m.done <= 4);
  (void)space_files_forward(tape, 1, &m);
  (void)space_records_backward(tape, 1 + knobs.pick(3, 2), &m);
  (void)space_files_backward(tape, 1, &m);
  (void)space_records_forward(tape, 2, &m);
  TapeObject obj;
  (void)checked_read(tape, &obj, &data);
  (void)checked_step_back(tape, &obj);

  // 4. The end of data from the beginning, without the data: when the
  //    forward read got there, so must this (it checks no less framing).
  FUZZ_CHECK_OK(tape.rewind());
  Status eod = tape.seek_end_of_data();
  if (clean) {
    FUZZ_CHECK_OK(eod);
    FUZZ_CHECK(tape.position().offset == forward_end);
    FUZZ_CHECK(tape.position().object_index == forward.size());
  }

  // 5. A read-only image refuses writes, without harm.
  FUZZ_CHECK(!tape.write_record(std::span<const uint8_t>(data.data(), std::min<size_t>(data.size(), 1))).is_ok() ||
             tape.writable());
  FUZZ_CHECK(!tape.write_filemark().is_ok() || tape.writable());

  // 6. The whole-image walk of the tools, with salvage and without.
  for (int pass = 0; pass < 2; ++pass) {
    ScanOptions options;
    options.salvage = pass == 0;
    options.read_data = pass == 0;
    uint64_t records = 0, filemarks = 0, bytes = 0;
    uint64_t last_damage_end = 0;
    auto on_object = [&](const TapeObject& o, const TapePosition& pos, const std::vector<uint8_t>* d) {
      FUZZ_CHECK(is_object(o.kind));
      FUZZ_CHECK(o.offset >= pos.offset);
      FUZZ_CHECK(o.offset + o.stored_size <= tape.size());
      if (o.kind == ObjectKind::kRecord) {
        ++records;
        bytes += o.length;
        if (options.read_data) {
          FUZZ_CHECK(d != nullptr);
          FUZZ_CHECK(d->size() == o.length);
        }
      } else {
        ++filemarks;
      }
      return true;
    };
    auto on_damage = [&](const DamagedRegion& r) {
      FUZZ_CHECK(r.start <= r.end);
      FUZZ_CHECK(r.end <= tape.size());
      FUZZ_CHECK(r.start >= last_damage_end);
      last_damage_end = r.end;
    };
    ScanSummary summary;
    Status s = scan_image(tape, options, on_object, on_damage, &summary);
    FUZZ_CHECK_OK(s);
    FUZZ_CHECK(summary.records == records);
    FUZZ_CHECK(summary.filemarks == filemarks);
    FUZZ_CHECK(summary.bytes == bytes);
    FUZZ_CHECK(summary.end_offset <= tape.size());
    if (!options.salvage) FUZZ_CHECK(summary.damage.size() <= 1);
    if (clean && options.read_data) {
      // Nothing damaged on the way: the walk sees what reading saw.
      FUZZ_CHECK(summary.clean());
      FUZZ_CHECK(summary.records + summary.filemarks == forward.size());
      FUZZ_CHECK(summary.end_offset == forward_end);
    }
  }
}

// ---------------------------------------------------------------------------
// The writing part, on a writable copy: read a few objects, write a record
// and a filemark there (which ends the tape), and read them back.

void exercise_writing(const uint8_t* input, size_t size, Format format, const Knobs& knobs) {
  std::unique_ptr<TapeImage> tape;
  int fd = memfd_with(input, size);
  Status s = TapeImage::adopt_fd(fd, "fuzz-copy", format, /*writable=*/true, &tape);
  if (!s.is_ok()) return;  // adopt_fd owns fd either way
  FUZZ_CHECK(tape->writable());

  // Where to write: after 0..3 objects read forward, sometimes then one
  // step back (which exercises the codecs' backward bookkeeping).
  std::vector<uint8_t> data;
  std::vector<Seen> prefix;
  const uint32_t to_read = knobs.pick(8, 4);
  for (uint32_t i = 0; i < to_read; ++i) {
    TapeObject obj;
    if (!checked_read(*tape, &obj, &data).is_ok() || obj.kind == ObjectKind::kEndOfData) break;
    prefix.push_back(Seen{obj.kind, obj.offset, obj.stored_size, obj.length});
  }
  if (!prefix.empty() && knobs.pick(12, 3) == 0) {
    TapeObject obj;
    if (checked_step_back(*tape, &obj).is_ok()) {
      if (is_object(obj.kind) && obj.offset == prefix.back().offset) {
        prefix.pop_back();
      } else {
        // Backward motion did not retrace the last forward read (damage, or
        // SIMH gap words, which are not skipped the same way both ways);
        // what lies before the position is no longer known, so only the
        // writes themselves are exercised.
        std::vector<uint8_t> rec(1 + knobs.pick(16, 64), static_cast<uint8_t>(knobs.h));
        (void)tape->write_record(rec);
        (void)tape->write_filemark();
        TapeObject o;
        (void)checked_step_back(*tape, &o);
        (void)checked_step_back(*tape, &o);
        return;
      }
    }
  }
  const uint64_t write_at = tape->position().offset;
  const uint64_t index_at = tape->position().object_index;

  // The record: bytes of the input (compressible enough for HET to compress
  // often), sometimes longer than one AWS chunk.
  size_t length = 1 + knobs.pick(20, 300);
  if (knobs.pick(32, 16) == 0) length = 65535 + 1 + knobs.pick(36, 700);
  std::vector<uint8_t> record(length);
  for (size_t i = 0; i < length; ++i) {
    record[i] = size > 0 ? input[(i / 8) % size] : static_cast<uint8_t>(i);
  }
  const bool error_flag = format_keeps_error_flags(format) && knobs.pick(40, 4) == 0;

  FUZZ_CHECK_OK(tape->write_record(record, error_flag));
  FUZZ_CHECK(tape->position().object_index == index_at + 1);
  FUZZ_CHECK_OK(tape->write_filemark());
  FUZZ_CHECK(tape->position().object_index == index_at + 2);
  FUZZ_CHECK(tape->position().offset == tape->size());
  if (knobs.pick(44, 2) == 0) FUZZ_CHECK_OK(tape->flush());

  // The tape ends after the filemark.
  TapeObject obj;
  FUZZ_CHECK_OK(checked_read(*tape, &obj, &data));
  FUZZ_CHECK(obj.kind == ObjectKind::kEndOfData);

  // Backwards: the filemark, then the record, which starts where it was written.
  FUZZ_CHECK_OK(checked_step_back(*tape, &obj));
  FUZZ_CHECK(obj.kind == ObjectKind::kFilemark);
  FUZZ_CHECK(obj.offset + obj.stored_size == tape->size());
  FUZZ_CHECK_OK(checked_step_back(*tape, &obj));
  FUZZ_CHECK(obj.kind == ObjectKind::kRecord);
  FUZZ_CHECK(obj.offset == write_at);
  FUZZ_CHECK(tape->position().offset == write_at);
  FUZZ_CHECK(obj.error_flag == error_flag);
  if (!obj.compressed) FUZZ_CHECK(obj.length == length);

  // Forwards again: the record's bytes, the filemark, the end.
  FUZZ_CHECK_OK(checked_read(*tape, &obj, &data));
  FUZZ_CHECK(obj.kind == ObjectKind::kRecord);
  FUZZ_CHECK(data == record);
  FUZZ_CHECK(obj.error_flag == error_flag);
  FUZZ_CHECK_OK(checked_read(*tape, &obj, &data));
  FUZZ_CHECK(obj.kind == ObjectKind::kFilemark);
  FUZZ_CHECK_OK(checked_read(*tape, &obj, &data));
  FUZZ_CHECK(obj.kind == ObjectKind::kEndOfData);

  // From the beginning: the objects before the write are untouched, then
  // the record and the filemark.
  FUZZ_CHECK_OK(tape->rewind());
  for (const Seen& p : prefix) {
    FUZZ_CHECK_OK(checked_read(*tape, &obj, &data));
    FUZZ_CHECK(obj.kind == p.kind);
    FUZZ_CHECK(obj.offset == p.offset);
    FUZZ_CHECK(obj.stored_size == p.stored_size);
    FUZZ_CHECK(obj.length == p.length);
  }
  FUZZ_CHECK_OK(checked_read(*tape, &obj, &data));
  FUZZ_CHECK(obj.kind == ObjectKind::kRecord);
  FUZZ_CHECK(obj.offset == write_at);
  FUZZ_CHECK(data == record);
  FUZZ_CHECK_OK(checked_read(*tape, &obj, &data));
  FUZZ_CHECK(obj.kind == ObjectKind::kFilemark);
  FUZZ_CHECK_OK(checked_read(*tape, &obj, &data));
  FUZZ_CHECK(obj.kind == ObjectKind::kEndOfData);

  // The whole image now reads cleanly up to the end of what was written.
  ScanOptions options;
  options.salvage = true;
  ScanSummary summary;
  FUZZ_CHECK_OK(scan_image(*tape, options, nullptr, nullptr, &summary));
  FUZZ_CHECK(summary.clean());
  FUZZ_CHECK(summary.end_offset == tape->size());
  FUZZ_CHECK(summary.records + summary.filemarks == prefix.size() + 2);

  // Erase after the first object, and append a filemark at the new end.
  FUZZ_CHECK_OK(tape->rewind());
  FUZZ_CHECK_OK(checked_read(*tape, &obj, &data));
  FUZZ_CHECK_OK(tape->erase_to_end());
  FUZZ_CHECK(tape->size() == tape->position().offset);
  FUZZ_CHECK_OK(checked_read(*tape, &obj, &data));
  FUZZ_CHECK(obj.kind == ObjectKind::kEndOfData);
  FUZZ_CHECK_OK(tape->write_filemark());
  FUZZ_CHECK_OK(checked_step_back(*tape, &obj));
  FUZZ_CHECK(obj.kind == ObjectKind::kFilemark);
  FUZZ_CHECK_OK(tape->sync());
  FUZZ_CHECK_OK(tape->close());
}

}  // namespace

int run_one_input(const uint8_t* data, size_t size, std::optional<Format> format) {
  const Knobs knobs(data, size);
  std::unique_ptr<TapeImage> tape;
  if (format) {
    int fd = memfd_with(data, size);
    if (!TapeImage::adopt_fd(fd, "fuzz-input", *format, /*writable=*/false, &tape).is_ok()) return 0;
  } else {
    // Detection needs a path: the memfd's /proc name (it has no extension,
    // so only the content decides).
    int fd = memfd_with(data, size);
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    OpenOptions options;
    Status s = TapeImage::open(path, options, &tape);
    ::close(fd);  // the image opened its own descriptor
    if (!s.is_ok()) return 0;
  }
  FUZZ_CHECK(tape->size() == size);
  FUZZ_CHECK(!tape->writable());
  const Format actual = tape->format();
  if (format) FUZZ_CHECK(actual == *format);

  exercise_reading(*tape, knobs);
  FUZZ_CHECK_OK(tape->close());
  tape.reset();

  if (format_is_writable(actual)) exercise_writing(data, size, actual, knobs);
  return 0;
}

}  // namespace vtape::fuzz
