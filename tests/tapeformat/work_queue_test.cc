// WorkQueue: order, the bound on bytes in flight, reuse of handled items,
// and what a failed handler stops.
#include "tapeformat/base/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace vtape {
namespace {

using Bytes = std::vector<uint8_t>;
size_t size_of(const Bytes& b) { return b.size(); }

TEST(WorkQueue, HandlesEveryItemInOrder) {
  std::vector<int> seen;
  {
    WorkQueue<Bytes> q(
        1 << 20,
        [&](Bytes& b) {
          seen.push_back(b[0]);
          return true;
        },
        size_of);
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(q.push(Bytes(10, static_cast<uint8_t>(i))));
    ASSERT_TRUE(q.drain());
    ASSERT_EQ(seen.size(), 200u);
  }
  for (int i = 0; i < 200; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], static_cast<uint8_t>(i));
}

TEST(WorkQueue, ThePushWaitsWhileMoreThanTheBoundIsInFlight) {
  std::mutex gate;
  gate.lock();  // the worker blocks on its first item until the test opens the gate
  std::atomic<size_t> max_in_flight{0};
  std::atomic<size_t> in_flight{0};
  WorkQueue<Bytes> q(
      4096,
      [&](Bytes& b) {
        std::lock_guard g(gate);
        in_flight -= b.size();
        return true;
      },
      size_of);
  std::thread producer([&] {
    for (int i = 0; i < 64; ++i) {
      in_flight += 1024;
      max_in_flight = std::max(max_in_flight.load(), in_flight.load());
      q.push(Bytes(1024, 1));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // The worker is stuck: the producer got no further than the bound
  // (4 KiB queued, plus the item it is waiting to push).
  EXPECT_LE(in_flight.load(), 5u * 1024);
  gate.unlock();
  producer.join();
  EXPECT_TRUE(q.drain());
  EXPECT_EQ(in_flight.load(), 0u);
}

TEST(WorkQueue, OneItemLargerThanTheBoundStillGoesThrough) {
  size_t handled = 0;
  WorkQueue<Bytes> q(
      16,
      [&](Bytes& b) {
        handled += b.size();
        return true;
      },
      size_of);
  ASSERT_TRUE(q.push(Bytes(1 << 20, 0)));
  ASSERT_TRUE(q.drain());
  EXPECT_EQ(handled, 1u << 20);
}

TEST(WorkQueue, HandledItemsComeBackWithTheirBuffers) {
  WorkQueue<Bytes> q(1 << 20, [](Bytes&) { return true; }, size_of);
  Bytes b(64 << 10, 7);
  ASSERT_TRUE(q.push(std::move(b)));
  ASSERT_TRUE(q.drain());
  Bytes again = q.spare();
  EXPECT_GE(again.capacity(), size_t{64} << 10);
  EXPECT_TRUE(q.spare().empty());  // only one was handled
}

TEST(WorkQueue, AFailedItemStopsEverythingAfterIt) {
  std::vector<int> seen;
  WorkQueue<Bytes> q(
      1 << 20,
      [&](Bytes& b) {
        seen.push_back(b[0]);
        return b[0] != 5;
      },
      size_of);
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    refused = !q.push(Bytes(1, static_cast<uint8_t>(i)));
    if (i == 5) q.drain();  // the failure is seen by the next push at the latest
  }
  EXPECT_TRUE(refused);
  EXPECT_FALSE(q.drain());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 5);  // nothing was handled after the failed item
}

}  // namespace
}  // namespace vtape
