// CatalogRecorder: keeps the catalog true while a drive writes.  The drive
// tells it where writing starts and hands it every record as it passes; at
// each filemark (and when writing stops without one) the tape file is put
// into the catalog in one transaction.  Content is detected from the records
// as they stream through; only a write that starts in the middle of a tape
// file (tar -r) makes the recorder read that file's earlier records back.
// The records are analysed on a worker thread (BackgroundAnalyzer), which
// also puts the members in the catalog in batches as they are found
// (Catalog::stream_members: a row marked writing, on a volume marked
// write-pending), so that the commit at the end has only the last batch and
// the tape file's row left (a tar of a million members would otherwise
// wait seconds at close() for one big transaction).  Every commit waits for
// the worker, so the catalog is up to date and complete when a filemark,
// stop or erase returns.
#pragma once

#include <span>
#include <string>

#include "index/background_analyzer.h"
#include "index/catalog.h"
#include "tapeformat/tape_format.h"
#include "tapeformat/tape_object.h"

namespace vtape {

class CatalogRecorder {
 public:
  // Members stream into the catalog only while the image's file system has
  // this much room (see stream_batch).
  static constexpr uint64_t kStreamingNeedsFreeBytes = 256ull << 20;

  CatalogRecorder(Catalog& catalog, std::string volser, std::string image_path, Format format, int drive)
      : catalog_(catalog), volser_(std::move(volser)), image_path_(std::move(image_path)), format_(format),
        drive_(drive), analyzer_(catalog.digest_for_new_files()) {}

  bool active() const { return active_; }
  // Writing starts here (before the first record or filemark is written).
  void begin(const TapePosition& at);
  // The drive is about to change the image (a record, a filemark, an
  // erase): the volume is marked write-pending in the catalog first, once
  // until the next commit, so that a crash before that commit leaves a mark
  // the next mount sees.  An error means the catalog cannot follow the
  // tape; the drive fails the call rather than write what it cannot record.
  Status changing();
  void record(std::span<const uint8_t> data);
  // A filemark was written after the current file's records.  The image
  // must be synced first: a rescan reads it back.
  Status filemark_written(const TapePosition& after, uint64_t image_size);
  // Writing stopped without a filemark (the tape moved, was closed or
  // unloaded): records written so far form a file not closed cleanly.
  Status stop(uint64_t image_size);
  // MTERASE at `at`: the tape now ends there.
  Status erased(const TapePosition& at, uint64_t image_size);

 private:
  Status commit(bool closed, uint64_t image_size);
  Status record_file(bool closed, uint64_t image_size);
  // After a failed commit: the catalog is indexed anew from the whole image.
  Status reindex_volume(uint64_t image_size);
  // On the analyzer's worker: the next members of the file being written;
  // false when they are to wait for the end of the file.
  bool stream_batch(const std::vector<TapeMember>& members);

  Catalog& catalog_;
  std::string volser_;
  std::string image_path_;
  Format format_;
  int drive_;
  bool active_ = false;
  bool mid_file_ = false;      // writing began after some records of this file
  bool has_objects_ = false;   // anything written since begin()
  bool marked_pending_ = false;  // write_pending set since the last commit
  // A commit failed (a full disk, a damaged catalog), or the volume was
  // write-pending already when this recorder first marked it (such a
  // failure before the cartridge was last loaded): the tape files the
  // catalog missed are put in by the next commit, which indexes the whole
  // image again.
  bool behind_ = false;
  TapePosition start_;
  // Set by stream_batch on the worker, read after the worker is drained:
  // some members of the current file are in the catalog already, or a
  // batch could not be put in (the commit then indexes the image).
  bool streamed_ = false;
  bool stream_failed_ = false;
  BackgroundAnalyzer analyzer_;
};

}  // namespace vtape
