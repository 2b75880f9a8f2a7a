#!/bin/bash
# Prepares .gpu/ (ignored by git) for a run on the lent GPU machine: Node, the Vulkan loaders and Dawn's
# binding (shared/gpu/make-carry.sh), gpu.js with its two dependencies, and this package's device script
# bundled into one file. Usage, from the repository root:  bash bench/gpu-device/prepare.sh
set -euo pipefail
root=$(git rev-parse --show-toplevel); cd "$root"
wg=packages/gpujs/node_modules/webgpu; [ -d "$wg" ] || wg=node_modules/webgpu
bash ../shared/gpu/make-carry.sh "$wg"
for p in gpu.js acorn gpu-mock.js; do
  mkdir -p ".gpu/node_modules/$p"
  (cd "node_modules/$p" && cp -r package.json $( [ -d src ] && echo src ) $( [ -d dist ] && [ "$p" != gpu.js ] && echo dist ) $( [ -f index.js ] && echo index.js ) "$root/.gpu/node_modules/$p/")
done
node_modules/.bin/esbuild bench/gpu-device/run.ts --bundle --platform=node --format=esm --conditions=development \
  --external:gpu.js --external:webgpu --outfile=.gpu/gpujs-device.mjs \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
du -sh .gpu
echo 'run on the device:  bash .gpu/setup.sh && source /tmp/gpu-env && /tmp/node .gpu/gpujs-device.mjs'
