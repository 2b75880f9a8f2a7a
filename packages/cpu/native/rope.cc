// Rotate-half RoPE in one pass: out = x * cos + rotate_half(x) * sin, row by row of the last dim, with the
// decomposition's float operations in its order (so the same bits as mul, mul, add of the stored rotation).
#include "common.h"

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
napi_value Rope(napi_env env, napi_callback_info info) {
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
