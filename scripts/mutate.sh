#!/usr/bin/env bash
# npm run mutate [-- MODULE...] [-- STRYKER OPTIONS]: StrykerJS one module at a time (default: all
# of them), each with its own incremental file stryker/<module>.json (kept in the repository) so a
# later run retests only the mutants whose code or covering tests changed. Examples:
#   npm run mutate -- kernel/route
#   npm run mutate -- capture report -- --concurrency 2
# Reports: reports/mutation/<module>.json (mutation-testing-elements schema) and the score table.
set -euo pipefail
cd "$(dirname "$0")/.."
ALL=(kernel/netfilter kernel/ipv4 kernel/ipv6 kernel/route kernel/bridge kernel/core kernel/neigh kernel/transport capture packet report ui/filter.ts)
mods=(); extra=()
while [ $# -gt 0 ]; do
  if [ "$1" = -- ]; then shift; extra=("$@"); break; fi
  mods+=("$1"); shift
done
[ ${#mods[@]} -eq 0 ] && mods=("${ALL[@]}")
mkdir -p stryker reports/mutation
for m in "${mods[@]}"; do
  [ -e "src/$m" ] || { echo "mutate: no module src/$m" >&2; exit 2; }
  echo "== mutate src/$m"
  MUTATE_MODULE="$m" npx stryker run "${extra[@]}"
done
