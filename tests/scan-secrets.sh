#!/usr/bin/env bash
# Fails if any test secret appears in the given output files: test output must never carry one,
# whatever failed. Usage: tests/scan-secrets.sh FILE...
set -euo pipefail
secrets=(
  post-secret-0123456789 'a+b/c=d%e&f:g' second-secret-abcdef  # the dev authority's clients
  reserved-secret-7a6b                                          # the client with reserved characters
  fault-secret-9f8e7d fork-secret wrong-secret                  # secrets of the fault, fork and C tests
  Sup3rS3cret! pr0xy-pa55word not-the-password                # a secret given as a path; proxy passwords
)
status=0
for file in "$@"; do
  for secret in "${secrets[@]}"; do
    if grep -qF -- "$secret" "$file"; then
      echo "SECRET LEAK: '$file' contains a test secret" >&2
      status=1
    fi
  done
done
[ $status -eq 0 ] && echo "secret scan: no test secret in $*"
exit $status
