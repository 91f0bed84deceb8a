#include "tools/member_extractor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "index/content_detector.h"
#include "tools/member_names.h"
#include "library/restore_plan.h"

namespace vtape {
MemberExtractor::MemberExtractor(std::vector<TapeMember> members, const SafeTree* tree, OverwritePolicy policy,
                                 bool resume, DirReport* report)
    : members_(std::move(members)), tree_(tree), policy_(policy), resume_(resume), report_(report) {
  for (auto& m : members_) m.path = normalized_member(m.path);
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].kind == "file") files_.push_back(i);
  }
  std::stable_sort(files_.begin(), files_.end(),
                   [&](size_t a, size_t b) { return members_[a].data_offset < members_[b].data_offset; });
}

MemberExtractor::~MemberExtractor() {
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) ::close(fd_);
}

bool MemberExtractor::allowed(const TapeMember& m) {
  std::string reason = unsafe_name_reason(m.path);
  if (reason.empty() && m.kind == "symlink") reason = escaping_link_reason(m.path, m.link_target);
  if (reason.empty() && m.kind == "hardlink") {
    std::string target_reason = unsafe_name_reason(normalized_member(m.link_target));
    if (!target_reason.empty()) reason = "a hard link to " + target_reason;
  }
  if (reason.empty()) return true;
  report_->refused.push_back(fmt::format("{}: {}", escape_member_name(m.path), reason));
  return false;
}

uint32_t MemberExtractor::restored_mode(const TapeMember& m) {
  // The owner is not restored (the files belong to whoever restores), so a
  // setuid or setgid bit would hand the archive's program that user's
  // rights: dropped, as GNU tar does without --same-owner.
  if ((m.mode & (S_ISUID | S_ISGID)) == 0) return m.mode;
  report_->notes.push_back(
      fmt::format("{}: setuid/setgid bit dropped: owner not restored", escape_member_name(m.path)));
  return m.mode & ~static_cast<uint32_t>(S_ISUID | S_ISGID);
}

Status MemberExtractor::start_member(size_t i) {
  const TapeMember& m = members_[files_[i]];
  open_ = i;
  written_of_open_ = 0;
  skipping_ = false;
  open_path_ = tree_ ? tree_->root() + "/" + m.path : "standard output";  // for error messages
  if (!tree_) {
    fd_ = STDOUT_FILENO;
    return Status::ok();
  }
  if (!allowed(m)) {
    skipping_ = true;
    return Status::ok();
  }
  uint64_t size = 0;
  if (!written_names_.count(m.path) && tree_->exists(m.path, &size)) {
    if (resume_ && size == m.size) {
      ++report_->resumed;
      skipping_ = true;
      return Status::ok();
    }
    if (!resume_ && !may_overwrite(policy_, tree_->root() + "/" + m.path)) {
      ++report_->skipped_existing;
      report_->existing.push_back(escape_member_name(m.path));
      skipping_ = true;
      return Status::ok();
    }
  }
  Status s = tree_->create_file(m.path + kPartialSuffix, &fd_);
  if (!s.is_ok() && s.code() == StatusCode::kInvalidArgument) {
    // A symbolic link or a file on the way: refuse this one, go on.
    report_->refused.push_back(fmt::format("{}: {}", escape_member_name(m.path), s.message()));
    skipping_ = true;
    return Status::ok();
  }
  return s;
}

Status MemberExtractor::finish_member(size_t i) {
  const TapeMember& m = members_[files_[i]];
  open_.reset();
  if (skipping_ || !tree_) return Status::ok();
  int fd = fd_;
  fd_ = -1;
  // Mode and time on the descriptor written to, never through a name.
  Status s = SafeTree::set_file_attributes(fd, restored_mode(m), m.mtime, open_path_);
  if (::close(fd) != 0 && s.is_ok()) s = Status::io_error(fmt::format("cannot write {}/{}", tree_->root(), m.path), errno);
  VTAPE_RETURN_IF_ERROR(s);
  VTAPE_RETURN_IF_ERROR(tree_->rename(m.path + kPartialSuffix, m.path));
  written_names_.insert(m.path);
  ++report_->written;
  return Status::ok();
}

Status MemberExtractor::record(std::span<const uint8_t> data, bool) {
  if (first_record_) {
    first_record_ = false;
    auto detector = find_content_detector(data);
    if (detector && !detector->compression.empty()) {
      decompressor_ = std::make_unique<StreamDecompressor>(*find_compression(detector->compression));
    }
  }
  if (!decompressor_) return content(data);
  if (decompressor_->damage()) return Status::ok();  // end_file() says what it cost
  decompressor_->feed(data, [this](std::span<const uint8_t> bytes) {
    content_status_ = content(bytes);
    // Nothing to decompress for once every selected file is written.
    return content_status_.is_ok() && (open_ || next_ < files_.size());
  });
  return content_status_;
}

