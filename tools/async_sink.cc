#include "tools/async_sink.h"

#include <cstring>

namespace vtape {

AsyncSink::AsyncSink(RecordSink& target, size_t max_bytes)
    : target_(target),
      queue_(
          max_bytes, [this](Item& item) { return handle(item); },
          [](const Item& item) { return item.data.size(); }, /*max_spares=*/64) {}

AsyncSink::~AsyncSink() { (void)finish(); }

Status AsyncSink::push(Item item) {
  // A failed push means the worker stored the target's error before the
  // queue failed: reading it now is ordered after that.
  return queue_.push(std::move(item)) ? Status::ok() : error_;
}

bool AsyncSink::handle(Item& item) {
  switch (item.kind) {
    case Kind::kBeginFile: error_ = target_.begin_file(item.a); break;
    case Kind::kRecord: error_ = target_.record(item.data, item.flag); break;
    case Kind::kFilemark: error_ = target_.filemark(); break;
    case Kind::kEndFile: error_ = target_.end_file(item.a, item.b != 0); break;
  }
  return error_.is_ok();
}

Status AsyncSink::begin_file(uint64_t file) { return push({Kind::kBeginFile, file, 0, false, {}}); }

Status AsyncSink::record(std::span<const uint8_t> data, bool error_flag) {
  // A handled item's buffer, reused for this record.
  Item item = queue_.spare();
  item.kind = Kind::kRecord;
  item.flag = error_flag;
  item.data.resize(data.size());
  if (!data.empty()) std::memcpy(item.data.data(), data.data(), data.size());
  return push(std::move(item));
}

Status AsyncSink::filemark() { return push({Kind::kFilemark, 0, 0, false, {}}); }

Status AsyncSink::end_file(uint64_t file, bool damaged) { return push({Kind::kEndFile, file, damaged, false, {}}); }

Status AsyncSink::finish() { return queue_.drain() ? Status::ok() : error_; }

}  // namespace vtape
