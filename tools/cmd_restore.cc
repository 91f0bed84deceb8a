// vtape restore: replays a whole image or cartridge, one tape file, or
// members of a tape file onto a tape device, into a new image, to standard
// output or into a directory, checking what it reads against the catalog
// (see man/vtape-restore.1).  The pieces: restore_plan (what), restore_replay
// (reading and checking), restore_sinks and member_extractor (where to).

#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "index/content_detector.h"
#include "index/volume_indexer.h"
#include "tapeformat/tape_motion.h"
#include "tools/async_sink.h"
#include "tools/cartridge_restore.h"
#include "tools/catalog_support.h"
#include "tools/command_spec.h"
#include "tapeformat/base/json_writer.h"
#include "tools/member_extractor.h"
#include "tools/progress.h"
#include "library/restore_plan.h"
#include "library/restore_replay.h"
#include "tools/restore_sinks.h"
#include "tools/restore_target.h"
#include "tools/spool_restore.h"
#include "index/spool_catalog.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

using Target = RestoreTarget;

// The members of the selected tape file that the glob picks, from the
// catalog, or (when the catalog has none) by reading the tape file.
Status select_members(const RestorePlan& plan, std::vector<TapeMember>* out) {
  uint64_t file = *plan.only_file;
  std::vector<TapeMember> all;
  std::string content;
  auto cataloged = plan.cataloged_members.find(file);
  if (cataloged != plan.cataloged_members.end() && !cataloged->second.empty()) {
    all = cataloged->second;
    auto row = plan.cataloged.find(file);
    if (row != plan.cataloged.end()) content = row->second.content;
  } else {
    OpenOptions oo;
    oo.format = plan.format;
    std::unique_ptr<TapeImage> image;
    VTAPE_RETURN_IF_ERROR(TapeImage::open(plan.image_path, oo, &image));
    Motion m;
    VTAPE_RETURN_IF_ERROR(space_files_forward(*image, file, &m));
    CatalogedFile indexed;
    VTAPE_RETURN_IF_ERROR(index_tape_file(*image, kDefaultDigest, &indexed));  // for its members only
    all = std::move(indexed.members);
    content = indexed.row.content;
  }
  // Labels, savesets and dump(8) files are listed, but their bytes are not
  // one run of the tape file's byte stream that could be copied out.
  if (!content.empty() && !content_has_member_data(content)) {
    return Status::not_supported(fmt::format("the members of {} ({}) have no data of their own to extract; restore "
                                             "the whole tape file and read it with the program that wrote it",
                                             describe_tape_file(plan, file), content));
  }
  for (auto& m : all) {
    if (member_selected(*plan.members, m.path)) out->push_back(m);
  }
  if (out->empty()) {
    return Status::not_found(fmt::format("no member of {} matches '{}' ({} members)", describe_tape_file(plan, file),
                                         *plan.members, all.size()));
  }
  return Status::ok();
}

// Bytes of the image the selection spans, for the progress bar: [begin, end).
void selection_span(const RestorePlan& plan, uint64_t* begin, uint64_t* end) {
  *begin = 0;
  std::error_code ec;
  *end = std::filesystem::file_size(plan.image_path, ec);
  if (ec) *end = 0;  // the replay reports why it cannot be read
  if (!plan.only_file) return;
  auto row = plan.cataloged.find(*plan.only_file);
  if (row == plan.cataloged.end()) return;
  *begin = row->second.image_offset;
  auto next = plan.cataloged.upper_bound(*plan.only_file);
  if (next != plan.cataloged.end()) *end = next->second.image_offset;
}

