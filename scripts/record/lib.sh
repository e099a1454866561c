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

# kf_firewalld: runs the Debian package's firewalld (nftables backend) in $H, confined: a private
# mount namespace with a tmpfs on /run (its own system bus socket /run/dbus/system_bus_socket, from a
# private dbus-daemon whose policy lets anyone own and call anything), a private copy of
# /etc/firewalld (CleanupOnExit=no, so its rules stay when it stops), then the firewall-cmd
# commands read from stdin (one per line, run with sh -e), then stops firewalld and the bus by pid.
kf_firewalld() {
  command -v firewalld >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends firewalld >/dev/null
  local U=/tmp/kfrec-firewalld
  rm -rf "$U" && mkdir -p "$U" && cp -a /etc/firewalld "$U/etc"
  sed -i 's/^CleanupOnExit=.*/CleanupOnExit=no/' "$U/etc/firewalld.conf"
  cat > "$U/cmds.sh"
  cat > "$U/dbus.conf" <<'DBUS'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
DBUS
  hx unshare -m sh -ec "
mount -t tmpfs kfrec-run /run
mkdir -p /run/dbus
mount --bind '$U/etc' /etc/firewalld
dbus-daemon --config-file='$U/dbus.conf' --fork --print-pid > '$U/dbus.pid'
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket
firewalld --nofork --nopid --log-target console > '$U/firewalld.log' 2>&1 &
echo \$! > '$U/firewalld.pid'
ok=
for i in \$(seq 1 100); do firewall-cmd --state >/dev/null 2>&1 && { ok=1; break; }; sleep 0.2; done
[ -n \"\$ok\" ] || { cat '$U/firewalld.log' >&2; kill \$(cat '$U/firewalld.pid') \$(cat '$U/dbus.pid'); exit 1; }
st=0
sh -ex '$U/cmds.sh' > '$U/cmds.log' 2>&1 || { st=1; cat '$U/cmds.log' '$U/firewalld.log' >&2; }
kill \$(cat '$U/firewalld.pid')
wait
kill \$(cat '$U/dbus.pid')
exit \$st
"
  rm -rf "$U"
}
