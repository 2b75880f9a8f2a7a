// The native kernels of @safekey-ts/cpu: a small N-API addon over oneDNN (Debian's libdnnl, OpenMP runtime).
// Plain node_api.h, no C++ wrapper library. Every function is synchronous and works on the memory of the
// typed arrays it is given (no copies).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <node_api.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <cstdlib>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, nullptr, #call " failed"); return nullptr; } } while (0)

static bool argF32(napi_env env, napi_value v, float** data, size_t* len) {
  napi_typedarray_type t; size_t n; void* p; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &p, &ab, &off) != napi_ok || t != napi_float32_array) return false;
  *data = static_cast<float*>(p); *len = n; return true;
}
static bool argI32(napi_env env, napi_value v, int32_t** data, size_t* len) {
  napi_typedarray_type t; size_t n; void* p; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &p, &ab, &off) != napi_ok || t != napi_int32_array) return false;
  *data = static_cast<int32_t*>(p); *len = n; return true;
}
static int64_t argInt(napi_env env, napi_value v) { int64_t x = 0; napi_get_value_int64(env, v, &x); return x; }
static bool argBool(napi_env env, napi_value v) { bool b = false; napi_get_value_bool(env, v, &b); return b; }

static int g_threads = 1;

#include <initializer_list>
#include <signal.h>
#include <pthread.h>
// ---- signals during oneDNN's products ------------------------------------------------------------------
// A signal handled while Debian's oneDNN 2.6 runs an AVX-512 sgemm kernel corrupts the process's memory
// (measured: a C program calling dnnl_sgemm under a 10 kHz SIGPROF timer aborts with heap corruption every
// run; with ONEDNN_MAX_CPU_ISA=AVX2, or with the signal blocked during the call, it never did). Node's
// --cpu-prof sends such signals. So asynchronous signals are held back while a product runs (they are
// delivered when it returns), and the chunk pool's worker threads, which run nothing else, block them for good.
static sigset_t asyncSignals() {
  sigset_t s; sigfillset(&s);
  for (int sig : { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS }) sigdelset(&s, sig);
  return s;
}
struct SignalsHeld {
  sigset_t old;
  SignalsHeld() { const sigset_t s = asyncSignals(); pthread_sigmask(SIG_BLOCK, &s, &old); }
  ~SignalsHeld() { pthread_sigmask(SIG_SETMASK, &old, nullptr); }
};

// ---- thread placement -----------------------------------------------------------------------------------
// While a multi-threaded call runs, the calling (JS main) thread is pinned to the CPU it is on and the pool's
// workers to the other allowed CPUs; afterwards the main thread gets its full CPU set back (so the process's
// other threads and the processes it spawns are unaffected). Unpinned, Linux was seen to wake the worker on
// the main thread's CPU and leave both there, which made 2-thread products 2-10x slower than 1-thread ones
// for seconds at a time. OMP_PROC_BIND / OMP_PLACES / GOMP_CPU_AFFINITY set by the user turn this off.
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>
#include <algorithm>
#include "chunk_pool.h"
static std::vector<pid_t> g_workers;   // OS thread ids of the chunk pool's workers, then of OpenMP's
static ChunkPool g_pool;               // every parallel loop's threads (chunk_pool.h); oneDNN runs single-threaded
static cpu_set_t g_allowed;
static int g_ncpu = 0, g_pinnedFor = -1; // workers are pinned away from CPU g_pinnedFor
static bool g_pinning = false;

static void recordWorkers() {
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

struct Placement {
  bool active = false;
  explicit Placement(int threads) {
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
  ~Placement() { if (active) sched_setaffinity(0, sizeof g_allowed, &g_allowed); }
};

// ---- work sharing --------------------------------------------------------------------------------------
// A loop is cut into about 8 chunks per thread, which the chunk pool's threads and the caller claim as they
// come free (chunk_pool.h says why not an OpenMP region). Each item is done by exactly one thread, in the same
// order within it, so results do not change.
template <typename F> static void forChunks(int threads, int64_t total, int64_t grain, F&& fn) {
  const int64_t units = (total + grain - 1) / grain, chunks = std::min<int64_t>(units, (int64_t)threads * 8);
  if (threads < 2 || chunks < 2) { fn((int64_t)0, total); return; }
  Placement place(threads);
  g_pool.run(chunks, [&](int64_t c) { fn(std::min(total, units * c / chunks * grain), std::min(total, units * (c + 1) / chunks * grain)); });
}

/**
 * Runs chunk(c) for every c < chunks on the pool (inline with one thread); oneDNN runs single-threaded inside
 * each (every thread's OpenMP count is 1), so a thread slowed by another process takes fewer chunks instead of
 * holding up a join inside oneDNN.
 */
template <typename F> static void runWithSerialDnnl(int64_t chunks, F&& chunk) {
  if (g_threads < 2 || g_pool.workers() == 0) { for (int64_t c = 0; c < chunks; c++) chunk(c); return; }
  Placement place(g_threads);
  g_pool.run(chunks, chunk);
}

/**
 * sgemm(transA, transB, m, n, k, A, B, C, aOffsets, bOffsets): for each t < aOffsets.length,
 * C[t*m*n ..] = op(A at aOffsets[t]) x op(B at bOffsets[t]), row-major, float32 accumulation.
 * Row blocks of the products are shared out by the chunk pool, each a single-threaded oneDNN call.
 */
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 10; napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 10) { napi_throw_type_error(env, nullptr, "sgemm: 10 arguments expected"); return nullptr; }
  const bool ta = argBool(env, argv[0]), tb = argBool(env, argv[1]);
  const int64_t m = argInt(env, argv[2]), n = argInt(env, argv[3]), k = argInt(env, argv[4]);
  float *A, *B, *C; int32_t *ao, *bo; size_t na, nb, nc, nbatch, nbatch2;
  if (!argF32(env, argv[5], &A, &na) || !argF32(env, argv[6], &B, &nb) || !argF32(env, argv[7], &C, &nc)
      || !argI32(env, argv[8], &ao, &nbatch) || !argI32(env, argv[9], &bo, &nbatch2) || nbatch != nbatch2) {
    napi_throw_type_error(env, nullptr, "sgemm: bad arguments"); return nullptr;
  }
  const int64_t batch = (int64_t)nbatch;
  if ((uint64_t)(batch * m * n) > nc) { napi_throw_range_error(env, nullptr, "sgemm: output too small"); return nullptr; }
  for (int64_t t = 0; t < batch; t++)
    if (ao[t] < 0 || (uint64_t)(ao[t] + m * k) > na || bo[t] < 0 || (uint64_t)(bo[t] + k * n) > nb) {
      napi_throw_range_error(env, nullptr, "sgemm: operand offset out of range"); return nullptr;
    }
  if (m == 0 || n == 0) return nullptr;
  if (k == 0) { std::memset(C, 0, sizeof(float) * batch * m * n); return nullptr; }
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  const char cta = ta ? 'T' : 'N', ctb = tb ? 'T' : 'N';
  const double flops = 2.0 * m * n * k * batch;
  SignalsHeld held;
  std::atomic<int> status{dnnl_success};
  // rows [i0, i1) of product t: op(A)'s rows i0.. start at column i0 of a transposed A, at row i0 otherwise
  auto rows = [&](int64_t t, int64_t i0, int64_t i1) {
    const dnnl_status_t s = dnnl_sgemm(cta, ctb, i1 - i0, n, k, 1.0f, A + ao[t] + (ta ? i0 : i0 * lda), lda, B + bo[t], ldb, 0.0f, C + t * m * n + i0 * n, n);
    if (s != dnnl_success) status = s;
  };
  if (flops < 1e6 || g_threads < 2) {
    for (int64_t t = 0; t < batch; t++) rows(t, 0, m);
  } else if (batch == 1 && flops >= 1e9) {
    // one large product: oneDNN's own threads pack B once for all of them (row blocks each pack it again:
    // N=1024 squares 12% slower that way)
    Placement place(g_threads);
    omp_set_num_threads(g_threads);
    rows(0, 0, m);
    omp_set_num_threads(1);
  } else {
    // the products' row blocks (about 2 per thread, at least 32 rows each) are the chunks: each block packs B
    // again, so more blocks cost more than they balance (4 per thread: N=1024 products 12% slower)
    const int64_t perProduct = std::max<int64_t>(1, std::min<int64_t>((m + 31) / 32, (2 * g_threads + batch - 1) / batch));
    runWithSerialDnnl(batch * perProduct, [&](int64_t c) {
      const int64_t t = c / perProduct, b = c % perProduct;
      rows(t, m * b / perProduct, m * (b + 1) / perProduct);
    });
  }
  if (status != dnnl_success) { napi_throw_error(env, nullptr, "sgemm: dnnl_sgemm failed"); return nullptr; }
  return nullptr;
}


