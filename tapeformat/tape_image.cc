#include "tapeformat/tape_image.h"

#include <fmt/format.h>

#include "tapeformat/format_detect.h"
#include "tapeformat/format_table.h"

namespace vtape {

TapeImage::~TapeImage() { (void)file_.close(); }

Status TapeImage::open(const std::string& path, const OpenOptions& options,
                       std::unique_ptr<TapeImage>* out) {
  std::unique_ptr<TapeImage> image(new TapeImage());
  VTAPE_RETURN_IF_ERROR(image->file_.open(
      path, options.writable ? ImageFile::Mode::kReadWrite : ImageFile::Mode::kReadOnly));
  Format format = Format::kSimh;
  if (options.format) {
    format = *options.format;
  } else {
    VTAPE_RETURN_IF_ERROR(detect_format(image->file_, &format));
  }
  if (options.writable && !format_is_writable(format)) {
    return Status::not_supported(
        fmt::format("{}: the {} format can only be read", path, format_name(format)));
  }
  image->codec_ = make_codec(format, options.write);
  VTAPE_RETURN_IF_ERROR(image->codec_->attach(image->file_));
  *out = std::move(image);
  return Status::ok();
}

Status TapeImage::create(const std::string& path, Format format, const WriteOptions& options,
                         bool overwrite, std::unique_ptr<TapeImage>* out) {
  if (!format_is_writable(format)) {
    return Status::not_supported(fmt::format("the {} format can only be read", format_name(format)));
  }
  std::unique_ptr<TapeImage> image(new TapeImage());
  VTAPE_RETURN_IF_ERROR(image->file_.create(path, overwrite));
  image->codec_ = make_codec(format, options);
  *out = std::move(image);
  return Status::ok();
}

Status TapeImage::adopt_fd(int fd, std::string name, Format format, bool writable,
                           std::unique_ptr<TapeImage>* out, const WriteOptions& options) {
  std::unique_ptr<TapeImage> image(new TapeImage());
  image->file_.adopt(fd, writable, std::move(name));
  image->codec_ = make_codec(format, options);
  VTAPE_RETURN_IF_ERROR(image->codec_->attach(image->file_));
  *out = std::move(image);
  return Status::ok();
}

Status TapeImage::read(TapeObject* obj, std::vector<uint8_t>* data) {
  uint64_t next = 0;
  // The codec's Status is the one returned (constructed in place): a scan of
  // small records calls this once a record, and a second Status to build and
  // destroy showed in its profile.
  Status s = codec_->read_forward(file_, pos_.offset, obj, data, &next);
  if (!s.is_ok()) return s;
  switch (obj->kind) {
    case ObjectKind::kRecord:
      ++pos_.object_index;
      if (pos_.block >= 0) ++pos_.block;
      break;
    case ObjectKind::kFilemark:
      ++pos_.object_index;
      ++pos_.file;
      pos_.block = 0;
      break;
    default:
      break;
  }
  pos_.offset = next;
  return s;
}

Status TapeImage::read_in_place(TapeObject* obj, uint64_t* data_offset) {
  if (!codec_->records_in_place()) {
    return Status::invalid_argument(fmt::format("{} images frame their records; they cannot be read in place",
                                                format_spec(format()).name));
  }
  VTAPE_RETURN_IF_ERROR(read(obj, nullptr));
  *data_offset = obj->offset + 4;  // after the leading length word
  return Status::ok();
}

Status TapeImage::step_back(TapeObject* obj) {
  uint64_t start = 0;
  VTAPE_RETURN_IF_ERROR(codec_->read_backward(file_, pos_.offset, obj, &start));
  switch (obj->kind) {
    case ObjectKind::kRecord:
      if (pos_.object_index > 0) --pos_.object_index;
      if (pos_.block > 0) --pos_.block;
      break;
    case ObjectKind::kFilemark:
      if (pos_.object_index > 0) --pos_.object_index;
      if (pos_.file > 0) --pos_.file;
      pos_.block = -1;  // as st: the length of the previous file is not known
      break;
    default:
      break;
  }
  pos_.offset = start;
  if (pos_.offset == 0) pos_ = TapePosition{};
  return Status::ok();
}

Status TapeImage::peek(TapeObject* obj) {
  uint64_t next = 0;
  return codec_->read_forward(file_, pos_.offset, obj, nullptr, &next);
}

Status TapeImage::rewind() {
  pos_ = TapePosition{};
  return Status::ok();
}

Status TapeImage::seek_end_of_data() {
  for (;;) {
    TapeObject obj;
    VTAPE_RETURN_IF_ERROR(read(&obj, nullptr));
    if (obj.kind == ObjectKind::kEndOfData) return Status::ok();
  }
}

void TapeImage::seek_to_offset(uint64_t offset) { pos_.offset = offset; }

Status TapeImage::prepare_write() {
  if (!file_.writable()) {
    return Status::not_supported(fmt::format("{} is open read-only", path()));
  }
  // A tape drive writes over whatever followed: the tape ends here now.
  if (pos_.offset < file_.size()) VTAPE_RETURN_IF_ERROR(file_.truncate_at(pos_.offset));
  return Status::ok();
}

Status TapeImage::write_record(std::span<const uint8_t> data, bool error_flag) {
  if (data.size() > format_max_record_size(format())) {
    return Status::invalid_argument(fmt::format("a record of {} bytes is larger than the {} format allows ({})",
                                                data.size(), format_name(format()),
                                                format_max_record_size(format())));
  }
  VTAPE_RETURN_IF_ERROR(prepare_write());
  VTAPE_RETURN_IF_ERROR(codec_->prepare_append(file_));
  VTAPE_RETURN_IF_ERROR(codec_->write_record(file_, data, error_flag));
  ++pos_.object_index;
  if (pos_.block >= 0) ++pos_.block;
  pos_.offset = file_.size();
  return Status::ok();
}

Status TapeImage::write_filemark() {
  VTAPE_RETURN_IF_ERROR(prepare_write());
  VTAPE_RETURN_IF_ERROR(codec_->prepare_append(file_));
  VTAPE_RETURN_IF_ERROR(codec_->write_filemark(file_));
  ++pos_.object_index;
  ++pos_.file;
  pos_.block = 0;
  pos_.offset = file_.size();
  return Status::ok();
}

Status TapeImage::enable_crash_guard() {
  std::optional<uint32_t> guard = format_spec(format()).end_guard;
  if (!guard) return Status::ok();
  return file_.enable_end_guard(*guard);
}

Status TapeImage::erase_to_end() { return prepare_write(); }

}  // namespace vtape
