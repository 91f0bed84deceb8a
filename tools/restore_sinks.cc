#include "tools/restore_sinks.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mtio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "tools/partial_file.h"

namespace vtape {

Status write_all(int fd, std::span<const uint8_t> data, const std::string& what, size_t* written) {
  size_t done = 0;
  if (written != nullptr) *written = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == ENOSPC) return Status::no_space(fmt::format("{}: the file system is full", what));
      return Status::io_error(fmt::format("cannot write to {}", what), errno);
    }
    done += static_cast<size_t>(n);
    if (written != nullptr) *written = done;
  }
  return Status::ok();
}

namespace {

Status tape_op(int fd, const std::string& path, short op, int count, const char* name) {
  struct mtop mt{};
  mt.mt_op = op;
  mt.mt_count = count;
  if (ioctl(fd, MTIOCTOP, &mt) != 0) return Status::io_error(fmt::format("{}: {} failed", path, name), errno);
  return Status::ok();
}

}  // namespace

// --- DeviceSink ---

Status DeviceSink::open(const std::string& path, bool rewind, std::unique_ptr<DeviceSink>* out) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Status::io_error(fmt::format("cannot open the tape device {}", path), errno);
  std::unique_ptr<DeviceSink> sink(new DeviceSink());
  sink->fd_ = fd;
  sink->path_ = path;
  struct mtget status{};
  if (ioctl(fd, MTIOCGET, &status) != 0) {
    return Status::invalid_argument(
        fmt::format("{} is not a tape device (MTIOCGET: {})", path, std::strerror(errno)));
  }
  if (rewind) {
    VTAPE_RETURN_IF_ERROR(tape_op(fd, path, MTREW, 1, "rewind"));
    sink->rewound_ = true;
  } else {
    struct mtpos pos{};
    if (ioctl(fd, MTIOCPOS, &pos) != 0) {
      return Status::io_error(fmt::format("{}: cannot tell the position (MTIOCPOS)", path), errno);
    }
    sink->start_block_ = static_cast<uint32_t>(pos.mt_blkno);
  }
  *out = std::move(sink);
  return Status::ok();
}

DeviceSink::~DeviceSink() { close_device(); }

Status DeviceSink::close_device() {
  if (fd_ < 0) return Status::ok();
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return Status::io_error(fmt::format("closing {}", path_), errno);
  return Status::ok();
}

Status DeviceSink::record(std::span<const uint8_t> data, bool) {
  if (data.empty()) return Status::ok();  // a zero-length write is no record on a tape
  ssize_t n;
  do {
    n = ::write(fd_, data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == ENOSPC) return Status::no_space(fmt::format("{}: end of tape (ENOSPC)", path_));
    return Status::io_error(fmt::format("cannot write a record of {} bytes to {}", data.size(), path_), errno);
  }
  if (static_cast<size_t>(n) != data.size()) {
    return Status::io_error(
        fmt::format("{} wrote {} bytes of a {}-byte record: the record was not written whole", path_, n,
                    data.size()),
        EIO);
  }
  return Status::ok();
}

Status DeviceSink::filemark() { return tape_op(fd_, path_, MTWEOF, 1, "writing a filemark (MTWEOF)"); }

Status DeviceSink::return_to_start() {
  if (rewound_) return tape_op(fd_, path_, MTREW, 1, "rewind");
  return tape_op(fd_, path_, MTSEEK, static_cast<int>(start_block_), "seek back to the start (MTSEEK)");
}

// --- DeviceVerifySink ---

DeviceVerifySink::DeviceVerifySink(int fd, std::string path, uint32_t largest)
    : fd_(fd), path_(std::move(path)), buffer_(std::max<uint32_t>(largest, 1)) {}

Status DeviceVerifySink::begin_file(uint64_t file) {
  file_ = file;
  record_ = 0;
  return Status::ok();
}

