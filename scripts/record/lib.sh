# Helpers sourced by every fixtures/kernel/<scenario>/setup.sh (bash, run as root by record.py).
# $H is the host netns (the one pktlife snapshots), $P the peer netns holding the other end of
# every host interface. Peer ends are enslaved to a bridge that stays DOWN: the kernel drops
# everything they receive at br_handle_frame with BRIDGE_INGRESS_STP_STATE (after the packet taps,
# so tcpdump still sees it), so the peer never answers and its drops are told apart from the
# host's by that reason (see record.py: PEER_DROP).
set -euo pipefail

hx() { ip netns exec "$H" "$@"; }

kf_init() {
  ip -n "$P" link add kfpbr type bridge
  ip netns exec "$P" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$H" link set lo up
  hx sysctl -qw net.ipv4.tcp_synack_retries=0
  # no ICMP rate limiting: errors sent in quick succession would otherwise depend on timing
  hx sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
  # IPv6 off unless the scenario turns it on: keeps DAD/RS/MLD traffic out of the frame windows.
  if [ "${1:-}" != ipv6 ]; then
    hx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  fi
}

# kf_link HOSTIF HOSTMAC PEERMAC: veth HOSTIF in $H, its peer kfp-HOSTIF in $P
kf_link() {
  ip -n "$P" link add "kfp-$1" address "$3" type veth peer name "$1" netns "$H" address "$2"
  ip -n "$P" link set "kfp-$1" master kfpbr
  ip -n "$P" link set "kfp-$1" up
  ip -n "$H" link set "$1" up
}
