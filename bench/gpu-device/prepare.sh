#!/bin/bash
# Fills .gpu/ (ignored by git) with what a run of the gpu.js backend on a lent GPU machine needs, since that
# machine starts bare: this machine's Node (xz-compressed), the Vulkan and GLVND loader packages (without them
# NVIDIA's Vulkan driver is not found), Dawn's WebGPU binding from the `webgpu` package, gpu.js with its two
# dependencies, and bench/gpu-device/run.ts bundled into one file.
# Usage, from the repository root:  bash bench/gpu-device/prepare.sh
# Then, with the device tool: carry [".gpu"], command
#   bash .gpu/setup.sh && source /tmp/gpu-env && /tmp/node .gpu/gpujs-device.mjs
set -euo pipefail
root=$(git rev-parse --show-toplevel); cd "$root"
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
mkdir -p .gpu/debs

# Node, as a compressed binary (the GPU machine has none)
[ -f .gpu/node.xz ] || xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > .gpu/node.xz

# loader packages for amd64, downloaded (not installed) with an apt state of their own
if ! ls .gpu/debs/libvulkan1_*.deb >/dev/null 2>&1; then
  lists=$(mktemp -d); mkdir -p "$lists/partial"
  apt_amd64=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
  apt-get "${apt_amd64[@]}" update -qq
  (cd .gpu/debs && apt-get "${apt_amd64[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

# Dawn's binding (the optional `webgpu` dependency of the gpujs package)
wg=packages/gpujs/node_modules/webgpu; [ -d "$wg" ] || wg=node_modules/webgpu
if [ -f "$wg/dist/linux-x64/dawn.node" ]; then
  mkdir -p .gpu/node_modules/webgpu/dist/linux-x64
  cp "$wg/package.json" "$wg/index.js" .gpu/node_modules/webgpu/
  cp "$wg/dist/linux-x64/dawn.node" .gpu/node_modules/webgpu/dist/linux-x64/
else
  echo "no $wg/dist/linux-x64/dawn.node: WebGPU will not run on the device" >&2
fi

# gpu.js and what it loads at run time
for p in gpu.js acorn gpu-mock.js; do
  mkdir -p ".gpu/node_modules/$p"
  (cd "node_modules/$p" && cp -r package.json $( [ -d src ] && echo src ) $( [ -d dist ] && [ "$p" != gpu.js ] && echo dist ) $( [ -f index.js ] && echo index.js ) "$root/.gpu/node_modules/$p/")
done

# what runs there: unpack Node and the loaders, point Vulkan at the NVIDIA driver
cat > .gpu/setup.sh <<'S'
#!/bin/bash
here=$(dirname "$0")
xz -dc "$here/node.xz" > /tmp/node && chmod +x /tmp/node
for deb in "$here"/debs/*.deb; do dpkg -x "$deb" /; done
ldconfig
echo "export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json" > /tmp/gpu-env
S
chmod +x .gpu/setup.sh

node_modules/.bin/esbuild bench/gpu-device/run.ts --bundle --platform=node --format=esm --conditions=development \
  --external:gpu.js --external:webgpu --outfile=.gpu/gpujs-device.mjs \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
du -sh .gpu
echo 'run on the device:  bash .gpu/setup.sh && source /tmp/gpu-env && /tmp/node .gpu/gpujs-device.mjs'
