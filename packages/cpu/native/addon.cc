// The native kernels of @safekey-ts/cpu: a small N-API addon over oneDNN (Debian's libdnnl, OpenMP runtime).
// Plain node_api.h, no C++ wrapper library. Every function is synchronous and works on the memory of the
// typed arrays it is given (no copies). One file per concern: gemm, ewise (the element-wise VM), reduce,
// attention, rope, threads (the chunk pool and placement); this one is the module's table.
#include "common.h"

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
    { "sgemmBf16B", nullptr, SgemmBf16B, nullptr, nullptr, nullptr, napi_default, nullptr },
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
