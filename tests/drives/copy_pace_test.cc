// CopyPace (library/copy_pace.h), the limit of vtape snapshot and vtape
// migrate --max-rate, on its own: it holds a copy back to the rate (lower
// bounds on the time, which no machine undercuts), lets nothing through
// faster after a short pause, does not save up a long pause, and wakes for
// a stop.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "library/copy_pace.h"
#include "tests/test_support.h"

namespace vtape::testing {
namespace {

using Clock = std::chrono::steady_clock;

TEST(CopyPace, HoldsACopyToTheRate) {
  CopyPace pace(4u << 20);  // 4 MiB a second
  auto start = Clock::now();
  for (int i = 0; i < 8; ++i) pace.after(256u << 10);  // 2 MiB
  EXPECT_GE(seconds_since(start), 0.45);
}

TEST(CopyPace, NoRateIsNoWait) {
  CopyPace pace;
  EXPECT_EQ(pace.rate(), 0u);
  auto start = Clock::now();
  for (int i = 0; i < 1000; ++i) pace.after(1u << 30);
  EXPECT_LT(seconds_since(start), 5.0);  // a terabyte "copied": it would be days at any rate
}

TEST(CopyPace, ALongPauseIsNotSavedUpForABurst) {
  CopyPace pace(1u << 20);
  pace.after(1);
  // As if the copy had paused 1.5 s: the average starts again, and the next
  // MiB takes its second instead of going through at once.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  pace.after(1);
  auto start = Clock::now();
  pace.after(1u << 20);
  EXPECT_GE(seconds_since(start), 0.9);
}

TEST(CopyPace, AStopWakesTheWait) {
  CopyPace pace(1);  // a byte a second: a MiB would take twelve days
  std::atomic<bool> stop{true};
  pace.after(1u << 20, &stop);  // returns; without the stop the test times out
  SUCCEED();
}

}  // namespace
}  // namespace vtape::testing
