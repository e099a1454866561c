#!/usr/bin/env bash
# npm run mutate [-- MODULE|FILE...] [-- STRYKER OPTIONS]: StrykerJS one module at a time (default:
# all of them), each with its own incremental file stryker/<module>.json (kept in the repository) so
# a later run retests only the mutants whose code or covering tests changed. Examples:
#   npm run mutate -- kernel/route
#   npm run mutate -- capture report -- --concurrency 2
#   npm run mutate -- kernel/netfilter/nf_conntrack.ts kernel/netfilter/nf_nat.ts
# A FILE inside a module mutates only that file (files of one module in one run) and updates the
# module's incremental file: the results of its other files are kept, so a big module can be
# measured file by file and its report still covers the whole module.
# MUTATE_PART=NAME (environment) keeps a separate incremental file and report for a part of a big
# module (stryker/kernel-netfilter.NAME.json), e.g. MUTATE_PART=ct npm run mutate -- kernel/netfilter/nf_conntrack.ts
# MUTATE_TESTS=GLOB[,GLOB...] (environment) runs the mutants against those tests only (the score is
# then a floor), e.g. MUTATE_TESTS='test/netfilter/nat*.test.ts' for a part pinned by a few files.
# Reports: reports/mutation/<module>.json (mutation-testing-elements schema), the score table and
# reports/mutation/<module>.survivors.txt (rewritten from the report at the end of each run).
set -euo pipefail
cd "$(dirname "$0")/.."
ALL=(kernel/netfilter kernel/ipv4 kernel/ipv6 kernel/route kernel/bridge kernel/core kernel/neigh kernel/transport capture packet report ui/filter.ts)
args=(); extra=()
while [ $# -gt 0 ]; do
  if [ "$1" = -- ]; then shift; extra=("$@"); break; fi
  args+=("$1"); shift
done
[ ${#args[@]} -eq 0 ] && args=("${ALL[@]}")
# module of each argument: itself when it is one, else the module directory holding the file
mods=(); declare -A files=()
for a in "${args[@]}"; do
  a=${a#src/}
  [ -e "src/$a" ] || { echo "mutate: no module or file src/$a" >&2; exit 2; }
  m=""
  for x in "${ALL[@]}"; do
    if [ "$a" = "$x" ]; then m=$x; break; fi
    case "$a" in "$x"/*) m=$x; break;; esac
  done
  [ -n "$m" ] || { echo "mutate: src/$a is in none of the modules: ${ALL[*]}" >&2; exit 2; }
  [[ " ${mods[*]} " == *" $m "* ]] || mods+=("$m")
  [ "$a" != "$m" ] && files[$m]+="${files[$m]:+,}src/$a"
done
mkdir -p stryker reports/mutation
for m in "${mods[@]}"; do
  sel=()
  [ -n "${files[$m]:-}" ] && sel=(--mutate "${files[$m]}")
  echo "== mutate src/$m ${files[$m]:-}"
  MUTATE_MODULE="$m" npx stryker run "${sel[@]}" "${extra[@]}"
  node scripts/mutate-post.mjs "$m"
done