// ---------------------------------------------------------------------------------------------------------
// Element-wise VM: a fused kernel compiled (in src/native-ewise.ts) to register instructions, evaluated in
// blocks of the innermost dim. Every value is a double and every node is rounded to its dtype as the JS
// loops round it (float32: (float), int32: ToInt32, bool: 0/1), so + - * / sqrt, comparisons, casts and
// selects are bit-identical to the reference backend; exp/log/sin/cos/tanh/pow use glibc's double functions
// where V8 uses its fdlibm port, which can differ in the last bit of the double before float32 rounding.
#include <cmath>
#include <vector>

#include "vm_ops.h"  // enum Op, generated from src/vm-ops.ts by scripts/build.mjs
enum Round { R_NONE = 0, R_F32, R_I32, R_BOOL };
enum Kind { K_F32 = 0, K_F64, K_I32, K_U8 };

static inline double toInt32(double x) {
  if (x >= -2147483648.0 && x <= 2147483647.0) return (double)(int32_t)x;
  if (!std::isfinite(x)) return 0;
  double t = std::trunc(x), m = std::fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  if (m >= 2147483648.0) m -= 4294967296.0;
  return m;
}
static inline double jsMax(double a, double b) {
  if (a != a || b != b) return NAN;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
static inline double jsMin(double a, double b) {
  if (a != a || b != b) return NAN;
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline double jsPow(double a, double b) {
  if (b != b) return NAN;
  if (b == 0) return 1;
  if ((a == 1 || a == -1) && std::isinf(b)) return NAN;
  return std::pow(a, b);
}
/**
 * exp in double, written so GCC vectorises it (no calls, no branches but selects): Cody-Waite reduction
 * x = k ln2 + r, |r| <= ln2/2, a degree-13 Taylor polynomial (truncation < 1e-17), and 2^k applied as two
 * exact power-of-two factors so that overflow, underflow and subnormal results round once. Error ~1 ulp of
 * double, far below float32's half ulp: float32 results match the reference's Math.exp except when the exact
 * value lies within ~1e-16 of a float32 rounding boundary (measured: 0 differences in 4M inputs).
 */
__attribute__((optimize("no-trapping-math"), target("prefer-vector-width=512"))) static inline double expd(double x) {
  const double LOG2E = 1.4426950408889634, LN2_HI = 0.6931471803691238, LN2_LO = 1.9082149292705877e-10;
  double xc = x > 710.0 ? 710.0 : x < -746.0 ? -746.0 : x == x ? x : 0.0;
  const double SHIFT = 6755399441055744.0; // 1.5 * 2^52: adding it rounds to an integer, held in the low bits
  double v = xc * LOG2E + SHIFT, k = v - SHIFT;
  int64_t ki; std::memcpy(&ki, &v, 8); ki -= 0x4338000000000000LL;
  double r = (xc - k * LN2_HI) - k * LN2_LO;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0; p = p * r + 1.0 / 39916800.0; p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0; p = p * r + 1.0 / 40320.0; p = p * r + 1.0 / 5040.0; p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0; p = p * r + 1.0 / 24.0; p = p * r + 1.0 / 6.0; p = p * r + 0.5; p = p * r + 1.0; p = p * r + 1.0;
  int64_t k1 = ki >> 1, k2 = ki - k1;
  double s1, s2;
  int64_t b1 = (k1 + 1023) << 52, b2 = (k2 + 1023) << 52;
  std::memcpy(&s1, &b1, 8); std::memcpy(&s2, &b2, 8);
  double y = p * s1 * s2;
  return x != x ? x : y;
}

// Only this loop is compiled with -fno-trapping-math (which lets GCC vectorise expd's selects): globally it
// would also let GCC turn (double)(int32_t)x into trunc(x), which keeps -0 where ToInt32 gives +0.
template <typename T>
__attribute__((optimize("no-trapping-math"), target("prefer-vector-width=512"))) static void expLoop(const T* a, T* r, int64_t n) {
  for (int64_t i = 0; i < n; i++) r[i] = (T)expd((double)a[i]);
}

static inline double jsSign(double a) { return a > 0 ? 1.0 : a < 0 ? -1.0 : a; }

struct Arr { void* p; int kind; };

static bool arrArg(napi_env env, napi_value v, Arr* a, size_t* len) {
  napi_typedarray_type t; size_t n; void* p; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &p, &ab, &off) != napi_ok) return false;
  switch (t) {
    case napi_float32_array: a->kind = K_F32; break;
    case napi_float64_array: a->kind = K_F64; break;
    case napi_int32_array: a->kind = K_I32; break;
    case napi_uint8_array: a->kind = K_U8; break;
    default: return false;
  }
  a->p = p; if (len) *len = n; return true;
}

template <typename T>
static inline void loadBlock(const Arr& a, int64_t off, int64_t st, int64_t n, T* r) {
  switch (a.kind) {
    case K_F32: { const float* p = (const float*)a.p + off;
      if (st == 1) for (int64_t i = 0; i < n; i++) r[i] = p[i];
      else if (st == 0) { T v = p[0]; for (int64_t i = 0; i < n; i++) r[i] = v; }
      else for (int64_t i = 0; i < n; i++) r[i] = p[i * st];
      break; }
    case K_F64: { const double* p = (const double*)a.p + off;
      if (st == 1) for (int64_t i = 0; i < n; i++) r[i] = p[i];
      else for (int64_t i = 0; i < n; i++) r[i] = p[i * st];
      break; }
    case K_I32: { const int32_t* p = (const int32_t*)a.p + off;
      if (st == 1) for (int64_t i = 0; i < n; i++) r[i] = p[i];
      else for (int64_t i = 0; i < n; i++) r[i] = p[i * st];
      break; }
    case K_U8: { const uint8_t* p = (const uint8_t*)a.p + off;
      for (int64_t i = 0; i < n; i++) r[i] = p[i * st];
      break; }
  }
}

