// vtape convert: copies every record, filemark and error flag of one image
// into a new image of any writable format.  The copy is written beside OUT
// and renamed over it only when the input has been read to its end or to
// its first damage, so an I/O failure or a full disk never leaves a
// half-written OUT.  On damage OUT holds every object before it (a valid
// image) and the exit status is 1; --salvage reads on past the damage.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "tapeformat/format_table.h"
#include "tapeformat/image_scan.h"
#include "tapeformat/base/json_writer.h"
#include "tools/command_spec.h"
#include "tools/partial_file.h"
#include "tools/progress.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

// --to, --from and the write options; a message when one is wrong.
std::string convert_options(const CommandLine& cl, std::optional<Format>* to, std::optional<Format>* from,
                            WriteOptions* wopts) {
  std::string err;
  if (!format_option(cl, "--to", to, &err) || !format_option(cl, "--from", from, &err) ||
      !write_options(cl, wopts, &err)) {
    return err;
  }
  return "";
}

std::string check_convert(const CommandLine& cl) {
  std::optional<Format> to, from;
  WriteOptions wopts;
  return convert_options(cl, &to, &from, &wopts);
}

int run_convert(CommandContext& ctx) {
  const CommandLine& cl = ctx.cl;
  const std::string& in_path = cl.positional()[0];
  const std::string& out_path = cl.positional()[1];
  std::optional<Format> to, from;
  WriteOptions wopts;
  (void)convert_options(cl, &to, &from, &wopts);  // checked by check_convert
  // OUT's extension names its format; one that names none is most likely a
  // slip (y.hte), not a wish for IN's format, so it needs --to.
  std::string out_name = std::filesystem::path(out_path).filename().string();
  if (!to && out_name.find('.') != std::string::npos && out_name.rfind('.') > 0 &&
      !format_from_extension(out_path)) {
    return ctx.usage_error(fmt::format("{}: '{}' is the extension of no format ({}); give the format with --to",
                                       out_path, out_name.substr(out_name.rfind('.')), format_extensions(", ")));
  }
  if (!cl.has("--force") && access(out_path.c_str(), F_OK) == 0) {
    return failure("convert", fmt::format("{} exists; --force replaces it", out_path));
  }
  std::unique_ptr<TapeImage> in;
  if (!open_for_reading("convert", in_path, from, &in)) return kExitFailure;
  Format out_format = to.value_or(format_from_extension(out_path).value_or(in->format()));
  if (!format_is_writable(out_format)) {
    return failure("convert", fmt::format("the {} format can only be read", format_name(out_format)));
  }

  std::string partial = out_path + kPartialSuffix;
  std::unique_ptr<TapeImage> out;
  // O_CREAT|O_EXCL: OUT's directory may be /tmp, and a link planted at the
  // partial name is never written through.
  Status s = clear_partial_file(partial);
  if (s.is_ok()) s = TapeImage::create(partial, out_format, wopts, /*overwrite=*/false, &out);
  if (!s.is_ok()) return failure("convert", s.message());
  out->set_early_writeback(true);

  auto started = std::chrono::steady_clock::now();
  Progress progress("convert", in->size());
  uint64_t lost_error_flags = 0;
  Status write_error;
  uint64_t failed_at = 0;
  auto on_object = [&](const TapeObject& obj, const TapePosition&, const std::vector<uint8_t>* data) {
    if (obj.kind == ObjectKind::kFilemark) {
      write_error = out->write_filemark();
    } else {
      bool flag = obj.error_flag && format_keeps_error_flags(out_format);
      if (obj.error_flag && !flag) ++lost_error_flags;
      write_error = out->write_record(*data, flag);
    }
    failed_at = obj.offset;
    progress.update(obj.offset + obj.stored_size);
    return write_error.is_ok();
  };
  auto on_damage = [&](const DamagedRegion& d) {
    progress.finish();
    fmt::print(stderr, "vtape convert: {}\n", d.error.message_for(in_path));
  };
  ScanOptions options;
  options.salvage = cl.has("--salvage");
  ScanSummary summary;
  s = scan_image(*in, options, on_object, on_damage, &summary);
  progress.finish();
  if (s.is_ok() && !write_error.is_ok()) {
    unlink(partial.c_str());
    return failure("convert", fmt::format("{}: the record at byte {} cannot be written as {}: {}; {} was not written",
                                          in_path, failed_at, format_name(out_format), write_error.message(), out_path));
  }
  if (s.is_ok()) s = out->sync();
  if (s.is_ok()) s = out->close();
  if (!s.is_ok()) {
    unlink(partial.c_str());
    std::string where = s.has_offset() ? in->describe(s) : s.message();
    return failure("convert", fmt::format("{}; {} was not written", where, out_path));
  }
  if (rename(partial.c_str(), out_path.c_str()) != 0) {
    int e = errno;
    unlink(partial.c_str());
    return failure("convert", Status::io_error(fmt::format("cannot rename {} to {}", partial, out_path), e).message());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (lost_error_flags > 0) {
    fmt::print(stderr, "vtape convert: warning: {} records were flagged as read with an error; the {} "
               "format cannot say so, their data was copied as good records\n",
               lost_error_flags, format_name(out_format));
  }
  if (!summary.clean() && !options.salvage) {
    fmt::print(stderr, "vtape convert: {} holds everything before the damage; --salvage reads on past it\n",
               out_path);
  }
  if (ctx.json) {
    JsonWriter j;
    j.begin_object().field("input", in_path).field("input_format", format_name(in->format()))
        .field("output", out_path).field("output_format", format_name(out_format))
        .field("records", summary.records).field("filemarks", summary.filemarks)
        .field("bytes", summary.bytes).field("error_records", summary.error_records)
        .field("damaged_regions", static_cast<uint64_t>(summary.damage.size()))
        .field("seconds", secs).end_object();
    fmt::print("{}\n", j.str());
  } else {
    fmt::print("{} ({}) -> {} ({}): {} records, {} filemarks, {} bytes in {:.2f} s\n", in_path,
               format_name(in->format()), out_path, format_name(out_format), summary.records,
               summary.filemarks, summary.bytes, secs);
  }
  return summary.clean() ? kExitOk : kExitFailure;
}

}  // namespace

const CommandSpec kConvertCommand{
    .name = "convert",
    .summary = "copy an image into another format, record for record",
    .usage = "vtape convert IN OUT [--to FORMAT] [--force] [--salvage] [--json] [--from FORMAT]\n"
             "                     [--compress zlib|bzip2|none] [--level 1-9] [--chunk-size N]",
    .help = "Copies every record, filemark and error flag of IN into OUT. The format of\n"
            "OUT comes from --to, else from its extension, else (no extension) it is IN's\n"
            "format; an extension of no format needs --to.\n",
    .flags = {"--force", "--salvage", "--json"},
    .options = concat({{"--to", "--from"}, write_option_names()}),
    .min_positional = 2,
    .max_positional = 2,
    .positional_error = "IN and OUT are needed",
    .check = check_convert,
    .run = run_convert,
};

}  // namespace vtape