Status MemberExtractor::content(std::span<const uint8_t> data) {
  const uint64_t begin = stream_offset_;
  const uint64_t end = begin + data.size();
  for (;;) {
    if (!open_) {
      if (next_ >= files_.size()) break;
      const TapeMember& m = members_[files_[next_]];
      // Start a member once its data begins in this record (an empty one
      // as soon as the stream reaches it).
      if (m.data_offset > end || (m.data_offset == end && m.size > 0)) break;
      VTAPE_RETURN_IF_ERROR(start_member(next_++));
    }
    const TapeMember& m = members_[files_[*open_]];
    uint64_t from = std::max(m.data_offset + written_of_open_, begin);
    uint64_t to = std::min(m.data_offset + m.size, end);
    if (from < to) {
      if (!skipping_) VTAPE_RETURN_IF_ERROR(write_all(fd_, data.subspan(from - begin, to - from), open_path_));
      written_of_open_ += to - from;
    }
    if (written_of_open_ < m.size) break;  // its data goes on in the next record
    VTAPE_RETURN_IF_ERROR(finish_member(*open_));
  }
  stream_offset_ = end;
  return Status::ok();
}

Status MemberExtractor::end_file(uint64_t, bool) {
  if (decompressor_ && (open_ || next_ < files_.size())) decompressor_->finish();
  // Members whose data the tape file does not hold in full.
  for (size_t i = open_.value_or(next_); i < files_.size(); ++i) {
    const TapeMember& m = members_[files_[i]];
    uint64_t have = stream_offset_ > m.data_offset ? stream_offset_ - m.data_offset : 0;
    if (decompressor_ && decompressor_->damage()) {
      report_->refused.push_back(fmt::format("{}: {} bytes of its {} bytes of data, then {}",
                                             escape_member_name(m.path), have, m.size, *decompressor_->damage()));
    } else {
      report_->refused.push_back(fmt::format("{}: the tape file ends {} bytes into its {} bytes of data",
                                             escape_member_name(m.path), have, m.size));
    }
    if (open_ && i == *open_ && !skipping_ && tree_) {
      ::close(fd_);
      fd_ = -1;
      (void)tree_->remove(m.path + kPartialSuffix);
    }
  }
  open_.reset();
  next_ = files_.size();
  if (!tree_) return Status::ok();
  return make_links_and_directories();
}

bool MemberExtractor::remove_if_escaping(const TapeMember& m) {
  std::string reason = tree_->link_escape_reason(m.path);
  if (reason.empty()) return true;
  Status removed = tree_->remove(m.path);
  report_->refused.push_back(fmt::format("{}: {}{}", escape_member_name(m.path), reason,
                                         removed.is_ok() ? "; removed" : "; cannot remove it: " + removed.message()));
  written_names_.erase(m.path);
  return false;
}

Status MemberExtractor::make_links_and_directories() {
  std::vector<const TapeMember*> directories;
  std::vector<const TapeMember*> links;  // made by this run
  for (const TapeMember& m : members_) {
    if (m.kind == "file") continue;
    if (m.kind == "directory" && (m.path.empty() || m.path == ".")) continue;  // "./": the target itself
    if (m.kind != "directory" && m.kind != "symlink" && m.kind != "hardlink") {
      if (m.kind == "other") {
        report_->refused.push_back(fmt::format("{}: a device, FIFO or socket is not restored",
                                               escape_member_name(m.path)));
      }
      continue;
    }
    if (!allowed(m)) continue;
    if (m.kind == "directory") {
      Status s = tree_->make_directory(m.path, 0700);
      if (!s.is_ok()) {
        report_->refused.push_back(fmt::format("{}: {}", escape_member_name(m.path), s.message()));
        continue;
      }
      directories.push_back(&m);
      continue;
    }
    if (!written_names_.count(m.path) && tree_->exists(m.path)) {
      if (resume_ || !may_overwrite(policy_, tree_->root() + "/" + m.path)) {
        ++report_->skipped_existing;
        report_->existing.push_back(escape_member_name(m.path));
        continue;
      }
      VTAPE_RETURN_IF_ERROR(tree_->remove(m.path));
    }
    Status s = m.kind == "symlink" ? tree_->make_symlink(m.path, m.link_target)
                                   : tree_->make_hardlink(m.path, normalized_member(m.link_target));
    if (s.is_ok() && m.kind == "symlink") s = tree_->set_symlink_time(m.path, m.mtime);
    if (!s.is_ok()) {
      report_->refused.push_back(fmt::format("{}: {}", escape_member_name(m.path), s.message()));
      continue;
    }
    // The name check above is lexical; what the link leads to depends on
    // the links already on disk (x/l1 -> .. makes x/l1/.. the parent of
    // the top).  A link that leads outside is not left in the tree.
    if (!remove_if_escaping(m)) continue;
    written_names_.insert(m.path);
    links.push_back(&m);
    ++report_->written;
  }
  // A link made earlier may lead outside through a link made after it.
  for (const TapeMember* m : links) {
    if (!remove_if_escaping(*m)) --report_->written;
  }
  // Deepest first, so setting a directory's time is not undone by making
  // its subdirectories, and a read-only directory is filled before.
  std::stable_sort(directories.begin(), directories.end(), [](const TapeMember* a, const TapeMember* b) {
    return std::count(a->path.begin(), a->path.end(), '/') > std::count(b->path.begin(), b->path.end(), '/');
  });
  for (const TapeMember* d : directories) {
    Status s = tree_->set_directory_attributes(d->path, restored_mode(*d), d->mtime);
    if (!s.is_ok()) {
      // Replaced by a later member (a link of the same name): not followed.
      report_->refused.push_back(fmt::format("{}: {}", escape_member_name(d->path), s.message()));
      continue;
    }
    ++report_->written;
  }
  return Status::ok();
}

}  // namespace vtape