template <typename T>
static inline void storeBlock(const Arr& a, int64_t off, int64_t st, int64_t n, const T* r) {
  switch (a.kind) {
    case K_F32: { float* p = (float*)a.p + off;
      if (st == 1) for (int64_t i = 0; i < n; i++) p[i] = (float)r[i];
      else for (int64_t i = 0; i < n; i++) p[i * st] = (float)r[i];
      break; }
    case K_F64: { double* p = (double*)a.p + off; for (int64_t i = 0; i < n; i++) p[i * st] = r[i]; break; }
    case K_I32: { int32_t* p = (int32_t*)a.p + off; for (int64_t i = 0; i < n; i++) p[i * st] = (int32_t)toInt32((double)r[i]); break; }
    case K_U8: { uint8_t* p = (uint8_t*)a.p + off;
      if (sizeof(T) == 4) for (int64_t i = 0; i < n; i++) p[i * st] = r[i] != 0; // float mode stores bools only
      else for (int64_t i = 0; i < n; i++) p[i * st] = (uint8_t)((int32_t)toInt32((double)r[i]) & 255);
      break; }
  }
}

static inline void roundBlock(int rc, float*, int64_t) { (void)rc; } // float mode: every value is a float32 already
static inline void roundBlock(int rc, double* r, int64_t n) {
  if (rc == R_F32) for (int64_t i = 0; i < n; i++) r[i] = (double)(float)r[i];
  else if (rc == R_I32) for (int64_t i = 0; i < n; i++) r[i] = toInt32(r[i]);
  else if (rc == R_BOOL) for (int64_t i = 0; i < n; i++) r[i] = r[i] != 0 ? 1.0 : 0.0;
}

static const int64_t BLOCK = 256;
static const int INSN = 6;

struct EwJob {
  const int32_t* prog; int nInsn; const double* consts; int nregs; int result;
  const int32_t* shape; int rank; Arr out; int64_t outOff; const int32_t* outSt;
  std::vector<Arr> ins; const int32_t* inOffs; const int32_t* inSt;
  int reduce = 0; // 1 sum, 2 max: `out` is a float64 accumulator each value folds into (outSt 0 where reduced)
};

static inline float jsMaxT(float a, float b) { return (float)jsMax(a, b); }
static inline double jsMaxT(double a, double b) { return jsMax(a, b); }
static inline float jsMinT(float a, float b) { return (float)jsMin(a, b); }
static inline double jsMinT(double a, double b) { return jsMin(a, b); }

template <typename T> static inline bool sameKind(int kind) { return sizeof(T) == 4 ? kind == K_F32 : kind == K_F64; }

/**
 * T = double: every op in double, then rounded to its node's dtype. T = float ("float mode", chosen by the
 * compiler when every node is float32 or bool and every op is exact in float: + - * / sqrt, 1/x, neg, abs,
 * sign, max, min, comparisons, where, casts between float32 and bool): IEEE float arithmetic gives the same
 * bits as the rounded double, with twice the SIMD width and no rounding pass.
 */
template <typename T>
static void ewRows(const EwJob& J, int64_t item0, int64_t item1, int64_t nBlocks) {
  std::vector<T> regs((size_t)J.nregs * BLOCK);
  // where each register's block is: its own slot in regs, or (a contiguous load of the VM's own type) the
  // input's memory itself, or (the result, when the output is contiguous and of the VM's type) the output's
  std::vector<T*> at(J.nregs);
  const int rank = J.rank, nin = (int)J.ins.size();
  const int64_t n = J.shape[rank - 1], oSt = J.outSt[rank - 1];
  const int resultOp = J.prog[J.result * INSN];
  const bool direct = !J.reduce && oSt == 1 && sameKind<T>(J.out.kind) && resultOp != LOAD && resultOp != CONST;
  std::vector<int64_t> offs(nin);
  // offsets of the first item's row from its odometer digits over the outer dims; later rows step the
  // odometer (a carry now and then instead of a division per dim per block)
  std::vector<int64_t> digit(rank > 1 ? rank - 1 : 1, 0);
  int64_t o = J.outOff;
  for (int i = 0; i < nin; i++) offs[i] = J.inOffs[i];
  {
    int64_t rem = item0 / nBlocks;
    for (int d = rank - 2; d >= 0; d--) {
      digit[d] = rem % J.shape[d]; rem /= J.shape[d];
      o += digit[d] * J.outSt[d];
      for (int i = 0; i < nin; i++) offs[i] += digit[d] * J.inSt[i * rank + d];
    }
  }
  for (int64_t item = item0; item < item1; item++) {
    const int64_t blk = item % nBlocks, j0 = blk * BLOCK, len = n - j0 < BLOCK ? n - j0 : BLOCK;
    if (blk == 0 && item != item0) {
      for (int d = rank - 2; d >= 0; d--) {
        o += J.outSt[d];
        for (int i = 0; i < nin; i++) offs[i] += J.inSt[i * rank + d];
        if (++digit[d] < J.shape[d]) break;
        o -= J.outSt[d] * (int64_t)J.shape[d];
        for (int i = 0; i < nin; i++) offs[i] -= J.inSt[i * rank + d] * (int64_t)J.shape[d];
        digit[d] = 0;
      }
    }
    for (int k = 0; k < J.nregs; k++) at[k] = regs.data() + (size_t)k * BLOCK;
    if (direct) at[J.result] = (T*)J.out.p + o + j0;
    for (int k = 0; k < J.nInsn; k++) {
      const int32_t* q = J.prog + k * INSN;
      T* r = at[q[1]];
      const T* a = q[2] >= 0 ? at[q[2]] : nullptr;
      const T* b = q[3] >= 0 ? at[q[3]] : nullptr;
      const T* c = q[4] >= 0 ? at[q[4]] : nullptr;
      switch (q[0]) {
        case LOAD: { int i = q[5]; int64_t st = J.inSt[i * rank + rank - 1];
          if (st == 1 && sameKind<T>(J.ins[i].kind)) at[q[1]] = (T*)J.ins[i].p + offs[i] + j0;
          else loadBlock<T>(J.ins[i], offs[i] + j0 * st, st, len, r);
          continue; }
        case CONST: { T v = (T)J.consts[q[5]]; for (int64_t i = 0; i < len; i++) r[i] = v; continue; }
        case EXP: expLoop<T>(a, r, len); break;
        case LOG: for (int64_t i = 0; i < len; i++) r[i] = (T)std::log((double)a[i]); break;
        case SQRT: for (int64_t i = 0; i < len; i++) r[i] = (T)std::sqrt((double)a[i]); break;
        case RSQRT: for (int64_t i = 0; i < len; i++) r[i] = (T)(1.0 / std::sqrt((double)a[i])); break;
        case SIN: for (int64_t i = 0; i < len; i++) r[i] = (T)std::sin((double)a[i]); break;
        case COS: for (int64_t i = 0; i < len; i++) r[i] = (T)std::cos((double)a[i]); break;
        case TANH: for (int64_t i = 0; i < len; i++) r[i] = (T)std::tanh((double)a[i]); break;
        case RECIPROCAL: for (int64_t i = 0; i < len; i++) r[i] = (T)1 / a[i]; break;
        case NEG: for (int64_t i = 0; i < len; i++) r[i] = -a[i]; break;
        case ABS: for (int64_t i = 0; i < len; i++) r[i] = std::fabs(a[i]); break;
        case SIGN: for (int64_t i = 0; i < len; i++) r[i] = (T)jsSign(a[i]); break;
        case ADD: for (int64_t i = 0; i < len; i++) r[i] = a[i] + b[i]; break;
        case SUB: for (int64_t i = 0; i < len; i++) r[i] = a[i] - b[i]; break;
        case MUL: for (int64_t i = 0; i < len; i++) r[i] = a[i] * b[i]; break;
        case DIV: for (int64_t i = 0; i < len; i++) r[i] = a[i] / b[i]; break;
        case POW: for (int64_t i = 0; i < len; i++) r[i] = (T)jsPow(a[i], b[i]); break;
        case MAXIMUM: for (int64_t i = 0; i < len; i++) r[i] = jsMaxT(a[i], b[i]); break;
        case MINIMUM: for (int64_t i = 0; i < len; i++) r[i] = jsMinT(a[i], b[i]); break;
        case EQ: for (int64_t i = 0; i < len; i++) r[i] = a[i] == b[i]; break;
        case NE: for (int64_t i = 0; i < len; i++) r[i] = a[i] != b[i]; break;
        case LT: for (int64_t i = 0; i < len; i++) r[i] = a[i] < b[i]; break;
        case LE: for (int64_t i = 0; i < len; i++) r[i] = a[i] <= b[i]; break;
        case GT: for (int64_t i = 0; i < len; i++) r[i] = a[i] > b[i]; break;
        case GE: for (int64_t i = 0; i < len; i++) r[i] = a[i] >= b[i]; break;
        case WHERE: for (int64_t i = 0; i < len; i++) r[i] = a[i] != 0 ? b[i] : c[i]; break;
        case CAST_BOOL: for (int64_t i = 0; i < len; i++) r[i] = a[i] != 0 ? 1.0 : 0.0; break;
        case CAST_INT: for (int64_t i = 0; i < len; i++) r[i] = (T)toInt32(std::trunc((double)a[i])); break;
        case IDENT: for (int64_t i = 0; i < len; i++) r[i] = a[i]; break;
      }
      roundBlock(q[5], r, len);
    }
    if (J.reduce) {
      // fold in order: the reduced values of one output arrive row-major, as the reference folds them
      const T* v = at[J.result];
      double* acc = (double*)J.out.p + o + j0 * oSt;
      const bool isMax = J.reduce == 2;
      if (oSt == 0) {
        double a = acc[0];
        if (isMax) for (int64_t i = 0; i < len; i++) { const double x = v[i]; a = ((x > a) | (x != x)) ? x : a; }
        else for (int64_t i = 0; i < len; i++) a += (double)v[i];
        acc[0] = a;
      } else if (isMax) for (int64_t i = 0; i < len; i++) { const double x = v[i], a = acc[i * oSt]; acc[i * oSt] = ((x > a) | (x != x)) ? x : a; }
      else for (int64_t i = 0; i < len; i++) acc[i * oSt] += (double)v[i];
    } else if (!direct) storeBlock<T>(J.out, o + j0 * oSt, oSt, len, at[J.result]);
  }
}

