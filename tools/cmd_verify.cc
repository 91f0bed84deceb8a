// vtape verify: checks every object of an image (length words, trailers,
// chunk chains, compressed data).  Exit 0 when the image is valid; 1 with the
// first problem's byte offset, or with --salvage every damaged region.

#include <fmt/format.h>

#include "tapeformat/image_scan.h"
#include "tapeformat/tape_layout.h"
#include "tools/command_spec.h"
#include "tapeformat/base/json_writer.h"
#include "tools/progress.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

int run_verify(CommandContext& ctx) {
  const std::string& path = ctx.positional()[0];
  std::unique_ptr<TapeImage> image;
  if (!open_for_reading("verify", path, ctx.format, &image)) return kExitFailure;

  const bool json = ctx.json;
  ScanOptions options;
  options.salvage = ctx.cl.has("--salvage");
  // Formats that store records as they are (SIMH, E11, MTD) have nothing
  // to check inside a record: its length words say where it ends, and they
  // are read either way.  Framed and compressed records (AWS, HET) are read
  // whole, as their chunks and compressed data are part of the structure.
  options.read_data = !image->records_in_place();
  TapeLayoutBuilder layout;
  Progress progress("verify", image->size());
  auto on_object = [&](const TapeObject& obj, const TapePosition&, const std::vector<uint8_t>*) {
    layout.add(obj);
    progress.update(obj.offset + obj.stored_size);
    return true;
  };
  ScanSummary summary;
  Status s = scan_image(*image, options, on_object, nullptr, &summary);
  progress.finish();
  if (!s.is_ok()) return failure("verify", image->describe(s));
  auto files = layout.files();

  if (json) {
    JsonWriter j;
    j.begin_object().field("image", path).field("format", format_name(image->format()))
        .field("size", image->size()).field("valid", summary.clean())
        .field("tape_files", static_cast<uint64_t>(files.size()))
        .field("records", summary.records).field("filemarks", summary.filemarks)
        .field("bytes", summary.bytes).field("error_records", summary.error_records)
        .field("end_of_data", summary.end_offset);
    j.key("damage").begin_array();
    for (const auto& d : summary.damage) {
      j.begin_object().field("start", d.start).field("end", d.end)
          .field("error_offset", d.error.offset()).field("expected", d.error.expected())
          .field("found", d.error.found()).end_object();
    }
    j.end_array().end_object();
    fmt::print("{}\n", j.str());
  } else {
    for (const auto& d : summary.damage) {
      fmt::print(stderr, "vtape verify: {}\n", d.error.message_for(path));
      if (options.salvage) {
        fmt::print(stderr, "vtape verify: {}: damaged region: bytes {} to {} ({} bytes){}\n", path,
                   d.start, d.end, d.end - d.start,
                   d.end < image->size() ? fmt::format(", resumed at byte {}", d.end) : "");
      }
    }
    std::string counts = fmt::format("{} tape files, {} records, {} filemarks, {} bytes", files.size(),
                                     summary.records, summary.filemarks, summary.bytes);
    if (summary.error_records > 0) {
      counts += fmt::format(", {} records flagged as read with an error", summary.error_records);
    }
    if (summary.clean()) {
      fmt::print("{}: valid {} image: {}\n", path, format_name(image->format()), counts);
    } else if (options.salvage) {
      fmt::print("{}: damaged {} image: {} damaged region(s); readable: {}\n", path,
                 format_name(image->format()), summary.damage.size(), counts);
    } else {
      fmt::print("{}: damaged {} image: valid up to byte {}: {}\n", path, format_name(image->format()),
                 summary.damage.front().start, counts);
    }
  }
  return summary.clean() ? kExitOk : kExitFailure;
}

}  // namespace

const CommandSpec kVerifyCommand{
    .name = "verify",
    .summary = "check the whole structure of an image; --salvage reads past damage",
    .usage = "vtape verify IMAGE [--salvage] [--json] [--format FMT]",
    .help = "Checks the whole structure of IMAGE. Exit 0 when valid; 1 with the first\n"
            "problem's byte offset. --salvage reads on past damage and reports every\n"
            "damaged region.\n",
    .flags = {"--salvage", "--json"},
    .options = {"--format"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "one IMAGE is needed",
    .run = run_verify,
};

}  // namespace vtape
