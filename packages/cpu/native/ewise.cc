// Element-wise VM: a fused kernel compiled (in src/native-ewise.ts) to register instructions, evaluated in
// blocks of the innermost dim. Every value is a double and every node is rounded to its dtype as the JS
// loops round it (float32: (float), int32: ToInt32, bool: 0/1), so + - * / sqrt, comparisons, casts and
// selects are bit-identical to the reference backend; exp/log/sin/cos/tanh/pow use glibc's double functions
// where V8 uses its fdlibm port, which can differ in the last bit of the double before float32 rounding.
#include "common.h"

#include "vm_ops.h"  // enum Op, generated from src/vm-ops.ts by scripts/build.mjs
enum Round { R_NONE = 0, R_F32, R_I32, R_BOOL };

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

/** The logistic function from z = exp(-|x|) in double, rounded once: the op table's formula. */
template <typename T>
__attribute__((optimize("no-trapping-math"), target("prefer-vector-width=512"))) static void sigmoidLoop(const T* a, T* r, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const double x = (double)a[i], z = expd(x >= 0 ? -x : x);
    r[i] = (T)((x >= 0 ? 1.0 : z) / (1.0 + z));
  }
}

static inline double jsSign(double a) { return a > 0 ? 1.0 : a < 0 ? -1.0 : a; }

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
        case SIGMOID: sigmoidLoop<T>(a, r, len); break;
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
      else if (oSt == 1) for (int64_t i = 0; i < len; i++) acc[i] += (double)v[i]; // contiguous: vectorised
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


/**
 * ewise(prog, consts, nregs, result, shape, out, outOff, outStrides, inputs[], inOffs, inStrides, floatMode[, reduce]):
 * prog is INSN int32s per instruction [op, dst, a, b, c, round-or-index]; shape is the collapsed iteration
 * shape (rank >= 1); strides are in elements, one per dim (inStrides: rank per input, input-major).
 * reduce 1 (sum) or 2 (max): `out` is a Float64Array of accumulators (outStrides 0 over the reduced dims) and
 * each value is folded into its accumulator in row-major order, as the reference's reductions fold.
 */
napi_value Ewise(napi_env env, napi_callback_info info) {
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
  for (int k = 0; k < J.nInsn; k++) { const int op = prog[k * INSN]; costly |= op == EXP || op == SIGMOID || op == LOG || op == SIN || op == COS || op == TANH || op == POW; }
  int threads = (rows * n >= (costly ? 1 << 15 : 1 << 17) && g_threads > 1) ? g_threads : 1;
  if (J.reduce) {
    // threads only where each row folds into outputs of its own: the inner dim reduced, every outer dim kept;
    // they split whole rows, so every output is folded by one thread in order
    bool ownRows = outSt[J.rank - 1] == 0;
    for (int d = 0; d < J.rank - 1; d++) ownRows = ownRows && outSt[d] != 0;
    auto run = floatMode ? ewRows<float> : ewRows<double>;
    if (threads > 1 && !ownRows && outSt[J.rank - 1] != 0 && n >= 256 * threads) {
      // the inner dim is kept: each thread folds every row of its own columns, in order (one range per thread,
      // a multiple of 16 so that they do not share cache lines of the accumulator, and at least 256 wide: with
      // narrower ranges a row's fold costs more than it saves, [1024, 128] over rows ran 4x slower on 2 threads
      // in 16-column ranges than on one)
      forThreadRanges(threads, n, 16, [&](int64_t c0, int64_t c1) {
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