/** A pure copy (slice, pad, concat, permute, broadcast) between arrays of one element type: rows [r0, r1). */
template <typename E>
static void copyRows(const EwJob& J, int64_t r0, int64_t r1) {
  const int rank = J.rank;
  const int64_t n = J.shape[rank - 1], so = J.outSt[rank - 1], si = J.inSt[rank - 1];
  std::vector<int64_t> digit(rank > 1 ? rank - 1 : 1, 0);
  int64_t o = J.outOff, a = J.inOffs[0], rem = r0;
  for (int d = rank - 2; d >= 0; d--) { digit[d] = rem % J.shape[d]; rem /= J.shape[d]; o += digit[d] * J.outSt[d]; a += digit[d] * J.inSt[d]; }
  E* out = (E*)J.out.p; const E* in = (const E*)J.ins[0].p;
  for (int64_t r = r0; r < r1; r++) {
    if (so == 1 && si == 1) std::memcpy(out + o, in + a, sizeof(E) * n);
    else if (so == 1 && si == 0) std::fill(out + o, out + o + n, in[a]);
    else for (int64_t j = 0; j < n; j++) out[o + j * so] = in[a + j * si];
    for (int d = rank - 2; d >= 0; d--) {
      o += J.outSt[d]; a += J.inSt[d];
      if (++digit[d] < J.shape[d]) break;
      o -= J.outSt[d] * (int64_t)J.shape[d]; a -= J.inSt[d] * (int64_t)J.shape[d];
      digit[d] = 0;
    }
  }
}

static const int kindBytes[] = { 4, 8, 4, 1 }; // K_F32, K_F64, K_I32, K_U8

/**
 * ewise(prog, consts, nregs, result, shape, out, outOff, outStrides, inputs[], inOffs, inStrides, floatMode[, reduce]):
 * prog is INSN int32s per instruction [op, dst, a, b, c, round-or-index]; shape is the collapsed iteration
 * shape (rank >= 1); strides are in elements, one per dim (inStrides: rank per input, input-major).
 * reduce 1 (sum) or 2 (max): `out` is a Float64Array of accumulators (outStrides 0 over the reduced dims) and
 * each value is folded into its accumulator in row-major order, as the reference's reductions fold.
 */
