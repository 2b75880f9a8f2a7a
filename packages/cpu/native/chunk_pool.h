// Worker threads that share a loop by claiming its chunks, for the element-wise VM, reductions and rope.
//
// Unlike an OpenMP parallel region, the caller never waits for a worker that has not started: it runs every
// chunk no worker has claimed and then waits only for chunks in progress. On a machine where another process
// takes a core, a worker the OS has not scheduled yet delays nothing; it wakes, finds no chunk left, and goes
// back to waiting. (Measured with OpenMP regions: a W1 step on 2 threads ran at 0.48x its quiet speed under one
// competing process, slower than on 1 thread, from waits at the joins of its few hundred regions per step.)
// A claim is one compare-and-swap on (job generation << 32 | next chunk), so a worker holding a finished job
// can never claim a chunk of the next one. Each chunk runs on exactly one thread, so results do not change.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

class ChunkPool {
 public:
  ChunkPool() = default;
  ChunkPool(const ChunkPool&) = delete;
  ~ChunkPool() { stop(); }

  /**
   * Starts `workers` threads (stopping the previous ones); worker w first calls `onStart(w)` (to block signals,
   * record its thread id). Returns once every worker has.
   */
  void start(int workers, const std::function<void(int)>& onStart) {
    stop();
    quit_ = false;
    std::atomic<int> started{0};
    for (int w = 0; w < workers; w++) threads_.emplace_back([this, onStart, w, &started] { onStart(w); started.fetch_add(1); loop(); });
    while (started.load() < workers) std::this_thread::yield();
  }

  int workers() const { return (int)threads_.size(); }

  /**
   * Runs chunk(c) for every c < chunks, on this thread and the workers; returns when all have run. A call made
   * while another thread's call runs (the addon loaded in a worker thread too) runs its chunks on its own thread.
   */
  void run(int64_t chunks, const std::function<void(int64_t)>& chunk) {
    std::unique_lock<std::mutex> one(running_, std::try_to_lock);
    if (!one.owns_lock() || threads_.empty()) { for (int64_t c = 0; c < chunks; c++) chunk(c); return; }
    uint32_t g;
    {
      std::lock_guard<std::mutex> l(m_);
      g = ++gen_;
      job_ = { &chunk, chunks, g };
      done_.store(0, std::memory_order_relaxed);
      claim_.store((uint64_t)g << 32, std::memory_order_release);
      posted_.store(g, std::memory_order_release);
    }
    cv_.notify_all();
    work(job_);
    while (done_.load(std::memory_order_acquire) < chunks) spinPause();
  }

 private:
  struct Job { const std::function<void(int64_t)>* chunk = nullptr; int64_t chunks = 0; uint32_t gen = 0; };

  static void spinPause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
  }

  void work(const Job& j) {
    for (;;) {
      uint64_t v = claim_.load(std::memory_order_acquire);
      if ((uint32_t)(v >> 32) != j.gen || (int64_t)(v & 0xffffffffu) >= j.chunks) return;
      if (!claim_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) continue;
      (*j.chunk)((int64_t)(v & 0xffffffffu));
      done_.fetch_add(1, std::memory_order_release);
    }
  }

  void loop() {
    uint32_t seen = 0;
    for (;;) {
      // spin a little (the next job usually comes within microseconds), then sleep until one is posted
      for (int i = 0; i < 4000 && posted_.load(std::memory_order_acquire) == seen && !quit_.load(std::memory_order_relaxed); i++) spinPause();
      Job j;
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return posted_.load(std::memory_order_relaxed) != seen || quit_.load(std::memory_order_relaxed); });
        if (quit_) return;
        j = job_;
      }
      seen = j.gen;
      work(j);
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> l(m_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  std::vector<std::thread> threads_;
  std::mutex m_, running_;
  std::condition_variable cv_;
  Job job_;
  uint32_t gen_ = 0;
  std::atomic<uint32_t> posted_{0};
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<bool> quit_{false};
};
