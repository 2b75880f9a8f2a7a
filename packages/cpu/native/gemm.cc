// Products: oneDNN's sgemm over a batch of offsets, row blocks shared out by the chunk pool; and products whose
// B is stored as bfloat16, widened to float32 a block of columns at a time.
#include "common.h"

static inline bool argU16(napi_env env, napi_value v, uint16_t** data, size_t* len) {
  napi_typedarray_type t; size_t n; void* p; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &p, &ab, &off) != napi_ok || t != napi_uint16_array) return false;
  *data = static_cast<uint16_t*>(p); *len = n; return true;
}

/** One product's operands: C (ldc) = op(A) (lda) x op(B) (ldb), m x n over k. */
struct Product {
  char ta, tb; int64_t m, n, k; const float* A; int64_t lda; const float* B; int64_t ldb; float* C; int64_t ldc;
};

/**
 * Runs products ps[t] for every t: row blocks shared out by the chunk pool, each a single-threaded oneDNN call;
 * one large product (0.2 GFLOP and up) on oneDNN's own threads. Returns dnnl_success or the first failure.
 */
static dnnl_status_t runProducts(const std::vector<Product>& ps) {
  if (ps.empty()) return dnnl_success;
  const Product& p0 = ps[0];
  const int64_t batch = (int64_t)ps.size();
  const double flops = 2.0 * p0.m * p0.n * p0.k * batch;
  std::atomic<int> status{dnnl_success};
  // rows [i0, i1) of product t: op(A)'s rows i0.. start at column i0 of a transposed A, at row i0 otherwise
  auto rows = [&](int64_t t, int64_t i0, int64_t i1) {
    const Product& p = ps[t];
    const dnnl_status_t s = dnnl_sgemm(p.ta, p.tb, i1 - i0, p.n, p.k, 1.0f, p.A + (p.ta == 'T' ? i0 : i0 * p.lda), p.lda,
      p.B, p.ldb, 0.0f, p.C + i0 * p.ldc, p.ldc);
    if (s != dnnl_success) status = s;
  };
  SignalsHeld held;
  if (flops < 1e6 || g_threads < 2) {
    for (int64_t t = 0; t < batch; t++) rows(t, 0, ps[t].m);
  } else if (batch == 1 && flops >= 2e8) {
    // one large product (N=512 squares and up; W1's largest is 9e7): oneDNN's own threads pack B once for all
    // of them (row blocks each pack it again: N=1024 squares were 12% slower that way)
    Placement place(g_threads);
    omp_set_num_threads(g_threads);
    rows(0, 0, p0.m);
    omp_set_num_threads(1);
  } else {
    // the products' row blocks (about 2 per thread, at least 32 rows each) are the chunks: each block packs B
    // again, so more blocks cost more than they balance (4 per thread: N=1024 products 12% slower)
    const int64_t m = p0.m;
    const int64_t perProduct = std::max<int64_t>(1, std::min<int64_t>((m + 31) / 32, (2 * g_threads + batch - 1) / batch));
    runChunks(g_threads, batch * perProduct, [&](int64_t c) {
      const int64_t t = c / perProduct, b = c % perProduct;
      rows(t, m * b / perProduct, m * (b + 1) / perProduct);
    });
  }
  return (dnnl_status_t)status.load();
}

/**
 * sgemm(transA, transB, m, n, k, A, B, C, aOffsets, bOffsets): for each t < aOffsets.length,
 * C[t*m*n ..] = op(A at aOffsets[t]) x op(B at bOffsets[t]), row-major, float32 accumulation.
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
  std::vector<Product> ps;
  for (int64_t t = 0; t < batch; t++)
    ps.push_back({ ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, A + ao[t], ta ? m : k, B + bo[t], tb ? k : n, C + t * m * n, n });
  if (runProducts(ps) != dnnl_success) { napi_throw_error(env, nullptr, "sgemm: dnnl_sgemm failed"); return nullptr; }
  return nullptr;
}

/** Columns of op(B) widened per block: a block's float32 copy stays near 16 MB, the weight stays in 16 bits. */
static const int64_t kWidenElements = 4 << 20;

/**
 * sgemmBf16B(transB, m, n, k, A, B, C): C = A x op(B), A float32 [m, k], B bfloat16 bits ([n, k] when transB,
 * else [k, n]), C float32 [m, n]. Each block of op(B)'s columns is widened (exactly: a bfloat16 is the top half
 * of a float32) into a float32 block, then multiplied as sgemm would.
 */
napi_value SgemmBf16B(napi_env env, napi_callback_info info) {
  size_t argc = 7; napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc != 7) { napi_throw_type_error(env, nullptr, "sgemmBf16B: 7 arguments expected"); return nullptr; }
  const bool tb = argBool(env, argv[0]);
  const int64_t m = argInt(env, argv[1]), n = argInt(env, argv[2]), k = argInt(env, argv[3]);
  float *A, *C; uint16_t* B; size_t na, nb, nc;
  if (!argF32(env, argv[4], &A, &na) || !argU16(env, argv[5], &B, &nb) || !argF32(env, argv[6], &C, &nc)) {
    napi_throw_type_error(env, nullptr, "sgemmBf16B: bad arguments"); return nullptr;
  }
  if (m < 0 || n < 0 || k < 0 || (uint64_t)(m * k) > na || (uint64_t)(k * n) > nb || (uint64_t)(m * n) > nc) {
    napi_throw_range_error(env, nullptr, "sgemmBf16B: an operand is too small"); return nullptr;
  }
  if (m == 0 || n == 0) return nullptr;
  if (k == 0) { std::memset(C, 0, sizeof(float) * m * n); return nullptr; }
  const int64_t cols = std::max<int64_t>(1, std::min<int64_t>(n, kWidenElements / k));
  std::vector<float> block((size_t)(cols * k));
  uint32_t* wide = reinterpret_cast<uint32_t*>(block.data());
  for (int64_t j0 = 0; j0 < n; j0 += cols) {
    const int64_t w = std::min(cols, n - j0);
    // the block as op(B) stores it: rows j0.. of B ([w, k], read transposed) or columns j0.. of B ([k, w])
    auto widen = [&](int64_t r0, int64_t r1) {
      if (tb) {
        for (int64_t i = r0 * k; i < r1 * k; i++) wide[i] = (uint32_t)B[j0 * k + i] << 16;
      } else {
        for (int64_t p = r0; p < r1; p++) for (int64_t j = 0; j < w; j++) wide[p * w + j] = (uint32_t)B[p * n + j0 + j] << 16;
      }
    };
    const int64_t nrows = tb ? w : k, per = std::max<int64_t>(1, (nrows + 7) / 8);
    if (g_threads < 2 || nrows * (tb ? k : w) < (1 << 16)) widen(0, nrows);
    else runChunks(g_threads, (nrows + per - 1) / per, [&](int64_t c) { widen(c * per, std::min(nrows, (c + 1) * per)); });
    const Product p{ 'N', tb ? 'T' : 'N', m, w, k, A, k, block.data(), tb ? k : w, C + j0, n };
    if (runProducts({ p }) != dnnl_success) { napi_throw_error(env, nullptr, "sgemmBf16B: dnnl_sgemm failed"); return nullptr; }
  }
  return nullptr;
}