static napi_value Ewise(napi_env env, napi_callback_info info) {
  size_t argc = 13; napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 12 && argc != 13) { napi_throw_type_error(env, nullptr, "ewise: 12 or 13 arguments expected"); return nullptr; }
  const bool floatMode = argBool(env, argv[11]);
  EwJob J;
  int32_t *prog, *shape, *outSt, *inOffs, *inSt; size_t nprog, nshape, nOutSt, nInOffs, nInSt;
  napi_typedarray_type t; void* p; napi_value ab; size_t off, nconsts;
  if (!argI32(env, argv[0], &prog, &nprog) || napi_get_typedarray_info(env, argv[1], &t, &nconsts, &p, &ab, &off) != napi_ok || t != napi_float64_array
      || !argI32(env, argv[4], &shape, &nshape) || !arrArg(env, argv[5], &J.out, nullptr) || !argI32(env, argv[7], &outSt, &nOutSt)
      || !argI32(env, argv[9], &inOffs, &nInOffs) || !argI32(env, argv[10], &inSt, &nInSt)) {
    napi_throw_type_error(env, nullptr, "ewise: bad arguments"); return nullptr;
  }
  J.prog = prog; J.nInsn = (int)(nprog / INSN); J.consts = (const double*)p;
  J.nregs = (int)argInt(env, argv[2]); J.result = (int)argInt(env, argv[3]);
  J.shape = shape; J.rank = (int)nshape; J.outOff = argInt(env, argv[6]); J.outSt = outSt;
  J.inOffs = inOffs; J.inSt = inSt;
  uint32_t nin = 0; CHECK(napi_get_array_length(env, argv[8], &nin));
  J.ins.resize(nin);
  for (uint32_t i = 0; i < nin; i++) {
    napi_value v; CHECK(napi_get_element(env, argv[8], i, &v));
    if (!arrArg(env, v, &J.ins[i], nullptr)) { napi_throw_type_error(env, nullptr, "ewise: inputs must be typed arrays"); return nullptr; }
  }
  if (J.rank < 1 || nOutSt != nshape || nInOffs != nin || nInSt != nin * nshape) { napi_throw_range_error(env, nullptr, "ewise: inconsistent shapes"); return nullptr; }
  if (argc == 13) {
    J.reduce = (int)argInt(env, argv[12]);
    if (J.reduce != 0 && J.out.kind != K_F64) { napi_throw_type_error(env, nullptr, "ewise: a reduction folds into a Float64Array"); return nullptr; }
  }
  int64_t rows = 1;
  for (int d = 0; d < J.rank - 1; d++) rows *= shape[d];
  const int64_t n = shape[J.rank - 1], nBlocks = (n + BLOCK - 1) / BLOCK, items = rows * nBlocks;
  if (rows * n == 0) return nullptr;
  // a second thread pays off from ~2^15 elements for transcendental kernels, from ~2^17 for cheap ones
  // (below that the operands fit one core's L2 and the fork and join cost more than they save)
  bool costly = false;
  for (int k = 0; k < J.nInsn; k++) { const int op = prog[k * INSN]; costly |= op == EXP || op == LOG || op == SIN || op == COS || op == TANH || op == POW; }
  int threads = (rows * n >= (costly ? 1 << 15 : 1 << 17) && g_threads > 1) ? g_threads : 1;
  if (J.reduce) {
    // threads only where each row folds into outputs of its own: the inner dim reduced, every outer dim kept;
    // they split whole rows, so every output is folded by one thread in order
    bool ownRows = outSt[J.rank - 1] == 0;
    for (int d = 0; d < J.rank - 1; d++) ownRows = ownRows && outSt[d] != 0;
    auto run = floatMode ? ewRows<float> : ewRows<double>;
    if (threads > 1 && !ownRows && outSt[J.rank - 1] != 0 && n >= 64) {
      // the inner dim is kept: threads split its columns (in multiples of 16, so that they do not share cache
      // lines of the accumulator) and each folds every row of its own columns in order
      forChunks(threads, n, 16, [&](int64_t c0, int64_t c1) {
        EwJob T = J;
        std::vector<int32_t> shapeT(shape, shape + J.rank);
        std::vector<int32_t> offsT(J.inOffs, J.inOffs + nin);
        shapeT[J.rank - 1] = (int32_t)(c1 - c0);
        for (uint32_t i = 0; i < nin; i++) offsT[i] += (int32_t)(c0 * J.inSt[i * J.rank + J.rank - 1]);
        T.shape = shapeT.data(); T.inOffs = offsT.data(); T.outOff = J.outOff + c0 * outSt[J.rank - 1];
        const int64_t nb = (c1 - c0 + BLOCK - 1) / BLOCK;
        run(T, 0, rows * nb, nb);
      });
      return nullptr;
    }
    if (!ownRows || rows < 2) threads = 1;
    forChunks(threads, rows, 1, [&](int64_t r0, int64_t r1) { run(J, r0 * nBlocks, r1 * nBlocks, nBlocks); });
    return nullptr;
  }
  if (J.nInsn == 1 && prog[0] == LOAD && J.ins[0].kind == J.out.kind) {
    // rows of a plain copy: no registers, no conversion
    const int bytes = kindBytes[J.out.kind];
    auto copy = bytes == 8 ? copyRows<uint64_t> : bytes == 4 ? copyRows<uint32_t> : copyRows<uint8_t>;
    forChunks(threads, rows, 1, [&](int64_t r0, int64_t r1) { copy(J, r0, r1); });
    return nullptr;
  }
  auto run = floatMode ? ewRows<float> : ewRows<double>;
  forChunks(threads, items, 1, [&](int64_t i0, int64_t i1) { run(J, i0, i1, nBlocks); });
  return nullptr;
}

// ---- reductions ------------------------------------------------------------------------------------------
// Every output folds its inputs in the reference's order (row-major, one float64 accumulator), so results are
// identical to it. Speed comes from independence, not reordering: when the inner dim is reduced, eight rows are
// folded side by side (eight independent dependency chains instead of one); when it is kept, the inner loop
// runs over distinct outputs and vectorises. Threads split rows (inner reduced, each row its own output) or
// columns (inner kept), so no output is shared between threads.

template <bool MAX> __attribute__((always_inline, optimize("no-trapping-math"))) static inline double fold(double s, double v) { return MAX ? (((v > s) | (v != v)) ? v : s) : s + v; }

// no-trapping-math: lets GCC turn max's compare-and-select into branch-free (vector) selects
template <typename X, bool MAX>
__attribute__((optimize("no-trapping-math"))) static void reduceRowsInner(const X* x, const int64_t* aOff, const int64_t* oOff, int64_t r0, int64_t r1, int64_t n, int64_t xi, double* acc,
    bool distinctRows) {
  const int G = 8;
  int64_t r = r0;
  // rows side by side only when they fold into different outputs
  if (distinctRows) for (; r + G <= r1; r += G) {
    double s[G]; const X* p[G];
    for (int g = 0; g < G; g++) { s[g] = acc[oOff[r + g]]; p[g] = x + aOff[r + g]; }
    if (xi == 1) for (int64_t j = 0; j < n; j++) for (int g = 0; g < G; g++) s[g] = fold<MAX>(s[g], (double)p[g][j]);
    else for (int64_t j = 0; j < n; j++) for (int g = 0; g < G; g++) s[g] = fold<MAX>(s[g], (double)p[g][j * xi]);
    for (int g = 0; g < G; g++) acc[oOff[r + g]] = s[g];
  }
  for (; r < r1; r++) {
    double s = acc[oOff[r]]; const X* q = x + aOff[r];
    for (int64_t j = 0; j < n; j++) s = fold<MAX>(s, (double)q[j * xi]);
    acc[oOff[r]] = s;
  }
}

template <typename X, bool MAX>
__attribute__((optimize("no-trapping-math"))) static void reduceRowsOuter(const X* x, const int64_t* aOff, const int64_t* oOff, int64_t rows, int64_t j0, int64_t j1, int64_t xi, int64_t oi, double* acc) {
  for (int64_t r = 0; r < rows; r++) {
    const X* q = x + aOff[r]; double* ap = acc + oOff[r];
    if (xi == 1 && oi == 1) for (int64_t j = j0; j < j1; j++) ap[j] = fold<MAX>(ap[j], (double)q[j]);
    else for (int64_t j = j0; j < j1; j++) ap[j * oi] = fold<MAX>(ap[j * oi], (double)q[j * xi]);
  }
}

