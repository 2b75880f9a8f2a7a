{
  "targets": [{
    "target_name": "safekey_cpu",
    "sources": ["addon.cc", "threads.cc", "gemm.cc", "ewise.cc", "reduce.cc", "attention.cc", "rope.cc"],
    "cflags_cc": ["-O3", "-march=native", "-fopenmp", "-std=c++17", "-ffp-contract=off"],
    "cflags_cc!": ["-fno-exceptions"],
    "ldflags": ["-fopenmp"],
    "libraries": ["-ldnnl", "-lgomp"]
  }]
}
