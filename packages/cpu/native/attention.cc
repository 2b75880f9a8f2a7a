// Attention: per entry e (a batch entry and query head), P = softmax(where(mask, scale * Q K^T, -1e9)) row by
// row, out = P V, without storing P beyond one entry's T x S block (in cache); rows are strided (heads sit
// side by side in a row of q, k, v and out). The gradient recomputes P the same way. Entries run one per
// thread (oneDNN single-threaded inside the parallel region); for the gradient, entries that share K and V
// form a group run by one thread in entry order, so dK and dV sums do not depend on the number of threads.
#include "common.h"

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
napi_value Attention(napi_env env, napi_callback_info info) {
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
  runChunks(g_threads, jobs, job);
  if (status != dnnl_success) { napi_throw_error(env, nullptr, "attention: dnnl_sgemm failed"); return nullptr; }
  return nullptr;
}
