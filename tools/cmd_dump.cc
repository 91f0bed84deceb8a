// vtape dump: the structure of an image, tape file by tape file, and with
// --records every record with its offset.

#include <cstdio>

#include <fmt/format.h>

#include "tapeformat/image_scan.h"
#include "tapeformat/tape_layout.h"
#include "tools/command_spec.h"
#include "tapeformat/base/json_writer.h"
#include "tools/tool_support.h"

namespace vtape {
namespace {

std::string range_text(const TapeFileSummary& f) {
  if (f.records == 0) return fmt::format("{:>9} {:>9}", "-", "-");
  return fmt::format("{:>9} {:>9}", f.smallest, f.largest);
}

void write_file_json(JsonWriter& j, const TapeFileSummary& f) {
  j.field("file", f.number)
      .field("offset", f.start_offset)
      .field("records", f.records)
      .field("bytes", f.bytes)
      .field("smallest_record", static_cast<uint64_t>(f.smallest))
      .field("largest_record", static_cast<uint64_t>(f.largest))
      .field("error_records", f.error_records)
      .field("ended_by_filemark", f.terminated);
}

void write_damage_json(JsonWriter& j, const std::vector<DamagedRegion>& damage) {
  j.key("damage").begin_array();
  for (const auto& d : damage) {
    j.begin_object()
        .field("start", d.start)
        .field("end", d.end)
        .field("error_offset", d.error.offset())
        .field("expected", d.error.expected())
        .field("found", d.error.found())
        .end_object();
  }
  j.end_array();
}

int run_dump(CommandContext& ctx) {
  const std::string& path = ctx.positional()[0];
  std::unique_ptr<TapeImage> image;
  if (!open_for_reading("dump", path, ctx.format, &image)) return kExitFailure;

  const bool json = ctx.json;
  const bool records = ctx.cl.has("--records");
  TapeLayoutBuilder layout;
  JsonWriter j;
  uint64_t printed_files = 0;

  auto print_file_line = [&](const TapeFileSummary& f) {
    fmt::print("{:>5} {:>12} {:>9} {:>12} {}\n", f.number, f.start_offset, f.records, f.bytes,
               range_text(f));
  };
  auto flush_finished_files = [&]() {
    auto files = layout.files();
    for (; printed_files < files.size() && files[printed_files].terminated; ++printed_files) {
      if (!json && !records) print_file_line(files[printed_files]);
    }
  };

  if (json) {
    j.begin_object().field("image", path).field("format", format_name(image->format()))
        .field("size", image->size());
    if (records) j.key("objects").begin_array();
  } else {
    fmt::print("{}: {} image, {} bytes\n", path, format_name(image->format()), image->size());
    if (!records) {
      fmt::print("{:>5} {:>12} {:>9} {:>12} {:>9} {:>9}\n", "file", "offset", "records", "bytes",
                 "smallest", "largest");
    } else {
      fmt::print("{:>5} {:>7} {:>12} {:>9}\n", "file", "block", "offset", "length");
    }
  }

  ScanOptions options;
  options.salvage = ctx.cl.has("--salvage");
  // Framing alone gives every length except HET's compressed records, whose
  // true length is known only after decompressing them.
  options.read_data = image->format() == Format::kHet;
  auto on_object = [&](const TapeObject& obj, const TapePosition& pos, const std::vector<uint8_t>*) {
    layout.add(obj);
    if (records) {
      bool is_record = obj.kind == ObjectKind::kRecord;
      if (json) {
        j.begin_object().field("file", pos.file).field("type", is_record ? "record" : "filemark");
        if (is_record) j.field("block", pos.block);
        j.field("offset", obj.offset);
        if (is_record) {
          j.field("length", static_cast<uint64_t>(obj.length));
          if (obj.compressed) j.field("stored_length", static_cast<uint64_t>(obj.stored_length));
          j.field("error", obj.error_flag);
        }
        j.end_object();
        j.flush_to(stdout);
      } else if (is_record) {
        fmt::print("{:>5} {:>7} {:>12} {:>9}{}{}\n", pos.file, pos.block, obj.offset, obj.length,
                   obj.compressed ? fmt::format("  (stored {})", obj.stored_length) : "",
                   obj.error_flag ? "  error" : "");
      } else {
        fmt::print("{:>5} {:>7} {:>12} {:>9}\n", pos.file, "", obj.offset, "filemark");
      }
    }
    flush_finished_files();
    return true;
  };
  auto on_damage = [&](const DamagedRegion& d) {
    if (!json) {
      fmt::print(stderr, "vtape dump: {}\n", d.error.message_for(path));
      if (options.salvage) {
        fmt::print(stderr, "vtape dump: {}: damaged bytes {} to {}, {}\n", path, d.start, d.end,
                   d.end < image->size() ? fmt::format("resumed at byte {}", d.end)
                                         : std::string("nothing readable after them"));
      }
    }
  };
  ScanSummary summary;
  Status s = scan_image(*image, options, on_object, on_damage, &summary);
  if (!s.is_ok()) return failure("dump", image->describe(s));

  auto files = layout.files();
  if (json) {
    if (records) j.end_array();
    j.key("files").begin_array();
    for (const auto& f : files) {
      j.begin_object();
      write_file_json(j, f);
      j.end_object();
    }
    j.end_array();
    j.field("records", summary.records).field("filemarks", summary.filemarks)
        .field("bytes", summary.bytes).field("end_of_data", summary.end_offset);
    write_damage_json(j, summary.damage);
    j.end_object();
    j.flush_to(stdout);
    fmt::print("\n");
  } else {
    for (; printed_files < files.size(); ++printed_files) {
      if (!records) print_file_line(files[printed_files]);
    }
    fmt::print("{} at byte {}: {} tape files, {} records, {} filemarks, {} bytes\n",
               summary.clean() ? "end of data" : "reading stopped", summary.end_offset,
               files.size(), summary.records, summary.filemarks, summary.bytes);
  }
  return summary.clean() ? kExitOk : kExitFailure;
}

}  // namespace

const CommandSpec kDumpCommand{
    .name = "dump",
    .summary = "list the structure of an image: files, records, sizes",
    .usage = "vtape dump IMAGE [--records] [--json] [--salvage] [--format FMT]",
    .help = "Lists each tape file of IMAGE with its records, bytes and smallest and\n"
            "largest record; --records lists every record and filemark with its offset.\n",
    .flags = {"--records", "--json", "--salvage"},
    .options = {"--format"},
    .min_positional = 1,
    .max_positional = 1,
    .positional_error = "one IMAGE is needed",
    .run = run_dump,
};

}  // namespace vtape
