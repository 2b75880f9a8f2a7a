// Every output folds its inputs in the reference's order (row-major, one float64 accumulator), so results are
// identical to it. Speed comes from independence, not reordering: when the inner dim is reduced, eight rows are
// folded side by side (eight independent dependency chains instead of one); when it is kept, the inner loop
// runs over distinct outputs and vectorises. Threads split rows (inner reduced, each row its own output) or
// columns (inner kept), so no output is shared between threads.
#include "common.h"

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
    if (threads == 1 || n < 256 * threads) { reduceRowsOuter<X, MAX>(x, aOff.data(), oOff.data(), rows, 0, n, xi, oi, acc); return; }
    // one column range per thread, a multiple of 16 so that threads do not write the same cache lines of acc,
    // and at least 256 wide (narrower ranges cost more per row than they save: [1024, 128] over rows ran 1.7x
    // slower on 2 threads in 16-column ranges than on one)
    forThreadRanges(threads, n, 16, [&](int64_t j0, int64_t j1) { reduceRowsOuter<X, MAX>(x, aOff.data(), oOff.data(), rows, j0, j1, xi, oi, acc); });
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
napi_value Reduce(napi_env env, napi_callback_info info) {
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
