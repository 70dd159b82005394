#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing: Chromium for the
# browser tests, OpenSSL as the independent verifier, the offline Rust toolchain and crates
# for crypto-wasm, and the reference argon2 command for the benchmark. Needs root (apt-get).
set -euo pipefail

packages=(
  chromium openssl argon2
  rustc cargo libstd-rust-dev-wasm32 lld
  librust-sha2-dev librust-rust-argon2-dev librust-hkdf-dev librust-hmac-dev librust-zeroize-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all Debian packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