Status DeviceVerifySink::record(std::span<const uint8_t> data, bool) {
  if (data.empty()) return Status::ok();
  ssize_t n;
  do {
    n = ::read(fd_, buffer_.data(), buffer_.size());
  } while (n < 0 && errno == EINTR);
  std::string where = fmt::format("{}: reading back file {} record {}", path_, file_, record_);
  if (n < 0) return Status::io_error(where, errno);
  if (static_cast<size_t>(n) != data.size()) {
    return Status::invalid_argument(fmt::format("{}: expected a record of {} bytes, read {}{}", where, data.size(), n,
                                                n == 0 ? " (a filemark)" : ""));
  }
  if (std::memcmp(buffer_.data(), data.data(), data.size()) != 0) {
    return Status::invalid_argument(fmt::format("{}: the record's bytes differ from the source", where));
  }
  ++record_;
  return Status::ok();
}

Status DeviceVerifySink::filemark() {
  ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
  if (n != 0) {
    return Status::invalid_argument(fmt::format("{}: reading back file {}: expected a filemark after {} records, {}",
                                                path_, file_, record_,
                                                n < 0 ? std::string(std::strerror(errno))
                                                      : fmt::format("found a record of {} bytes", n)));
  }
  return Status::ok();
}

// --- ImageSink ---

Status ImageSink::open(const std::string& out_path, Format format, const WriteOptions& options, bool resume,
                       uint64_t* present, std::unique_ptr<ImageSink>* out) {
  std::unique_ptr<ImageSink> sink(new ImageSink());
  sink->out_ = out_path;
  sink->partial_ = out_path + kPartialSuffix;
  *present = 0;
  if (resume && partial_file_exists(sink->partial_)) {
    // Only our own regular file is continued, on the descriptor checked.
    int fd = -1;
    VTAPE_RETURN_IF_ERROR(open_partial_for_resume(sink->partial_, &fd));
    if (!format_is_writable(format)) {
      ::close(fd);
      return Status::not_supported(fmt::format("the {} format can only be read", format_name(format)));
    }
    VTAPE_RETURN_IF_ERROR(TapeImage::adopt_fd(fd, sink->partial_, format, /*writable=*/true, &sink->image_, options));
    // Count what the interrupted run wrote; stop before a torn last object.
    std::vector<uint8_t> data;
    for (;;) {
      TapeObject obj;
      if (!sink->image_->read(&obj, &data).is_ok() || obj.kind == ObjectKind::kEndOfData) break;
      ++*present;
    }
  } else {
    // O_CREAT|O_EXCL: never through a link planted at the partial name.
    VTAPE_RETURN_IF_ERROR(clear_partial_file(sink->partial_));
    VTAPE_RETURN_IF_ERROR(TapeImage::create(sink->partial_, format, options, /*overwrite=*/false, &sink->image_));
  }
  sink->image_->set_early_writeback(true);
  *out = std::move(sink);
  return Status::ok();
}

Status ImageSink::record(std::span<const uint8_t> data, bool error_flag) {
  bool keep = error_flag && format_keeps_error_flags(image_->format());
  if (error_flag && !keep) ++lost_error_flags_;
  return image_->write_record(data, keep);
}

Status ImageSink::filemark() { return image_->write_filemark(); }

Status ImageSink::commit() {
  VTAPE_RETURN_IF_ERROR(image_->sync());
  VTAPE_RETURN_IF_ERROR(image_->close());
  if (::rename(partial_.c_str(), out_.c_str()) != 0) {
    return Status::io_error(fmt::format("cannot rename {} to {}", partial_, out_), errno);
  }
  return Status::ok();
}

// --- RawImageSink ---

