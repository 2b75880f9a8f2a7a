// Products: oneDNN's sgemm over a batch of offsets, row blocks shared out by the chunk pool.
#include "common.h"

/**
 * sgemm(transA, transB, m, n, k, A, B, C, aOffsets, bOffsets): for each t < aOffsets.length,
 * C[t*m*n ..] = op(A at aOffsets[t]) x op(B at bOffsets[t]), row-major, float32 accumulation.
 * Row blocks of the products are shared out by the chunk pool, each a single-threaded oneDNN call.
 */
napi_value Sgemm(napi_env env, napi_callback_info info) {
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
  } else if (batch == 1 && flops >= 2e8) {
    // one large product (N=512 squares and up; W1's largest is 9e7): oneDNN's own threads pack B once for all
    // of them (row blocks each pack it again: N=1024 squares were 12% slower that way)
    Placement place(g_threads);
    omp_set_num_threads(g_threads);
    rows(0, 0, m);
    omp_set_num_threads(1);
  } else {
    // the products' row blocks (about 2 per thread, at least 32 rows each) are the chunks: each block packs B
    // again, so more blocks cost more than they balance (4 per thread: N=1024 products 12% slower)
    const int64_t perProduct = std::max<int64_t>(1, std::min<int64_t>((m + 31) / 32, (2 * g_threads + batch - 1) / batch));
    runChunks(g_threads, batch * perProduct, [&](int64_t c) {
      const int64_t t = c / perProduct, b = c % perProduct;
      rows(t, m * b / perProduct, m * (b + 1) / perProduct);
    });
  }
  if (status != dnnl_success) { napi_throw_error(env, nullptr, "sgemm: dnnl_sgemm failed"); return nullptr; }
  return nullptr;
}