// Free space where `path` will be written (its directory), or nullopt.
std::optional<uint64_t> free_space_for(const std::string& path, bool is_dir) {
  std::filesystem::path dir = std::filesystem::absolute(path);
  if (!is_dir) dir = dir.parent_path();
  // A directory not made yet: ask its nearest existing parent.
  std::error_code ec;
  while (!std::filesystem::exists(dir, ec) && dir.has_relative_path()) dir = dir.parent_path();
  struct statvfs vfs{};
  if (statvfs(dir.c_str(), &vfs) != 0) return std::nullopt;
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

struct Outcome {
  ReplaySummary summary;
  DirReport dir;
  bool verified = false;
  uint64_t lost_error_flags = 0;
  std::optional<uint64_t> needed;  // dry run: bytes the target needs
  std::optional<uint64_t> room;    // dry run: free bytes there
};

// Replays the plan into `sink` running on a thread of its own, so reading
// and checking overlap with writing.  For sinks that wait on something
// else (a drive's round trip, many small files); an image is written on the
// reader's thread, as the SHA-256 already has a thread of its own and one
// more would only add a copy of every record.
Status replay_async(const RestorePlan& plan, RecordSink& sink, const ReplayOptions& options, ReplaySummary* summary) {
  AsyncSink async(sink);
  Status s = replay(plan, async, options, summary);
  Status written = async.finish();
  return s.is_ok() ? written : s;
}

// Whether an image restore may copy the source's bytes as they are.
bool raw_copy_possible(const RestorePlan& plan, Format format, const CommandLine& cl) {
  if (format != plan.format || cl.has("--resume")) return false;
  if (cl.value("--compress") || cl.value("--level") || cl.value("--chunk-size")) return false;
  return format_is_simh_framed(format) || !plan.only_file || *plan.only_file == 0;
}

std::string error_text(const RestorePlan& plan, const Status& s) {
  return s.has_offset() ? s.message_for(plan.image_path) : s.message();
}

void print_summary(const CommandLine& cl, const RestorePlan& plan, const Target& target, const Outcome& o,
                   double seconds) {
  bool dry = cl.has("--dry-run");
  if (cl.has("--json")) {
    JsonWriter j;
    j.begin_object().field("source", plan.source).field("volser", plan.volser).field("image", plan.image_path)
        .field("target", target_name(target.kind)).field("target_path", target.path).field("dry_run", dry)
        .field("tape_files", o.summary.tape_files).field("records", o.summary.records)
        .field("filemarks", o.summary.filemarks).field("bytes", o.summary.bytes)
        .field("unchecked_files", o.summary.unchecked_files).field("verified", o.verified)
        .field("written", o.dir.written).field("skipped_existing", o.dir.skipped_existing)
        .field("resumed", o.dir.resumed).field("lost_error_flags", o.lost_error_flags);
    if (o.needed) j.field("bytes_needed", *o.needed);
    if (o.room) j.field("bytes_free", *o.room);
    j.key("mismatches").begin_array();
    for (const auto& m : o.summary.mismatches) {
      j.begin_object().field("file", m.file);
      if (m.record) j.field("record", *m.record);
      if (m.image_offset) j.field("image_offset", *m.image_offset);
      j.field("message", describe_mismatch(plan, m)).end_object();
    }
    j.end_array().key("refused").begin_array();
    for (const auto& r : o.dir.refused) j.value(r);
    j.end_array().key("existing").begin_array();
    for (const auto& e : o.dir.existing) j.value(e);
    j.end_array().key("notes").begin_array();
    for (const auto& n : o.dir.notes) j.value(n);
    j.end_array().field("seconds", seconds).end_object();
    // With --to-stdout the data owns standard output: the summary goes to stderr.
    fmt::print(target.kind == TargetKind::kStdout ? stderr : stdout, "{}\n", j.str());
    return;
  }
  FILE* out = target.kind == TargetKind::kStdout ? stderr : stdout;
  std::string where = target.kind == TargetKind::kStdout ? "standard output"
                      : target.kind == TargetKind::kNone ? "(read and checked only)"
                                                         : target.path;
  fmt::print(out, "{}{} -> {}: {} tape files, {} records, {} filemarks, {} bytes in {:.2f} s{}\n",
             dry ? "dry run: " : "", plan.source, where, o.summary.tape_files, o.summary.records,
             o.summary.filemarks, o.summary.bytes, seconds, o.verified ? ", verified" : "");
  if (target.kind == TargetKind::kDir) {
    fmt::print(out, "{} written, {} left as they were, {} already restored, {} refused\n", o.dir.written,
               o.dir.skipped_existing, o.dir.resumed, o.dir.refused.size());
  }
  if (o.needed) {
    fmt::print(out, "needs about {} on the target{}\n", human_bytes(*o.needed),
               o.room ? fmt::format(", {} free", human_bytes(*o.room)) : "");
  }
}

// The catalog's event log gets every restore of a cataloged volume (a
// failure to log is a warning: the data is restored).
void log_restore_event(const CommandLine& cl, const RestorePlan& plan, const Target& target, const Outcome& o) {
  if (plan.volser.empty()) return;
  std::unique_ptr<TapeLibrary> library;
  std::unique_ptr<Catalog> catalog;
  Status s = TapeLibrary::open(library_dir_option(cl), false, &library);
  if (s.is_ok() && access(library->catalog_path().c_str(), F_OK) != 0) return;
  if (s.is_ok()) s = Catalog::open(library->catalog_path(), &catalog);
  if (s.is_ok()) {
    s = catalog->add_event(plan.volser, -1, "restore",
                           fmt::format("{} -> {} {}: {} records, {} filemarks, {} bytes{}", plan.source,
                                       target_name(target.kind), target.path, o.summary.records,
                                       o.summary.filemarks, o.summary.bytes,
                                       o.summary.mismatches.empty() ? "" : ", checksum mismatches"));
  }
  if (!s.is_ok()) fmt::print(stderr, "vtape restore: warning: the catalog's event log: {}\n", s.message());
}

// Opens nothing up front: an image SOURCE needs no library, and the
// arguments are checked here, before the plan opens anything.
int run_restore(CommandContext& ctx) {
  const CommandLine& cl = ctx.cl;
  Target target;
  std::string err;
  if (!target_option(cl, &target, &err)) return ctx.usage_error(err);
  auto policy = parse_overwrite_policy(cl.value("--overwrite").value_or("never"));
  if (!policy) return ctx.usage_error("--overwrite takes never, always or ask");
  const std::optional<Format>& image_format = ctx.format;
  WriteOptions wopts;
  if (!write_options(cl, &wopts, &err)) return ctx.usage_error(err);
  if ((cl.has("--rewind") || cl.has("--verify")) && target.kind != TargetKind::kDevice) {
    return ctx.usage_error("--rewind and --verify go with --to-device");
  }
  const bool dry = cl.has("--dry-run");
  const bool resume = cl.has("--resume");
  if (cl.has("--append") && target.kind != TargetKind::kCartridge) {
    return ctx.usage_error("--append goes with --to-cartridge");
  }
  if (cl.has("--append") && *policy != OverwritePolicy::kNever) {
    return ctx.usage_error("--append adds after what the cartridge holds; --overwrite writes over it: one of them");
  }
  if (target.kind == TargetKind::kCartridge) {
    auto volser = normalize_volser(target.path);
    if (!volser) return ctx.usage_error(fmt::format("--to-cartridge takes a volser (1 to 6 letters and digits), "
                                                    "not '{}'", target.path));
    target.path = *volser;
  }
  if (ctx.digest && target.kind != TargetKind::kCartridge) {
    return ctx.usage_error("--digest goes with --to-cartridge (the catalog digests what it writes)");
  }
  if (resume && target.kind != TargetKind::kImage && target.kind != TargetKind::kDir) {
    return ctx.usage_error("--resume continues a restore --to-image or --to-dir");
  }

  const std::string& source = cl.positional()[0];
  if (target.kind == TargetKind::kCartridge && is_spool_source(source)) {
    return ctx.usage_error("--to-cartridge takes tape sources");
  }
  if (is_spool_source(source)) {
    if (cl.has("--verify")) return ctx.usage_error("--verify is for tape restores, not spool files");
    SpoolRestoreOptions so;
    so.target = target;
    so.policy = *policy;
    so.dry_run = dry;
    so.resume = resume;
    so.json = cl.has("--json");
    so.rewind = cl.has("--rewind");
    so.library_dir = library_dir_option(cl);
    so.image_format = image_format;
    so.write = wopts;
    return run_spool_restore(source, cl, so);
  }
  if (target.kind == TargetKind::kSpool) return ctx.usage_error("--to-spool takes spool files");
  for (const auto& name : SpoolCriteria::option_names()) {
    if (cl.value(name)) return ctx.usage_error(name + " selects spool files (SOURCE spool)");
  }

  RestorePlan plan;
  Status s = resolve_restore_plan(source, library_dir_option(cl), &plan);
  if (!s.is_ok()) return failure("restore", error_text(plan, s));
  if (target.kind == TargetKind::kCartridge && plan.volser == target.path) {
    return ctx.usage_error(fmt::format("{} cannot be restored onto itself", target.path));
  }
  if (plan.members && target.kind != TargetKind::kDir && target.kind != TargetKind::kStdout) {
    return ctx.usage_error("members go --to-dir or --to-stdout");
  }
  if (target.kind == TargetKind::kStdout && !plan.only_file) {
    return ctx.usage_error("--to-stdout takes one tape file (VOLSER/N) or members of one");
  }
  if (!plan.volser.empty() && plan.cataloged.empty()) {
    fmt::print(stderr, "vtape restore: warning: the catalog has no record of {}; nothing to check its data "
               "against\n", plan.volser);
  }
  std::vector<TapeMember> members;
  if (plan.members) {
    s = select_members(plan, &members);
    if (!s.is_ok()) return failure("restore", error_text(plan, s));
  }

  auto started = std::chrono::steady_clock::now();
  uint64_t span_begin = 0, span_end = 0;
  selection_span(plan, &span_begin, &span_end);
  Progress progress("restore", span_end - span_begin);
  Outcome o;
  ReplayOptions ro;
  ro.progress = [&progress](uint64_t done) { progress.update(done); };
  ro.progress_base = span_begin;

  if (dry) {
    NullSink sink;
    s = replay(plan, sink, ro, &o.summary);
    if (s.is_ok() && (target.kind == TargetKind::kImage || target.kind == TargetKind::kDir)) {
      uint64_t bytes = 0;
      if (plan.members) {
        for (const auto& m : members) bytes += m.size;
      } else {
        bytes = o.summary.bytes;
      }
      // Framing: generous for every format (SIMH uses 8 bytes a record, AWS 6 a chunk).
      if (target.kind == TargetKind::kImage) bytes += o.summary.records * 16 + o.summary.filemarks * 8;
      o.needed = bytes;
      o.room = free_space_for(target.path, target.kind == TargetKind::kDir);
      if (o.room && *o.room < bytes) {
        s = Status::no_space(fmt::format("{} needs about {}, only {} free there", target.path, human_bytes(bytes),
                                         human_bytes(*o.room)));
      }
    }
  } else if (target.kind == TargetKind::kDevice) {
    std::unique_ptr<DeviceSink> device;
    s = DeviceSink::open(target.path, cl.has("--rewind"), &device);
    if (s.is_ok()) s = replay_async(plan, *device, ro, &o.summary);
    if (s.is_ok() && cl.has("--verify")) {
      progress.finish();
      s = device->return_to_start();
      ReplaySummary again;
      DeviceVerifySink verify(device->fd(), target.path, o.summary.largest_record);
      ReplayOptions verify_options;
      verify_options.check = false;  // the source was checked on the way out
      if (s.is_ok()) s = replay(plan, verify, verify_options, &again);
      o.verified = s.is_ok();
    }
    if (device) {
      Status closed = device->close_device();
      if (s.is_ok()) s = closed;
    }
  } else if (target.kind == TargetKind::kCartridge) {
    CartridgeRestoreOptions co;
    co.library_dir = library_dir_option(cl);
    co.volser = target.path;
    co.format = image_format;
    co.digest = ctx.digest;
    co.append = cl.has("--append");
    co.policy = *policy;
    s = restore_to_cartridge(plan, co, ro, &o.summary, &o.lost_error_flags);
  } else if (target.kind == TargetKind::kImage) {
    if (!resume && access(target.path.c_str(), F_OK) == 0 && !may_overwrite(*policy, target.path)) {
      return failure("restore", fmt::format("{} exists; --overwrite=always replaces it", target.path));
    }
    Format format = image_format.value_or(format_from_extension(target.path).value_or(plan.format));
    if (!format_is_writable(format)) {
      return failure("restore", fmt::format("the {} format can only be read", format_name(format)));
    }
    std::string partial;
    if (raw_copy_possible(plan, format, cl)) {
      std::unique_ptr<RawImageSink> sink;
      s = RawImageSink::open(plan.image_path, target.path, &sink);
      if (s.is_ok()) s = replay(plan, *sink, ro, &o.summary);  // on this thread: it copies as the reader goes
      if (s.is_ok()) s = sink->commit();
      if (sink) partial = sink->partial_path();
    } else {
      std::unique_ptr<ImageSink> sink;
      s = ImageSink::open(target.path, format, wopts, resume, &ro.skip_objects, &sink);
      if (s.is_ok()) s = replay(plan, *sink, ro, &o.summary);
      if (s.is_ok()) s = sink->commit();
      if (sink) {
        o.lost_error_flags = sink->lost_error_flags();
        partial = sink->partial_path();
      }
    }
    if (!s.is_ok() && !partial.empty()) {
      progress.finish();
      if (s.code() == StatusCode::kCorrupt) {
        // The source is damaged: a second run would stop at the same place.
        fmt::print(stderr, "vtape restore: {} holds every record and filemark before the damage\n", partial);
      } else {
        fmt::print(stderr, "vtape restore: {} keeps what was written; --resume continues it\n", partial);
      }
    }
  } else if (target.kind == TargetKind::kStdout) {
    if (plan.members) {
      MemberExtractor sink(members, nullptr, *policy, false, &o.dir);
      s = replay(plan, sink, ro, &o.summary);
    } else {
      StdoutSink sink;
      s = replay_async(plan, sink, ro, &o.summary);
    }
  } else {
    SafeTree tree;
    s = SafeTree::open(target.path, &tree);
    if (s.is_ok() && plan.members) {
      MemberExtractor sink(members, &tree, *policy, resume, &o.dir);
      s = replay_async(plan, sink, ro, &o.summary);
    } else if (s.is_ok()) {
      TapeFileDirSink sink(tree, *policy, resume, plan.cataloged, &o.dir);
      s = replay_async(plan, sink, ro, &o.summary);
    }
  }
  progress.finish();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  for (const auto& m : o.summary.mismatches) {
    fmt::print(stderr, "vtape restore: checksum mismatch: {}\n", describe_mismatch(plan, m));
  }
  for (const auto& r : o.dir.refused) fmt::print(stderr, "vtape restore: not restored: {}\n", r);
  for (const auto& n : o.dir.notes) fmt::print(stderr, "vtape restore: note: {}\n", n);
  if (!o.dir.existing.empty() && !cl.has("--json")) {
    fmt::print(stderr, "vtape restore: {} already there, left as they were (--overwrite=always replaces): {}{}\n",
               o.dir.existing.size(), o.dir.existing.front(), o.dir.existing.size() > 1 ? ", ..." : "");
  }
  if (o.lost_error_flags > 0) {
    fmt::print(stderr, "vtape restore: warning: {} records were flagged as read with an error; the target "
               "format cannot say so\n", o.lost_error_flags);
  }
  if (!s.is_ok()) {
    fmt::print(stderr, "vtape restore: {}\n", error_text(plan, s));
    return kExitFailure;
  }
  if (!dry) log_restore_event(cl, plan, target, o);
  print_summary(cl, plan, target, o, seconds);
  bool clean = o.summary.mismatches.empty() && o.dir.refused.empty();
  return clean ? kExitOk : kExitFailure;
}

}  // namespace