template <typename X, bool MAX>
static void reduceAll(const X* x, const int32_t* shape, const int32_t* xs, const int32_t* os, int R, double* acc) {
  const int64_t n = shape[R - 1], xi = xs[R - 1], oi = os[R - 1];
  int64_t rows = 1;
  for (int d = 0; d < R - 1; d++) rows *= shape[d];
  std::vector<int64_t> aOff(rows), oOff(rows), idx(R, 0);
  bool distinctRows = true; // every row folds into its own outputs (no outer dim is reduced)
  for (int d = 0; d < R - 1; d++) if (os[d] == 0) distinctRows = false;
  int64_t a = 0, o = 0;
  for (int64_t r = 0; r < rows; r++) {
    aOff[r] = a; oOff[r] = o;
    for (int d = R - 2; d >= 0; d--) {
      a += xs[d]; o += os[d];
      if (++idx[d] < shape[d]) break;
      a -= (int64_t)xs[d] * shape[d]; o -= (int64_t)os[d] * shape[d];
      idx[d] = 0;
    }
  }
  const int64_t total = rows * n;
  const int threads = (total >= (1 << 15) && g_threads > 1) ? g_threads : 1;
  if (oi == 0) {
    if (threads == 1 || !distinctRows || rows < 16) { reduceRowsInner<X, MAX>(x, aOff.data(), oOff.data(), 0, rows, n, xi, acc, distinctRows); return; }
    forChunks(threads, rows, 8, [&](int64_t r0, int64_t r1) { reduceRowsInner<X, MAX>(x, aOff.data(), oOff.data(), r0, r1, n, xi, acc, true); });
  } else {
    if (threads == 1 || n < 64) { reduceRowsOuter<X, MAX>(x, aOff.data(), oOff.data(), rows, 0, n, xi, oi, acc); return; }
    // column ranges in multiples of 16, so threads do not write the same cache lines of acc
    forChunks(threads, n, 16, [&](int64_t j0, int64_t j1) { reduceRowsOuter<X, MAX>(x, aOff.data(), oOff.data(), rows, j0, j1, xi, oi, acc); });
  }
}

template <typename X>
static void reduceKind(bool isMax, const X* x, const int32_t* shape, const int32_t* xs, const int32_t* os, int R, double* acc) {
  if (isMax) reduceAll<X, true>(x, shape, xs, os, R, acc);
  else reduceAll<X, false>(x, shape, xs, os, R, acc);
}

/**
 * reduce(max, x, shape, xStrides, oStrides, acc): folds every element of x (walked row-major over the
 * collapsed shape) into acc[o] in float64, in the reference's order (sum, or max with NaN propagation).
 */
