#include "tools/spool_restore.h"

#include <unistd.h>

#include <chrono>
#include <map>

#include <fmt/format.h>

#include "library/spool_store.h"
#include "index/spool_catalog.h"
#include "tools/async_sink.h"
#include "tools/commands.h"
#include "tapeformat/base/json_writer.h"
#include "library/restore_plan.h"
#include "library/restore_replay.h"
#include "tools/restore_sinks.h"
#include "tools/safe_tree.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

constexpr const char* kPrefix = "spool:";

// The criteria of the source and the criteria options.
Status spool_criteria(const std::string& source, const CommandLine& cl, SpoolCriteria* criteria) {
  criteria->include_purged = true;  // an archive: purged spool files are restorable too
  if (source != "spool") {
    std::string rest = source.substr(std::string(kPrefix).size());
    size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) {
      return Status::invalid_argument(
          fmt::format("'{}': expected spool:OWNER/SPOOLID (or 'spool' with criteria options)", source));
    }
    VTAPE_RETURN_IF_ERROR(criteria->add("--owner", rest.substr(0, slash)));
    VTAPE_RETURN_IF_ERROR(criteria->add("--spoolid", rest.substr(slash + 1)));
  }
  for (const auto& name : SpoolCriteria::option_names()) {
    if (auto v = cl.value(name)) VTAPE_RETURN_IF_ERROR(criteria->add(name, *v));
  }
  return Status::ok();
}

// "ALICE/0007.REPORT.LISTING": where a spool file goes in a directory.
std::string dir_name(const SpoolFileRow& row) {
  return fmt::format("{}/{:04}.{}", row.meta.owner, row.meta.spoolid, row.meta.name_type());
}

// The metadata as "attribute=value" lines, one per user.spool.* attribute.
std::string metadata_text(const SpoolMetadata& m) {
  std::string out;
  for (const auto& name : spool_attributes()) {
    out += fmt::format("{}={}\n", name, get_spool_attribute(m, name).value_or(""));
  }
  return out;
}

Status write_file_in(const SafeTree& tree, const std::string& name, const std::string& bytes) {
  int fd = -1;
  VTAPE_RETURN_IF_ERROR(tree.create_file(name + kPartialSuffix, &fd));
  Status s = write_all(fd, std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
                       tree.root() + "/" + name);
  // On disk before it gets its final name, as every restored file.
  if (s.is_ok() && fdatasync(fd) != 0) s = Status::io_error(fmt::format("cannot sync {}/{}", tree.root(), name), errno);
  if (::close(fd) != 0 && s.is_ok()) s = Status::io_error(fmt::format("cannot write {}/{}", tree.root(), name), errno);
  if (s.is_ok()) s = tree.rename(name + kPartialSuffix, name);
  return s;
}

// The restore plan of a spool file's tape file, from the library and the
// catalog already open; each spool cartridge's rows are read once.
class SpoolFilePlans {
 public:
  SpoolFilePlans(TapeLibrary& library, Catalog& catalog) : library_(library), catalog_(catalog) {}

  Status plan_for(const SpoolFileRow& row, RestorePlan* plan) {
    auto volume = volumes_.find(row.volser);
    if (volume == volumes_.end()) {
      Volume v;
      VTAPE_RETURN_IF_ERROR(library_.find(row.volser, &v.cartridge));
      VTAPE_RETURN_IF_ERROR(catalog_.files(row.volser, &v.rows));
      volume = volumes_.emplace(row.volser, std::move(v)).first;
    }
    *plan = RestorePlan{};
    plan->source = fmt::format("{}/{}", row.volser, row.file_number);
    plan->volser = row.volser;
    plan->image_path = volume->second.cartridge.image_path;
    plan->format = volume->second.cartridge.format;
    plan->only_file = row.file_number;
    return load_cataloged(catalog_, volume->second.rows, plan);
  }

 private:
  struct Volume {
    Cartridge cartridge;
    std::vector<TapeFileRow> rows;
  };
  TapeLibrary& library_;
  Catalog& catalog_;
  std::map<std::string, Volume> volumes_;
};