Status RawImageSink::open(const std::string& source_path, const std::string& out_path,
                          std::unique_ptr<RawImageSink>* out) {
  std::unique_ptr<RawImageSink> sink(new RawImageSink());
  sink->source_ = source_path;
  sink->out_path_ = out_path;
  sink->partial_ = out_path + kPartialSuffix;
  sink->source_fd_ = ::open(source_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (sink->source_fd_ < 0) return Status::io_error(fmt::format("cannot open {}", source_path), errno);
  int fd = -1;
  VTAPE_RETURN_IF_ERROR(create_partial_file(sink->partial_, &fd));
  sink->out_.adopt(fd, /*writable=*/true, sink->partial_);
  sink->out_.set_early_writeback(true);
  *out = std::move(sink);
  return Status::ok();
}

RawImageSink::~RawImageSink() {
  (void)copy_run();  // what was delivered before a stop stays in the partial image
  (void)out_.close();
  if (source_fd_ >= 0) ::close(source_fd_);
}

Status RawImageSink::source_object(uint64_t offset, uint64_t stored_size, std::span<const uint8_t>) {
  // Objects that follow each other in the source are copied together, by
  // the kernel (as cp copies), in runs of up to kRunSize: no copy through
  // this process's memory, and a system call per run, not per record.
  bool follows = !run_ends_.empty() && run_start_ + run_ends_.back() == offset;
  if (!follows || run_ends_.back() >= kRunSize) {
    VTAPE_RETURN_IF_ERROR(copy_run());
    run_start_ = offset;
  }
  run_ends_.push_back((run_ends_.empty() ? 0 : run_ends_.back()) + stored_size);
  return Status::ok();
}

Status RawImageSink::copy_run() {
  if (run_ends_.empty()) return Status::ok();
  // A copy that fails (a full disk) keeps the objects that fit whole: the
  // partial image still ends after a whole object.
  Status s = out_.append_copied_objects(source_fd_, run_start_, run_ends_, source_);
  run_ends_.clear();
  return s;
}

Status RawImageSink::commit() {
  VTAPE_RETURN_IF_ERROR(copy_run());
  VTAPE_RETURN_IF_ERROR(out_.sync());
  VTAPE_RETURN_IF_ERROR(out_.close());
  if (::rename(partial_.c_str(), out_path_.c_str()) != 0) {
    return Status::io_error(fmt::format("cannot rename {} to {}", partial_, out_path_), errno);
  }
  return Status::ok();
}

// --- StdoutSink ---

Status StdoutSink::record(std::span<const uint8_t> data, bool) {
  return write_all(STDOUT_FILENO, data, "standard output");
}

// --- TapeFileDirSink ---

TapeFileDirSink::TapeFileDirSink(const SafeTree& tree, OverwritePolicy policy, bool resume,
                                 const std::map<uint64_t, TapeFileRow>& cataloged, DirReport* report)
    : tree_(tree), policy_(policy), resume_(resume), cataloged_(cataloged), report_(report) {}

TapeFileDirSink::~TapeFileDirSink() {
  if (fd_ >= 0) ::close(fd_);
}

std::string TapeFileDirSink::name_for(uint64_t file) { return fmt::format("{:04}.dat", file); }

Status TapeFileDirSink::begin_file(uint64_t file) {
  name_ = name_for(file);
  uint64_t size = 0;
  if (tree_.exists(name_, &size)) {
    auto row = cataloged_.find(file);
    if (resume_ && row != cataloged_.end() && row->second.bytes == size) {
      ++report_->resumed;
      return Status::ok();
    }
    if (!resume_ && !may_overwrite(policy_, tree_.root() + "/" + name_)) {
      ++report_->skipped_existing;
      report_->existing.push_back(name_);
      return Status::ok();
    }
  }
  partial_path_ = tree_.root() + "/" + name_ + kPartialSuffix;
  return tree_.create_file(name_ + kPartialSuffix, &fd_);
}

Status TapeFileDirSink::record(std::span<const uint8_t> data, bool) {
  if (fd_ < 0) return Status::ok();
  return write_all(fd_, data, partial_path_);
}

Status TapeFileDirSink::end_file(uint64_t, bool) {
  if (fd_ < 0) return Status::ok();
  int fd = fd_;
  fd_ = -1;
  if (fdatasync(fd) != 0 || ::close(fd) != 0) {
    return Status::io_error(fmt::format("cannot write {}/{}", tree_.root(), name_), errno);
  }
  VTAPE_RETURN_IF_ERROR(tree_.rename(name_ + kPartialSuffix, name_));
  ++report_->written;
  return Status::ok();
}

}  // namespace vtape
