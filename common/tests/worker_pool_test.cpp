#include "common/concurrency/worker_pool.h"

#include <atomic>
#include <future>

#include "gtest/gtest.h"

namespace stellenwerk::concurrency {
namespace {

TEST(WorkerPoolTest, RunsEverySubmittedTask) {
  std::atomic<int> done{0};
  {
    WorkerPool pool("test", 4, 1000);
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ++done; }));
  }  // the destructor drains the queue
  EXPECT_EQ(done.load(), 500);
}

TEST(WorkerPoolTest, RefusesWorkBeyondTheBoundInsteadOfQueueingForever) {
  WorkerPool pool("test", 1, 2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the only worker is now busy
  EXPECT_TRUE(pool.TrySubmit([gate] { gate.wait(); }));
  EXPECT_TRUE(pool.TrySubmit([gate] { gate.wait(); }));
  EXPECT_FALSE(pool.TrySubmit([] {}));  // queue of 2 is full
  release.set_value();
}

TEST(WorkerPoolTest, RefusesWorkAfterStop) {
  WorkerPool pool("test", 2, 10);
  pool.Stop();
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

}  // namespace
}  // namespace stellenwerk::concurrency