struct Run {
  uint64_t files = 0, records = 0, bytes = 0;
  std::vector<std::string> mismatches;
  std::vector<std::string> moves;  // "OWNER 0007 -> USER 0003 NAME.TYPE"
  DirReport dir;
};

}  // namespace

bool is_spool_source(const std::string& source) {
  return source == "spool" || source.rfind(kPrefix, 0) == 0;
}

int run_spool_restore(const std::string& source, const CommandLine& cl, const SpoolRestoreOptions& o) {
  const RestoreTarget& target = o.target;
  SpoolCriteria criteria;
  Status s = spool_criteria(source, cl, &criteria);
  if (!s.is_ok()) return usage_error("restore", s.message(), "vtape restore spool:OWNER/SPOOLID | spool [criteria] TARGET");
  std::unique_ptr<TapeLibrary> library;
  s = TapeLibrary::open(o.library_dir, /*create=*/false, &library);
  if (!s.is_ok()) return failure("restore", s.message());
  std::unique_ptr<Catalog> catalog;
  s = Catalog::open(library->catalog_path(), &catalog);
  if (!s.is_ok()) return failure("restore", s.message());
  SpoolStore store(*library, *catalog);
  std::vector<SpoolFileRow> rows;
  s = store.catalog().select(criteria, &rows);
  if (!s.is_ok()) return failure("restore", s.message());
  if (rows.empty()) return failure("restore", fmt::format("no spool file matches {}", source));
  if (target.kind == TargetKind::kStdout && rows.size() != 1) {
    return failure("restore", fmt::format("--to-stdout takes one spool file; {} match", rows.size()));
  }
  std::string spool_user;
  if (target.kind == TargetKind::kSpool) {
    s = normalize_spool_user(target.path, &spool_user);
    if (!s.is_ok()) return usage_error("restore", s.message(), "vtape restore ... --to-spool USER");
  }

  auto started = std::chrono::steady_clock::now();
  Run run;
  SafeTree tree;
  if (target.kind == TargetKind::kDir && !o.dry_run) {
    s = SafeTree::open(target.path, &tree);
    if (!s.is_ok()) return failure("restore", s.message());
  }
  std::unique_ptr<ImageSink> image;
  std::unique_ptr<DeviceSink> device;
  if (!o.dry_run && target.kind == TargetKind::kImage) {
    if (access(target.path.c_str(), F_OK) == 0 && !may_overwrite(o.policy, target.path)) {
      return failure("restore", fmt::format("{} exists; --overwrite=always replaces it", target.path));
    }
    uint64_t present = 0;
    Format format = o.image_format.value_or(format_from_extension(target.path).value_or(Format::kSimh));
    s = ImageSink::open(target.path, format, o.write, false, &present, &image);
  } else if (!o.dry_run && target.kind == TargetKind::kDevice) {
    s = DeviceSink::open(target.path, o.rewind, &device);
  }
  if (!s.is_ok()) return failure("restore", s.message());

  SpoolFilePlans plans(*library, *catalog);
  for (const SpoolFileRow& row : rows) {
    std::string what = fmt::format("spool file {} {:04} {}", row.meta.owner, row.meta.spoolid, row.meta.name_type());
    // Its tape file, checked against the catalog (and copied when the
    // target takes tape files).
    RestorePlan plan;
    s = plans.plan_for(row, &plan);
    ReplaySummary summary;
    NullSink check_only;
    RecordSink* sink = &check_only;
    if (image) sink = image.get();
    if (device) sink = device.get();
    if (s.is_ok()) s = replay(plan, *sink, ReplayOptions{}, &summary);
    if (!s.is_ok()) return failure("restore", fmt::format("{}: {}", what, s.has_offset() ? s.message_for(plan.image_path) : s.message()));
    for (const auto& m : summary.mismatches) run.mismatches.push_back(fmt::format("{}: {}", what, describe_mismatch(plan, m)));
    SpoolFile file;
    s = store.read(row, &file);
    if (!s.is_ok()) return failure("restore", fmt::format("{}: {}", what, s.has_offset() ? s.message_for(plan.image_path) : s.message()));
    if (file.records.size() != row.meta.records) {
      run.mismatches.push_back(fmt::format("{}: the catalog records {} records, its tape file holds {}", what,
                                           row.meta.records, file.records.size()));
    }
    ++run.files;
    run.records += summary.records;
    run.bytes += row.meta.content_bytes;
    if (o.dry_run) continue;

    if (target.kind == TargetKind::kDir) {
      std::string name = dir_name(row);
      uint64_t size = 0;
      if (tree.exists(name, &size)) {
        if (o.resume && size == row.meta.content_bytes) {
          ++run.dir.resumed;
          continue;
        }
        if (!o.resume && !may_overwrite(o.policy, tree.root() + "/" + name)) {
          ++run.dir.skipped_existing;
          run.dir.existing.push_back(name);
          continue;
        }
      }
      s = write_file_in(tree, name + ".meta", metadata_text(row.meta));
      if (s.is_ok()) s = write_file_in(tree, name, spool_content_from_records(file.meta, file.records));
      if (!s.is_ok()) return failure("restore", s.message());
      ++run.dir.written;
    } else if (target.kind == TargetKind::kStdout) {
      std::string bytes = spool_content_from_records(file.meta, file.records);
      s = write_all(STDOUT_FILENO, std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
                    "standard output");
      if (!s.is_ok()) return failure("restore", s.message());
    } else if (target.kind == TargetKind::kSpool) {
      SpoolFileRow sent;
      s = store.send_to_reader(file, spool_user, &sent);
      if (!s.is_ok()) return failure("restore", fmt::format("{}: {}", what, s.message()));
      run.moves.push_back(fmt::format("{} {:04} -> {} {:04} {}", row.meta.owner, row.meta.spoolid, sent.meta.owner,
                                      sent.meta.spoolid, row.meta.name_type()));
    }
  }
  if (image) s = image->commit();
  if (device && s.is_ok()) s = device->close_device();
  if (!s.is_ok()) return failure("restore", s.message());
  if (!o.dry_run && target.kind == TargetKind::kSpool) {
    store.log_event("spool-restore", fmt::format("{} spool files into {}'s reader", run.files, spool_user));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  for (const auto& m : run.mismatches) fmt::print(stderr, "vtape restore: checksum mismatch: {}\n", m);
  FILE* out = target.kind == TargetKind::kStdout ? stderr : stdout;
  if (o.json) {
    JsonWriter j;
    j.begin_object().field("source", source).field("target", target_name(target.kind))
        .field("target_path", target.path).field("dry_run", o.dry_run).field("spool_files", run.files)
        .field("records", run.records).field("bytes", run.bytes).field("written", run.dir.written)
        .field("skipped_existing", run.dir.skipped_existing).field("resumed", run.dir.resumed);
    j.key("sent").begin_array();
    for (const auto& m : run.moves) j.value(m);
    j.end_array().key("mismatches").begin_array();
    for (const auto& m : run.mismatches) j.value(m);
    j.end_array().key("existing").begin_array();
    for (const auto& e : run.dir.existing) j.value(e);
    j.end_array().field("seconds", seconds).end_object();
    fmt::print(out, "{}\n", j.str());
  } else {
    for (const auto& m : run.moves) fmt::print(out, "{}\n", m);
    fmt::print(out, "{}{} -> {}: {} spool files, {} records, {} bytes in {:.2f} s\n", o.dry_run ? "dry run: " : "",
               source, target.kind == TargetKind::kNone ? "(read and checked only)" : target_name(target.kind),
               run.files, run.records, run.bytes, seconds);
    if (!run.dir.existing.empty()) {
      fmt::print(stderr, "vtape restore: {} already there, left as they were (--overwrite=always replaces): {}{}\n",
                 run.dir.existing.size(), run.dir.existing.front(), run.dir.existing.size() > 1 ? ", ..." : "");
    }
  }
  return run.mismatches.empty() ? kExitOk : kExitFailure;
}

}  // namespace vtape
