#!/usr/bin/env bash
# Creates (or reuses) the Python environment of the companion package and prints its python on the last line:
# the pinned python/requirements.txt, then python/ itself (editable, so the tests always run this tree's code).
#   bash python/scripts/python-env.sh           -> .../bin/python
# Location: $SAFEKEY_TORCH_ENV, default $HOME/.cache/safekey-ts/torch (where test/torch-parity.test.ts looks).
# Packages come from pip's configured indexes / find-links; PIP_RETRIES=0 saves the wait where the default index
# is unreachable. Progress goes to stderr. A second run reinstalls only when requirements.txt or this tree moved.
set -euo pipefail

pkg="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$pkg/requirements.txt"
env_dir="${SAFEKEY_TORCH_ENV:-$HOME/.cache/safekey-ts/torch}"
python="${PYTHON:-python3}"
stamp="$env_dir/.safekey-torch.stamp"
want="$(sha256sum "$req" | cut -d' ' -f1) $pkg"

if [ ! -x "$env_dir/bin/python" ]; then
  echo "python-env: creating $env_dir with $($python --version 2>&1)" >&2
  mkdir -p "$(dirname "$env_dir")"
  "$python" -m venv "$env_dir"
fi

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "python-env: installing $req and $pkg (torch alone takes a minute or more)" >&2
  "$env_dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  "$env_dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$pkg" >&2
  "$env_dir/bin/python" -c 'import safekey_torch.train, safekey_torch.loss' >&2
  echo "$want" > "$stamp"
else
  echo "python-env: reusing $env_dir" >&2
fi

echo "$env_dir/bin/python"
