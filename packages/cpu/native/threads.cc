// The addon's threads: the chunk pool every parallel loop runs on, and where its workers are placed.
#include "common.h"

int g_threads = 1;

// ---- thread placement -----------------------------------------------------------------------------------
// While a multi-threaded call runs, the calling (JS main) thread is pinned to the CPU it is on and the pool's
// workers to the other allowed CPUs; afterwards the main thread gets its full CPU set back (so the process's
// other threads and the processes it spawns are unaffected). Unpinned, Linux was seen to wake the worker on
// the main thread's CPU and leave both there, which made 2-thread products 2-10x slower than 1-thread ones
// for seconds at a time. OMP_PROC_BIND / OMP_PLACES / GOMP_CPU_AFFINITY set by the user turn this off.
#include <sys/syscall.h>
#include <unistd.h>
static std::vector<pid_t> g_workers;   // OS thread ids of the chunk pool's workers, then of OpenMP's
ChunkPool g_pool;               // every parallel loop's threads (chunk_pool.h); oneDNN runs single-threaded
static cpu_set_t g_allowed;
static int g_ncpu = 0, g_pinnedFor = -1; // workers are pinned away from CPU g_pinnedFor
static bool g_pinning = false;

void recordWorkers() {
  g_pinning = std::getenv("OMP_PROC_BIND") == nullptr && std::getenv("OMP_PLACES") == nullptr && std::getenv("GOMP_CPU_AFFINITY") == nullptr
    && sched_getaffinity(0, sizeof g_allowed, &g_allowed) == 0 && CPU_COUNT(&g_allowed) >= 2 && g_threads >= 2;
  g_workers.assign(g_threads > 1 ? g_threads - 1 : 0, 0);
  g_pinnedFor = -1;
  if (g_pinning) g_ncpu = CPU_COUNT(&g_allowed);
  g_pool.start(g_threads - 1, [](int w) {
    g_workers[w] = (pid_t)syscall(SYS_gettid);
    const sigset_t s = asyncSignals(); pthread_sigmask(SIG_BLOCK, &s, nullptr);
    omp_set_num_threads(1); // oneDNN runs single-threaded inside a chunk
  });
  if (g_threads < 2) return;
  // oneDNN's own OpenMP team (large products): recorded after the pool's workers, pinned as they are
  g_workers.resize(2 * (g_threads - 1), 0);
  #pragma omp parallel num_threads(g_threads)
  {
    const int t = omp_get_thread_num();
    if (t > 0 && t < g_threads) g_workers[g_threads - 1 + t - 1] = (pid_t)syscall(SYS_gettid);
    if (t > 0) { const sigset_t s = asyncSignals(); pthread_sigmask(SIG_BLOCK, &s, nullptr); }
  }
}

Placement::Placement(int threads) {
  if (!g_pinning || threads < 2) return;
  const int cpu = sched_getcpu();
  if (cpu < 0) return;
  if (cpu != g_pinnedFor) {
    int others[CPU_SETSIZE], n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < g_ncpu; c++) if (CPU_ISSET(c, &g_allowed) && c != cpu) others[n++] = c;
    const size_t team = g_threads > 1 ? g_threads - 1 : 1; // the pool's workers, then OpenMP's: the same CPUs
    for (size_t w = 0; w < g_workers.size() && n > 0; w++) {
      if (!g_workers[w]) continue;
      cpu_set_t one; CPU_ZERO(&one); CPU_SET(others[(w % team) % n], &one);
      sched_setaffinity(g_workers[w], sizeof one, &one);
    }
    g_pinnedFor = cpu;
  }
  cpu_set_t me; CPU_ZERO(&me); CPU_SET(cpu, &me);
  active = sched_setaffinity(0, sizeof me, &me) == 0;
}

Placement::~Placement() { if (active) sched_setaffinity(0, sizeof g_allowed, &g_allowed); }

/** setThreads(n): the number of threads the parallel loops use (the caller and n - 1 pool workers). Returns the previous value. */
napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int64_t n = argc > 0 ? argInt(env, argv[0]) : 1;
  if (n < 1) n = 1;
  napi_value prev; CHECK(napi_create_int32(env, g_threads, &prev));
  g_threads = (int)n;
  recordWorkers();
  return prev;
}
