// What every file of the addon shares: the N-API argument helpers, the typed-array kinds, signals held during
// oneDNN calls, and the threads (threads.cc: the chunk pool, thread placement, how loops are shared out).
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <signal.h>
#include <pthread.h>
#include <node_api.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <vector>
#include "chunk_pool.h"

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, nullptr, #call " failed"); return nullptr; } } while (0)

static inline bool argF32(napi_env env, napi_value v, float** data, size_t* len) {
  napi_typedarray_type t; size_t n; void* p; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &p, &ab, &off) != napi_ok || t != napi_float32_array) return false;
  *data = static_cast<float*>(p); *len = n; return true;
}
static inline bool argI32(napi_env env, napi_value v, int32_t** data, size_t* len) {
  napi_typedarray_type t; size_t n; void* p; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &p, &ab, &off) != napi_ok || t != napi_int32_array) return false;
  *data = static_cast<int32_t*>(p); *len = n; return true;
}
static inline int64_t argInt(napi_env env, napi_value v) { int64_t x = 0; napi_get_value_int64(env, v, &x); return x; }
static inline bool argBool(napi_env env, napi_value v) { bool b = false; napi_get_value_bool(env, v, &b); return b; }

enum Kind { K_F32 = 0, K_F64, K_I32, K_U8 };
static const int kindBytes[] = { 4, 8, 4, 1 }; // K_F32, K_F64, K_I32, K_U8
struct Arr { void* p; int kind; };

static inline bool arrArg(napi_env env, napi_value v, Arr* a, size_t* len) {
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

// ---- signals during oneDNN's products ------------------------------------------------------------------
// A signal handled while Debian's oneDNN 2.6 runs an AVX-512 sgemm kernel corrupts the process's memory
// (measured: a C program calling dnnl_sgemm under a 10 kHz SIGPROF timer aborts with heap corruption every
// run; with ONEDNN_MAX_CPU_ISA=AVX2, or with the signal blocked during the call, it never did). Node's
// --cpu-prof sends such signals. So asynchronous signals are held back while a product runs (they are
// delivered when it returns), and the chunk pool's worker threads, which run nothing else, block them for good.
static inline sigset_t asyncSignals() {
  sigset_t s; sigfillset(&s);
  for (int sig : { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS }) sigdelset(&s, sig);
  return s;
}
struct SignalsHeld {
  sigset_t old;
  SignalsHeld() { const sigset_t s = asyncSignals(); pthread_sigmask(SIG_BLOCK, &s, &old); }
  ~SignalsHeld() { pthread_sigmask(SIG_SETMASK, &old, nullptr); }
};

// ---- threads (threads.cc) --------------------------------------------------------------------------------
extern int g_threads;       // the threads a parallel loop uses: the caller and g_threads - 1 pool workers
extern ChunkPool g_pool;
void recordWorkers();       // (re)starts the pool for g_threads and records every worker for Placement

/** While it lives, the calling thread is pinned to its CPU and the workers to the others (threads.cc says why). */
struct Placement {
  bool active = false;
  explicit Placement(int threads);
  ~Placement();
};

// ---- work sharing --------------------------------------------------------------------------------------
// Work is cut into chunks that the chunk pool's threads and the caller claim as they come free (chunk_pool.h
// says why not an OpenMP region). Each chunk runs on exactly one thread, so results do not change. oneDNN runs
// single-threaded inside a chunk (every thread's OpenMP count is 1).

/** Runs chunk(c) for every c < chunks, on `threads` threads (inline with one). */
template <typename F> void runChunks(int threads, int64_t chunks, F&& chunk) {
  if (threads < 2 || chunks < 2 || g_pool.workers() == 0) { for (int64_t c = 0; c < chunks; c++) chunk(c); return; }
  Placement place(threads);
  g_pool.run(chunks, chunk);
}

/** fn(begin, end) over [0, total) in about 8 chunks per thread, each a multiple of `grain` (but the last). */
template <typename F> void forChunks(int threads, int64_t total, int64_t grain, F&& fn) {
  const int64_t units = (total + grain - 1) / grain, chunks = std::min<int64_t>(units, (int64_t)threads * 8);
  if (threads < 2 || chunks < 2) { fn((int64_t)0, total); return; }
  runChunks(threads, chunks, [&](int64_t c) { fn(std::min(total, units * c / chunks * grain), std::min(total, units * (c + 1) / chunks * grain)); });
}

/** fn(begin, end) over [0, total) in one range per thread, each (but the last) a multiple of `align` wide. */
template <typename F> void forThreadRanges(int threads, int64_t total, int64_t align, F&& fn) {
  const int64_t per = (total / threads + align - 1) / align * align;
  runChunks(threads, threads, [&](int64_t t) {
    const int64_t begin = std::min(total, t * per), end = t == threads - 1 ? total : std::min(total, (t + 1) * per);
    if (begin < end) fn(begin, end);
  });
}

// ---- the functions the module exports (addon.cc) --------------------------------------------------------
napi_value Sgemm(napi_env env, napi_callback_info info);
napi_value SgemmBf16B(napi_env env, napi_callback_info info);
napi_value Ewise(napi_env env, napi_callback_info info);
napi_value Reduce(napi_env env, napi_callback_info info);
napi_value Attention(napi_env env, napi_callback_info info);
napi_value Rope(napi_env env, napi_callback_info info);
napi_value SetThreads(napi_env env, napi_callback_info info);
