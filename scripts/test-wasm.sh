#!/usr/bin/env bash
# Runs the crate's native tests (RFC 9106 Argon2id, NIST SHA-2 and RFC 5869 HKDF vectors, and
# the SIMD/scalar/rust-argon2 agreement test), then rebuilds the module and fails when the
# rebuild differs byte for byte from the committed src/crypto/provkit-crypto.wasm.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=build-wasm.sh
source "$root/scripts/build-wasm.sh"
require_toolchain

host="$(/usr/bin/rustc -vV | sed -n 's/^host: //p')"
(cd "$root/crypto-wasm" && "$cargo" test --release --locked --target "$host")

committed="$root/src/crypto/provkit-crypto.wasm"
rebuilt="$(mktemp --suffix=.wasm)"
trap 'rm -f "$rebuilt"' EXIT
bash "$root/scripts/build-wasm.sh" "$rebuilt"

if [ ! -f "$committed" ]; then
  echo "error: $committed is missing; run scripts/build-wasm.sh and commit the module." >&2
  exit 1
fi
if ! cmp -s "$committed" "$rebuilt"; then
  echo "error: src/crypto/provkit-crypto.wasm differs from a rebuild of crypto-wasm" >&2
  echo "(committed sha256 $(sha256sum "$committed" | cut -d' ' -f1), rebuilt $(sha256sum "$rebuilt" | cut -d' ' -f1))." >&2
  echo "Run scripts/build-wasm.sh and commit src/crypto/provkit-crypto.wasm." >&2
  exit 1
fi
echo "test-wasm: native tests passed and the committed module matches the rebuild"