const CommandSpec kRestoreCommand{
    .name = "restore",
    .summary = "replay images, tape files or members onto a drive, a cartridge, an image, a pipe or a directory",
    .usage = "vtape restore SOURCE TARGET [--library DIR] [--overwrite never|always|ask] [--dry-run] [--resume] [--json]\n"
             "  SOURCE: IMAGE | VOLSER | VOLSER/N | VOLSER/N:MEMBER-GLOB | spool:OWNER/SPOOLID | spool [criteria]\n"
             "  TARGET: --to-device PATH [--rewind] [--verify]\n"
             "          | --to-cartridge VOLSER [--append] [--format FMT] [--digest xxh3-128|sha256]\n"
             "          | --to-image FILE [--format FMT] [--compress ...]\n"
             "          | --to-stdout | --to-dir DIR | --to-spool USER\n"
             "  criteria (spool): --owner --spoolid --queue --class --form --dest --name --date --hold",
    .help = "Replays archived tape files exactly, checking them against the catalog.\n"
            "See vtape-restore(1).\n",
    .flags = {"--json", "--dry-run", "--resume", "--rewind", "--verify", "--to-stdout", "--append"},
    .options = concat({{"--format", "--library", "--overwrite", "--digest"}, target_option_names(),
                       SpoolCriteria::option_names(), write_option_names()}),
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "one SOURCE is needed",
    .run = run_restore,
};

}  // namespace vtape
