#pragma once
// A fixed set of threads with a bounded queue, for blocking I/O (Postgres, Redis) that must
// never run on gRPC's callback threads. A full queue is refused at once (back-pressure),
// never waited on.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace stellenwerk::concurrency {

class WorkerPool {
 public:
  WorkerPool(std::string name, int threads, size_t max_queue);
  ~WorkerPool();  // drains queued work, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping.
  bool TrySubmit(std::function<void()> task);
  // Finishes queued tasks, refuses new ones, joins the threads.
  void Stop();

  size_t queued() const;
  int busy() const;

 private:
  void Loop();

  const std::string name_;
  const size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  int busy_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace stellenwerk::concurrency
