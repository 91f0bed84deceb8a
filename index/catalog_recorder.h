// CatalogRecorder: keeps the catalog true while a drive writes.  The drive
// tells it where writing starts and hands it every record as it passes; at
// each filemark (and when writing stops without one) the tape file is put
// into the catalog in one transaction.  Content is detected from the records
// as they stream through; only a write that starts in the middle of a tape
// file (tar -r) makes the recorder read that file's earlier records back.
// The records are analysed on a worker thread (BackgroundAnalyzer), which
// hands the members over in batches as they are found to a second worker,
// the catalog writer, that puts them in the catalog
// (Catalog::stream_members: a row marked writing, on a volume marked
// write-pending), so that the commit at the end has only the last batch and
// the tape file's row left (a tar of a million members would otherwise
// wait seconds at close() for one big transaction).  The writer has a
// thread of its own so that the analysis never waits for SQLite (while it
// did, the analyzer's pool of chunks filled and the drive's write() waited
// for the inserts); its queue is bounded (kWriterQueueMembers).  Every
// commit waits for both workers, so the catalog is up to date and complete
// when a filemark, stop or erase returns.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "index/background_analyzer.h"
#include "index/catalog.h"
#include "tapeformat/base/work_queue.h"
#include "tapeformat/tape_format.h"
#include "tapeformat/tape_object.h"

namespace vtape {

class CatalogRecorder {
 public:
  // Members stream into the catalog only while the image's file system has
  // this much room (see stream_batch).
  static constexpr uint64_t kStreamingNeedsFreeBytes = 256ull << 20;
  // Members handed to the catalog writer and not yet in the catalog, at
  // most (the analyzer waits beyond: memory stays bounded).
  static constexpr size_t kWriterQueueMembers = 4 * BackgroundAnalyzer::kBatchMembers;

  CatalogRecorder(Catalog& catalog, std::string volser, std::string image_path, Format format, int drive)
      : catalog_(catalog), volser_(std::move(volser)), image_path_(std::move(image_path)), format_(format),
        drive_(drive),
        writer_(
            kWriterQueueMembers, [this](MemberBatch& batch) { return write_batch(batch); },
            [](const MemberBatch& batch) { return batch.members.size(); }),
        analyzer_(catalog.digest_for_new_files()) {}

  ~CatalogRecorder() { writer_yield_ = true; }  // the catalog's connection catches the names up
  bool active() const { return active_; }
  // The volume's image moved (vtape migrate switched the drive to a copy):
  // what is read back from now on is read there, and the tape file being
  // written (begun in the old image, perhaps in another format) begins
  // where `file_offsets` (file number -> byte offset in the new image)
  // says.  Without its offset there, the next commit indexes the new image.
  void moved_to(std::string image_path, Format format, const std::map<uint64_t, uint64_t>& file_offsets);
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
  // A batch of members for the catalog writer, or (catch_up_names) the
  // order to catch the catalog's trigram index up with the names committed
  // (Catalog::catch_up_name_index), queued after each commit and each
  // begin() so that neither the drive's close() nor the streaming of the
  // members waits for it: the writer does it in chunks while it has nothing
  // else to do, and stops after the current chunk when a batch of members
  // waits (batches_waiting_) or the writer is drained (writer_yield_); the
  // next commit or begin() queues it again, and the catalog's connection
  // finishes it when it closes.
  struct MemberBatch {
    TapeFileRow row;  // what is known of the file before its end: where it is
    bool first = false;  // the file's first batch: its row goes in with it
    bool catch_up_names = false;
    std::vector<TapeMember> members;
  };
  // The names the catalog writer indexes in one transaction: a drain
  // waits for one such chunk at most (a few milliseconds).
  static constexpr uint64_t kNameIndexChunk = 4096;

  // On the analyzer's worker: hands the next members of the file being
  // written to the catalog writer (taking them); false when they are to
  // wait for the end of the file.
  bool stream_batch(std::vector<TapeMember>& members);
  // On the catalog writer's thread: puts a batch in the catalog.
  bool write_batch(MemberBatch& batch);
  // Waits for both workers; the analysis of the records since begin().
  TapeFileAnalysis finish_analysis();
  // Waits for the catalog writer, cutting a catch-up of the names short.
  void drain_writer();
  // Queues the catch-up of the names (MemberBatch).
  void queue_name_catch_up();

  Catalog& catalog_;
  std::string volser_;
  // image_path_ and start_ are read by stream_batch on the analyzer's
  // worker while moved_to() may change them (a migration's switch): under
  // moved_mu_ there, and wherever they change.
  std::mutex moved_mu_;
  std::string image_path_;  // changed by moved_to()
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
  // streamed_: set by stream_batch on the analyzer's worker, read after it
  // is drained: some members of the current file went to the catalog
  // writer.  stream_failed_: set by the writer: a batch could not be put in
  // (the commit then indexes the image).
  bool streamed_ = false;
  std::atomic<bool> stream_failed_ = false;
  std::atomic<bool> writer_yield_ = false;  // see MemberBatch
  std::atomic<int> batches_waiting_ = 0;     // pushed by stream_batch, not yet written
  // Declared before the analyzer, whose worker pushes to it: destroyed after.
  WorkQueue<MemberBatch> writer_;
  BackgroundAnalyzer analyzer_;
};

}  // namespace vtape
