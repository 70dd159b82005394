#!/usr/bin/env bash
# Baseline for scripts/bench/provisioning.ts: creates COUNT Provision Requests with the OpenSSL
# CLI, as a script without provkit would. Per device it makes two P-256 keys and CSRs, a JSON
# manifest with the CSRs in base64, and a CMS SignedData over it signed by the provisioning
# identity. Usage: provisioning-openssl.sh WORKDIR COUNT, where WORKDIR holds signer.pem,
# signer.key and chain.pem. Prints nothing; the caller times the run.
set -euo pipefail
work="$1"
count="$2"
content_type='2.25.300802731784258787529098553703660543112.1'
cd "$work"
for ((i = 0; i < count; i++)); do
  hardware_id="SN-$i"
  csrs=''
  for role in identity tls; do
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$hardware_id-$role.key" \
      -subj "/CN=$hardware_id/serialNumber=$hardware_id/OU=pump" -outform DER -out "$hardware_id-$role.csr" 2>/dev/null
    csr_base64=$(base64 -w0 "$hardware_id-$role.csr")
    csrs="$csrs${csrs:+,}{\"role\":\"$role\",\"algorithm\":\"ecdsa-p256\",\"csr\":\"$csr_base64\"}"
  done
  request_id=$(cat /proc/sys/kernel/random/uuid)
  created_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  printf '{"type":"mcpr","formatVersion":"1.0","requestId":"%s","systemId":"00000000-0000-4000-8000-000000000000","componentHandle":"pump","hardwareId":"%s","profileId":"00000000-0000-4000-8000-000000000001","purpose":"initial","createdAt":"%s","csrs":[%s]}' \
    "$request_id" "$hardware_id" "$created_at" "$csrs" >"$hardware_id.json"
  openssl cms -sign -binary -nodetach -outform DER -in "$hardware_id.json" -out "$hardware_id.mcpr" \
    -signer signer.pem -inkey signer.key -certfile chain.pem -md sha256 -econtent_type "$content_type"
done
