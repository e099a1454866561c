// `pktlife snapshot --script`: the snapshot as a POSIX sh script for hosts without Node. It runs
// the same commands as takeSnapshot (SNAPSHOT_COMMANDS) with only iproute2, nft, iptables-save,
// ipset, nfacct, ss, sysctl and tc (plus sh, grep, sort, awk, tar, gzip), and writes NAME.tar.gz holding
// NAME/ with the same files; `replay --host NAME.tar.gz` reads it as it is.
import { SNAPSHOT_COMMANDS } from './snapshot.js';

/** shell words, quoted where needed (the commands are fixed strings: no quote inside) */
const sh = (argv: string[]): string => argv.map((a) => (/^[\w./=:+-]+$/.test(a) ? a : `'${a}'`)).join(' ');

/** what the script runs for a command that post-processes or composes (kept in step with snapshot.ts) */
const SPECIAL: Record<string, string> = {
  // filterSysctl: net.* keys only, sorted by key (LC_ALL=C; ' ' sorts before '.', as a shorter key)
  'sysctl.txt': `runf sysctl.txt sysctl -a && { grep '^net\\.' "$tmp/out" | sort -t= -k1,1 >"$dir/sysctl.txt" || true; }`,
  // composeTcFilters: per device with an ingress/clsact qdisc, its ingress and egress filters
  'tc-filter.json': `if have tc && [ -s "$dir/tc-qdisc.json" ]; then
  parts=''
  for q in $(tc qdisc show | awk '$2 == "ingress" || $2 == "clsact" { for (i = 1; i < NF; i++) if ($i == "dev") print $2 ":" $(i + 1) }'); do
    kind=\${q%%:*}; dev=\${q#*:}
    case " $seen " in *" $dev "*) continue ;; esac
    seen="$seen $dev"
    ing=$(tc -j filter show dev "$dev" ingress) || fail "tc -j filter show dev $dev ingress"
    egr='[]'
    [ "$kind" = clsact ] && { egr=$(tc -j filter show dev "$dev" egress) || fail "tc -j filter show dev $dev egress"; }
    [ -n "$ing" ] || ing='[]'; [ -n "$egr" ] || egr='[]'
    # u32Roots: each u32 instance's root table (tc filter get ... handle fff: u32 answers tp->root)
    roots=''
    for hook in ingress egress; do
      [ "$hook" = ingress ] && dump=$ing || dump=$egr
      for t in $(printf '%s' "$dump" | grep -o '{"protocol":"[^"]*","pref":[0-9]*,"kind":"u32","chain":[0-9]*}' | sed 's/^{"protocol":"\\([^"]*\\)","pref":\\([0-9]*\\),"kind":"u32","chain":\\([0-9]*\\)}$/\\1,\\2,\\3/'); do
        r=$(tc -j filter get dev "$dev" $hook chain "\${t##*,}" pref "$(printf '%s' "$t" | cut -d, -f2)" protocol "\${t%%,*}" handle fff: u32) || fail "tc -j filter get dev $dev $hook ... handle fff: u32"
        r=\${r#\[}; r=\${r%]}
        [ -n "$r" ] && roots="$roots\${roots:+, }$r"
      done
    done
    [ -n "$roots" ] && roots=", \\"u32_roots\\": [$roots]"
    parts="$parts\${parts:+,
}\\"$dev\\": {\\"ingress\\": $ing, \\"egress\\": $egr$roots}"
  done
  [ -n "$parts" ] && printf '{\\n%s\\n}\\n' "$parts" >"$dir/tc-filter.json"
fi`,
};

export function snapshotScript(): string {
  const lines: string[] = [];
  for (const c of SNAPSHOT_COMMANDS) {
    const special = SPECIAL[c.file];
    if (special) lines.push(special);
    else if (c.filter || c.compose) throw new Error(`snapshot --script: no shell form for ${c.file}`);
    else lines.push(`run ${c.file} ${sh(c.argv)}`);
  }
  const files = SNAPSHOT_COMMANDS.map((c) => c.file).join(' ');
  return `#!/bin/sh
# pktlife host snapshot, for hosts without Node: run as root on the host (or inside
# \`ip netns exec NAME\`) as  sh pktlife-snapshot.sh [NAME]  ->  NAME.tar.gz (default: uname -n),
# holding NAME/ with the files of \`pktlife snapshot\`: ${files}.
# Then elsewhere:  pktlife replay CAPTURE --host NAME.tar.gz
# Needs iproute2 (ip, bridge, ss, tc), nft, iptables-save, ip6tables-save, ipset, sysctl (nfacct when installed); a tool
# that is missing is reported and its file left out (pktlife then uses the kernel default).
set -u
export LC_ALL=C
PATH=$PATH:/usr/sbin:/sbin:/usr/bin:/bin
name=\${1:-$(uname -n)}
case "$name" in */*|''|.|..) echo "pktlife snapshot: bad name: $name" >&2; exit 2 ;; esac
out=$(pwd)/$name.tar.gz
tmp=\${TMPDIR:-/tmp}/pktlife-snapshot.$$
dir=$tmp/$name
umask 077
rm -rf "$tmp" && mkdir -p "$dir" || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
seen=''
missing=''
commands=''
have() { command -v "$1" >/dev/null 2>&1; }
fail() { echo "pktlife snapshot: snapshot command failed: $*: $(head -n 3 "$tmp/err" 2>/dev/null | tr '\\n' ' ')" >&2; exit 1; }
# runf FILE CMD...: CMD's output in $tmp/out (0), or the tool is missing (1); a failing command stops
runf() {
  f=$1; shift
  if ! have "$1"; then
    echo "pktlife snapshot: $1 not found: $f not written (loader uses the kernel default)" >&2
    missing="$missing\${missing:+,}{\\"file\\": \\"$f\\", \\"tool\\": \\"$1\\"}"
    return 1
  fi
  "$@" >"$tmp/out" 2>"$tmp/err" || fail "$*"
  commands="$commands\${commands:+,}{\\"file\\": \\"$f\\", \\"command\\": \\"$*\\"}"
  return 0
}
run() { f=$1; shift; if runf "$f" "$@"; then cp "$tmp/out" "$dir/$f"; fi; }
${lines.join('\n')}
printf '{"pktlifeSnapshot": 1, "netns": null, "kernelRelease": "%s", "commands": [%s], "missing": [%s], "versions": {}, "by": "pktlife snapshot --script"}\\n' "$(uname -r)" "$commands" "$missing" >"$dir/snapshot.json"
(cd "$tmp" && tar -cf - "$name") | gzip -c >"$out" || { echo "pktlife snapshot: cannot write $out" >&2; exit 1; }
echo "pktlife snapshot: wrote $(ls "$dir" | wc -l | tr -d ' ') files to $out" >&2
`;
}