static napi_value Reduce(napi_env env, napi_callback_info info) {
  size_t argc = 6; napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Arr x; int32_t *shape, *xs, *os; size_t rank, n2, n3;
  napi_typedarray_type t; void* p; napi_value ab; size_t off, nacc;
  if (argc != 6 || !arrArg(env, argv[1], &x, nullptr) || !argI32(env, argv[2], &shape, &rank) || !argI32(env, argv[3], &xs, &n2)
      || !argI32(env, argv[4], &os, &n3) || napi_get_typedarray_info(env, argv[5], &t, &nacc, &p, &ab, &off) != napi_ok || t != napi_float64_array
      || rank < 1 || n2 != rank || n3 != rank) {
    napi_throw_type_error(env, nullptr, "reduce: bad arguments"); return nullptr;
  }
  const bool isMax = argBool(env, argv[0]);
  double* acc = (double*)p;
  const int R = (int)rank;
  switch (x.kind) {
    case K_F32: reduceKind(isMax, (const float*)x.p, shape, xs, os, R, acc); break;
    case K_F64: reduceKind(isMax, (const double*)x.p, shape, xs, os, R, acc); break;
    case K_I32: reduceKind(isMax, (const int32_t*)x.p, shape, xs, os, R, acc); break;
    case K_U8: reduceKind(isMax, (const uint8_t*)x.p, shape, xs, os, R, acc); break;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------------------
// Attention: per entry e (a batch entry and query head), P = softmax(where(mask, scale * Q K^T, -1e9)) row by
// row, out = P V, without storing P beyond one entry's T x S block (in cache); rows are strided (heads sit
// side by side in a row of q, k, v and out). The gradient recomputes P the same way. Entries run one per
// thread (oneDNN single-threaded inside the parallel region); for the gradient, entries that share K and V
// form a group run by one thread in entry order, so dK and dV sums do not depend on the number of threads.

static const int LANES = 16; // independent partial maxima and sums, so GCC vectorises the row loops

/**
 * exp in float for x <= 0 (Cephes' expf: x = n ln2 + r with n rounded to nearest, its polynomial, 2^n from the
 * exponent bits),
 * within ~2 float ulps; 0 below -87 (where the float result is subnormal or 0).
 */
__attribute__((optimize("no-trapping-math"), target("prefer-vector-width=512"))) static inline float expNeg(float x) {
  const float xc = x < -87.0f ? -87.0f : x;
  const float SHIFT = 12582912.0f; // 1.5 * 2^23: adding it rounds to an integer, held in the low bits
  const float v = xc * 1.44269504088896341f + SHIFT, n = v - SHIFT;
  int32_t ni; std::memcpy(&ni, &v, 4); ni -= 0x4B400000;
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f; y = y * r + 8.3334519073e-3f; y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f; y = y * r + 5.0000001201e-1f;
  y = y * (r * r) + r + 1.0f;
  int32_t bits = (ni + 127) << 23; float scale; std::memcpy(&scale, &bits, 4);
  return x < -87.0f ? 0.0f : y * scale;
}

/** One row of scores in place: masked entries get the fill, then softmax (sum in double). */
__attribute__((optimize("no-trapping-math"), target("prefer-vector-width=512")))
static void softmaxRow(float* row, const uint8_t* m, int64_t mc, int64_t S) {
  if (mc == 1) { for (int64_t j = 0; j < S; j++) row[j] = m[j] ? row[j] : -1e9f; }
  else if (!m[0]) { for (int64_t j = 0; j < S; j++) row[j] = -1e9f; }
  float mxl[LANES];
  for (int l = 0; l < LANES; l++) mxl[l] = -INFINITY;
  const int64_t full = S - S % LANES;
  for (int64_t j = 0; j < full; j += LANES)
    for (int l = 0; l < LANES; l++) mxl[l] = row[j + l] > mxl[l] ? row[j + l] : mxl[l];
  float mx = -INFINITY;
  for (int l = 0; l < LANES; l++) mx = mxl[l] > mx ? mxl[l] : mx;
  for (int64_t j = full; j < S; j++) mx = row[j] > mx ? row[j] : mx;
  for (int64_t j = 0; j < S; j++) row[j] = expNeg(row[j] - mx);
  double sl[LANES] = {0};
  for (int64_t j = 0; j < full; j += LANES)
    for (int l = 0; l < LANES; l++) sl[l] += row[j + l];
  double sum = 0;
  for (int l = 0; l < LANES; l++) sum += sl[l];
  for (int64_t j = full; j < S; j++) sum += row[j];
  const float inv = (float)(1.0 / sum);
  for (int64_t j = 0; j < S; j++) row[j] *= inv;
}

/** sum_j p[j] r[j] in double, in LANES partial sums. */
__attribute__((optimize("no-trapping-math"), target("prefer-vector-width=512")))
static double dotRow(const float* p, const float* r, int64_t S) {
  double sl[LANES] = {0};
  const int64_t full = S - S % LANES;
  for (int64_t j = 0; j < full; j += LANES)
    for (int l = 0; l < LANES; l++) sl[l] += (double)p[j + l] * (double)r[j + l];
  double s = 0;
  for (int l = 0; l < LANES; l++) s += sl[l];
  for (int64_t j = full; j < S; j++) s += (double)p[j] * (double)r[j];
  return s;
}

struct AttnJob {
  float *q, *k, *v, *g, *out; const uint8_t* mask;
  const int32_t *qOff, *kOff, *vOff, *oOff, *mOff;
  int64_t T, S, d, dv, qRow, kRow, vRow, oRow, maskRow, maskCol, nq, nk; float scale;
};

/** Entry e's weights into P (T x S). */
static dnnl_status_t attnWeights(const AttnJob& J, int64_t e, float* P) {
  dnnl_status_t s = dnnl_sgemm('N', 'T', J.T, J.S, J.d, J.scale, J.q + J.qOff[e], J.qRow, J.k + J.kOff[e], J.kRow, 0.0f, P, J.S);
  for (int64_t i = 0; i < J.T; i++) softmaxRow(P + i * J.S, J.mask + J.mOff[e] + i * J.maskRow, J.maskCol, J.S);
  return s;
}

static dnnl_status_t attnForward(const AttnJob& J, int64_t e, float* P) {
  dnnl_status_t s = attnWeights(J, e, P);
  dnnl_status_t s2 = dnnl_sgemm('N', 'N', J.T, J.dv, J.S, 1.0f, P, J.S, J.v + J.vOff[e], J.vRow, 0.0f, J.out + J.oOff[e], J.oRow);
  return s != dnnl_success ? s : s2;
}

/** Entry e's share of the gradient; `first` starts its group's dK and dV sums. dP holds dScores after. */
__attribute__((optimize("no-trapping-math"), target("prefer-vector-width=512")))
static dnnl_status_t attnBackward(const AttnJob& J, int64_t e, bool first, float* P, float* dP) {
  const int64_t T = J.T, S = J.S, d = J.d, dv = J.dv;
  const float *K = J.k + J.kOff[e], *V = J.v + J.vOff[e], *Q = J.q + J.qOff[e], *G = J.g + J.oOff[e];
  float *dQ = J.out + J.qOff[e], *dK = J.out + J.nq + J.kOff[e], *dV = J.out + J.nq + J.nk + J.vOff[e];
  const float beta = first ? 0.0f : 1.0f;
  dnnl_status_t st[5];
  st[0] = attnWeights(J, e, P);
  st[1] = dnnl_sgemm('T', 'N', S, dv, T, 1.0f, P, S, G, J.oRow, beta, dV, J.vRow);
  st[2] = dnnl_sgemm('N', 'T', T, S, dv, 1.0f, G, J.oRow, V, J.vRow, 0.0f, dP, S);
  for (int64_t i = 0; i < T; i++) {
    const float *p = P + i * S; float* r = dP + i * S;
    const uint8_t* m = J.mask + J.mOff[e] + i * J.maskRow;
    const float rs = (float)dotRow(p, r, S), sc = J.scale;
    if (J.maskCol == 1) { for (int64_t j = 0; j < S; j++) r[j] = m[j] ? sc * (p[j] * (r[j] - rs)) : 0.0f; }
    else if (m[0]) { for (int64_t j = 0; j < S; j++) r[j] = sc * (p[j] * (r[j] - rs)); }
    else { for (int64_t j = 0; j < S; j++) r[j] = 0.0f; }
  }
  st[3] = dnnl_sgemm('N', 'N', T, d, S, 1.0f, dP, S, K, J.kRow, 0.0f, dQ, J.qRow);
  st[4] = dnnl_sgemm('T', 'N', S, d, T, 1.0f, dP, S, Q, J.qRow, beta, dK, J.kRow);
  for (auto x : st) if (x != dnnl_success) return x;
  return dnnl_success;
}

/**
 * attention(scale, q, k, v, mask, g|null, out, offsets, dims, groups|null): forward when g is null, else the
 * packed gradient [dq, dk, dv] into out. offsets: [q, k, v, out, mask] offsets of each entry's first row, five
 * blocks of `entries`; dims: [T, S, d, dv, qRow, kRow, vRow, outRow, maskRow, maskCol]; groups: entries grouped
 * by the k/v rows they share, as [start of group 0, ..., end, entry order...].
 */
static napi_value Attention(napi_env env, napi_callback_info info) {
  size_t argc = 10; napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 10) { napi_throw_type_error(env, nullptr, "attention: 10 arguments expected"); return nullptr; }
  double scale = 0; napi_get_value_double(env, argv[0], &scale);
  AttnJob J{};
  size_t nq, nk, nv, nm, ng = 0, no, noff, ndims, ngr = 0;
  Arr mk; int32_t *dims, *offs, *groups = nullptr;
  napi_valuetype gt; napi_typeof(env, argv[5], &gt);
  const bool grad = gt != napi_null;
  if (!argF32(env, argv[1], &J.q, &nq) || !argF32(env, argv[2], &J.k, &nk) || !argF32(env, argv[3], &J.v, &nv)
      || !arrArg(env, argv[4], &mk, &nm) || mk.kind != K_U8 || (grad && !argF32(env, argv[5], &J.g, &ng))
      || !argF32(env, argv[6], &J.out, &no) || !argI32(env, argv[7], &offs, &noff) || noff % 5 != 0
      || !argI32(env, argv[8], &dims, &ndims) || ndims != 10 || (grad && !argI32(env, argv[9], &groups, &ngr))) {
    napi_throw_type_error(env, nullptr, "attention: bad arguments"); return nullptr;
  }
  const int64_t entries = (int64_t)noff / 5;
  J.qOff = offs; J.kOff = offs + entries; J.vOff = offs + 2 * entries; J.oOff = offs + 3 * entries; J.mOff = offs + 4 * entries;
  J.mask = (const uint8_t*)mk.p; J.scale = (float)scale;
  J.T = dims[0]; J.S = dims[1]; J.d = dims[2]; J.dv = dims[3]; J.qRow = dims[4]; J.kRow = dims[5]; J.vRow = dims[6]; J.oRow = dims[7];
  J.maskRow = dims[8]; J.maskCol = dims[9];
  J.nq = (int64_t)nq; J.nk = (int64_t)nk;
  const size_t nOut = grad ? (size_t)ng : no;
  // every row of every entry in range, so a wrong call throws instead of touching memory it does not own
  bool ok = J.T > 0 && J.S > 0 && J.d > 0 && J.dv > 0 && J.maskRow >= 0 && J.maskCol >= 0 && J.qRow >= J.d && J.kRow >= J.d
    && J.vRow >= J.dv && J.oRow >= J.dv && (!grad || no == nq + nk + nv);
  const auto within = [](int64_t off, int64_t rows, int64_t row, int64_t cols, size_t n) {
    return off >= 0 && (uint64_t)(off + (rows - 1) * row + cols) <= n;
  };
  for (int64_t e = 0; ok && e < entries; e++)
    ok = within(J.qOff[e], J.T, J.qRow, J.d, nq) && within(J.kOff[e], J.S, J.kRow, J.d, nk) && within(J.vOff[e], J.S, J.vRow, J.dv, nv)
      && within(J.oOff[e], J.T, J.oRow, J.dv, nOut) && J.mOff[e] >= 0 && (uint64_t)(J.mOff[e] + (J.T - 1) * J.maskRow + (J.S - 1) * J.maskCol) < nm;
  const int64_t ngroups = grad ? (int64_t)ngr - entries - 1 : 0;
  if (grad) {
    ok = ok && ngroups >= 1 && groups[0] == 0 && groups[ngroups] == entries;
    for (int64_t i = 0; ok && i < ngroups; i++) ok = groups[i] < groups[i + 1];
    for (int64_t i = 0; ok && i < entries; i++) ok = groups[ngroups + 1 + i] >= 0 && groups[ngroups + 1 + i] < entries;
  }
  if (!ok) { napi_throw_range_error(env, nullptr, "attention: sizes or offsets out of range"); return nullptr; }
  SignalsHeld held;
  std::atomic<int> status{dnnl_success};
  const int64_t jobs = grad ? ngroups : entries;
  auto job = [&](int64_t w) {
    thread_local std::vector<float> P, dP;
    if ((int64_t)P.size() < J.T * J.S) P.resize(J.T * J.S);
    if (grad && (int64_t)dP.size() < J.T * J.S) dP.resize(J.T * J.S);
    dnnl_status_t s = dnnl_success;
    if (!grad) s = attnForward(J, w, P.data());
    else for (int64_t i = groups[w]; i < groups[w + 1] && s == dnnl_success; i++)
      s = attnBackward(J, groups[ngroups + 1 + i], i == groups[w], P.data(), dP.data());
    if (s != dnnl_success) status = s;
  };
  if (jobs < 2) { for (int64_t w = 0; w < jobs; w++) job(w); }
  else runWithSerialDnnl(jobs, job);
  if (status != dnnl_success) { napi_throw_error(env, nullptr, "attention: dnnl_sgemm failed"); return nullptr; }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------------------
// Rotate-half RoPE in one pass: out = x * cos + rotate_half(x) * sin, row by row of the last dim, with the
// decomposition's float operations in its order (so the same bits as mul, mul, add of the stored rotation).
static void ropeRows(const float* x, const float* c, const float* s, float* o, const int32_t* shape, const int32_t* cst,
    const int32_t* sst, int rank, int64_t D, int64_t cl, int64_t sl, int64_t r0, int64_t r1) {
  int64_t idx[16], co = 0, so = 0, rem = r0;
  for (int d = rank - 1; d >= 0; d--) { idx[d] = rem % shape[d]; rem /= shape[d]; co += idx[d] * cst[d]; so += idx[d] * sst[d]; }
  const int64_t h = D / 2;
  for (int64_t r = r0; r < r1; r++) {
    const float *xr = x + r * D, *cr = c + co, *sr = s + so; float* orow = o + r * D;
    if (cl == 1 && sl == 1) {
      for (int64_t j = 0; j < h; j++) orow[j] = xr[j] * cr[j] + (-xr[j + h]) * sr[j];
      for (int64_t j = h; j < D; j++) orow[j] = xr[j] * cr[j] + xr[j - h] * sr[j];
    } else {
      for (int64_t j = 0; j < h; j++) orow[j] = xr[j] * cr[j * cl] + (-xr[j + h]) * sr[j * sl];
      for (int64_t j = h; j < D; j++) orow[j] = xr[j] * cr[j * cl] + xr[j - h] * sr[j * sl];
    }
    for (int d = rank - 1; d >= 0; d--) {
      co += cst[d]; so += sst[d];
      if (++idx[d] < shape[d]) break;
      co -= cst[d] * shape[d]; so -= sst[d] * shape[d]; idx[d] = 0;
    }
  }
}

/** rope(x, cos, sin, out, leadShape, cosStrides, sinStrides): strides per dim of x (0 where broadcast), last dim included. */
static napi_value Rope(napi_env env, napi_callback_info info) {
  size_t argc = 7; napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  float *x, *c, *s, *o; int32_t *shape, *cst, *sst; size_t nx, nc, ns, no, rank, r2, r3;
  if (argc != 7 || !argF32(env, argv[0], &x, &nx) || !argF32(env, argv[1], &c, &nc) || !argF32(env, argv[2], &s, &ns)
      || !argF32(env, argv[3], &o, &no) || !argI32(env, argv[4], &shape, &rank) || !argI32(env, argv[5], &cst, &r2)
      || !argI32(env, argv[6], &sst, &r3) || rank < 1 || rank > 16 || r2 != rank || r3 != rank || no != nx) {
    napi_throw_type_error(env, nullptr, "rope: bad arguments"); return nullptr;
  }
  int64_t total = 1, cMax = 0, sMax = 0;
  for (size_t d = 0; d < rank; d++) {
    if (shape[d] < 0 || cst[d] < 0 || sst[d] < 0) { napi_throw_range_error(env, nullptr, "rope: negative size or stride"); return nullptr; }
    total *= shape[d]; cMax += (int64_t)(shape[d] - 1) * cst[d]; sMax += (int64_t)(shape[d] - 1) * sst[d];
  }
  const int64_t D = shape[rank - 1];
  if ((uint64_t)total != nx || D % 2 != 0 || (total > 0 && ((uint64_t)cMax >= nc || (uint64_t)sMax >= ns))) {
    napi_throw_range_error(env, nullptr, "rope: sizes or strides out of range"); return nullptr;
  }
  if (total == 0) return nullptr;
  const int64_t rows = total / D;
  const int threads = total >= (1 << 17) ? g_threads : 1;
  const int lead = (int)rank - 1;
  forChunks(threads, rows, 1, [&](int64_t r0, int64_t r1) { ropeRows(x, c, s, o, shape, cst, sst, lead, D, cst[lead], sst[lead], r0, r1); });
  return nullptr;
}

/** setThreads(n): the number of threads the parallel loops use (the caller and n - 1 pool workers). Returns the previous value. */
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int64_t n = argc > 0 ? argInt(env, argv[0]) : 1;
  if (n < 1) n = 1;
  napi_value prev; CHECK(napi_create_int32(env, g_threads, &prev));
  g_threads = (int)n;
  recordWorkers();
  return prev;
}

static napi_value Info(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  napi_value o, x;
  CHECK(napi_create_object(env, &o));
  char buf[64]; std::snprintf(buf, sizeof buf, "%d.%d.%d", v->major, v->minor, v->patch);
  CHECK(napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &x)); CHECK(napi_set_named_property(env, o, "dnnl", x));
  CHECK(napi_create_string_utf8(env, v->cpu_runtime == DNNL_RUNTIME_OMP ? "omp" : "other", NAPI_AUTO_LENGTH, &x));
  CHECK(napi_set_named_property(env, o, "runtime", x));
  CHECK(napi_create_int32(env, g_threads, &x)); CHECK(napi_set_named_property(env, o, "maxThreads", x));
  CHECK(napi_create_int32(env, omp_get_num_procs(), &x)); CHECK(napi_set_named_property(env, o, "procs", x));
  return o;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_default, nullptr },
    { "setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr },
    { "info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr },
    { "ewise", nullptr, Ewise, nullptr, nullptr, nullptr, napi_default, nullptr },
    { "reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr },
    { "attention", nullptr, Attention, nullptr, nullptr, nullptr, napi_default, nullptr },
    { "rope", nullptr, Rope, nullptr, nullptr, nullptr, napi_default, nullptr },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof *props, props) != napi_ok) return nullptr;
  g_threads = omp_get_max_threads(); // OMP_NUM_THREADS, or the CPUs: the pool's size until setThreads
  omp_set_num_threads(1);
  recordWorkers();
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
