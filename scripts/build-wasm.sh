#!/usr/bin/env bash
# Builds crypto-wasm for wasm32-unknown-unknown with Debian's offline Rust toolchain and copies
# the module to src/crypto/provkit-crypto.wasm, or to the path given as the first argument.
# The build is byte-for-byte reproducible, so CI compares a rebuild with the committed file.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
crate="$root/crypto-wasm"
output="${1:-$root/src/crypto/provkit-crypto.wasm}"
# Debian's cargo and rustc, never a rustup toolchain earlier on PATH: it has no wasm32 target
# and its cargo fails with Debian's rustc.
cargo="${CARGO:-/usr/bin/cargo}"

require_toolchain() {
  local missing=()
  [ -x "$cargo" ] || missing+=("cargo ($cargo)")
  [ -x /usr/bin/rustc ] || missing+=("rustc (/usr/bin/rustc)")
  [ -d /usr/lib/rustlib/wasm32-unknown-unknown ] || missing+=("the wasm32 standard library (libstd-rust-dev-wasm32)")
  [ -d /usr/share/cargo/registry/sha2-0.10.5 ] || [ -n "$(ls -d /usr/share/cargo/registry/sha2-* 2>/dev/null)" ] \
    || missing+=("the packaged crates (librust-sha2-dev and friends)")
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "error: the Rust toolchain for crypto-wasm is missing: ${missing[*]}." >&2
    echo "Install it with 'sudo bash scripts/install-deps.sh' (Debian packages rustc cargo" >&2
    echo "libstd-rust-dev-wasm32 lld librust-sha2-dev librust-hkdf-dev librust-zeroize-dev librust-rust-argon2-dev)." >&2
    exit 1
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  require_toolchain
  cd "$crate"
  "$cargo" build --release --locked
  mkdir -p "$(dirname "$output")"
  cp target/wasm32-unknown-unknown/release/provkit_crypto.wasm "$output"
  echo "build-wasm: wrote $output ($(wc -c < "$output") bytes, sha256 $(sha256sum "$output" | cut -c1-16)…)"
fi
