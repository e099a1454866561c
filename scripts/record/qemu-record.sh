#!/bin/bash
# Record scenarios on another kernel than the machine's: a Debian kernel booted in qemu (TCG, so
# no KVM needed) whose root is this machine's / over 9p, running scripts/record/record.py there.
# Used for what the machine's kernel lacks (nft-flowtable: this 6.18 has no CONFIG_NF_FLOW_TABLE).
#
#   flock /work/record.lock scripts/record/qemu-record.sh SCENARIO...
#
# Root only. Everything lives in /tmp/kfqemu (the kernel package extracted there, never installed).
# Inside the VM: its own proc/sys/dev/run (checked before anything else runs: /proc must be the
# VM's), modules from the extracted package (kernel.modprobe points at a wrapper), the project's
# dist/ built here first (the VM skips `npx tsc`: under emulation it takes minutes).
set -euo pipefail
KPKG=${KPKG:-linux-image-6.1.0-50-amd64-unsigned}
KVER=${KVER:-6.1.0-50-amd64}
Q=/tmp/kfqemu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "qemu-record: root only" >&2; exit 2; }
[ $# -gt 0 ] || { echo "usage: qemu-record.sh SCENARIO..." >&2; exit 2; }
for t in qemu-system-x86_64:qemu-system-x86 busybox:busybox-static depmod:kmod; do
  command -v "${t%%:*}" >/dev/null || apt-get install -y --no-install-recommends "${t##*:}" >/dev/null
done
mkdir -p "$Q"
if [ ! -f "$Q/root/boot/vmlinuz-$KVER" ]; then
  (cd "$Q" && apt-get download "$KPKG" 2>/dev/null && dpkg -x "$KPKG"_*.deb root && rm -f "$KPKG"_*.deb)
  depmod -b "$Q/root" "$KVER"
fi
M=$Q/root/lib/modules/$KVER/kernel
# initramfs: busybox, the virtio/9p modules, mount the host's / and switch to it
I=$Q/initrd; rm -rf "$I"; mkdir -p "$I"/{bin,mods,proc,sys,dev,new}
cp "$(command -v busybox)" "$I/bin/busybox"
for m in drivers/virtio/virtio drivers/virtio/virtio_ring drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev \
         drivers/virtio/virtio_pci fs/netfs/netfs fs/fscache/fscache net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p; do cp "$M/$m.ko" "$I/mods/"; done
cat > "$I/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do insmod /mods/$m.ko; done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 hostroot /new || poweroff -f
mount -t tmpfs tmpfs /new/run
mount --move /proc /new/proc; mount --move /sys /new/sys; mount --move /dev /new/dev
exec switch_root /new /bin/bash /tmp/kfqemu/vm-init.sh
EOF
chmod +x "$I/init"
(cd "$I" && find . | busybox cpio -o -H newc 2>/dev/null | gzip > "$Q/initrd.gz")
mkdir -p "$Q/bin"
printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %s/root "$@"\n' "$Q" > "$Q/bin/modprobe-vm"
printf '#!/bin/bash\n[ "$1" = tsc ] && exit 0\nexec /usr/bin/npx "$@"\n' > "$Q/bin/npx"
chmod +x "$Q/bin/modprobe-vm" "$Q/bin/npx"
cat > "$Q/vm-init.sh" <<EOF
#!/bin/bash
export PATH=$Q/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mountpoint -q /proc || mount -t proc proc /proc
grep -q '$KVER' /proc/version || { echo "vm: /proc is not the VM's" > $Q/vm.log; poweroff -f; }
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /dev/shm
mount -t tracefs none /sys/kernel/tracing 2>/dev/null || true
echo $Q/bin/modprobe-vm > /proc/sys/kernel/modprobe
ip link set lo up
{ echo "vm: \$(cat /proc/version)"
  for m in veth bridge nf_tables nf_conntrack nf_nat nft_ct nft_masq nft_nat nft_chain_nat nf_flow_table nf_flow_table_inet nft_flow_offload ip_set nfnetlink_acct; do modprobe-vm \$m || echo "modprobe \$m failed"; done
  cd $ROOT && python3 scripts/record/record.py $*; echo "record rc=\$?"; } > $Q/vm.log 2>&1
sync; poweroff -f
EOF
chmod +x "$Q/vm-init.sh"
(cd "$ROOT" && npx tsc -p .)
rm -f "$Q/vm.log"
qemu-system-x86_64 -accel tcg -m 2048 -smp 1 -nographic -no-reboot -kernel "$Q/root/boot/vmlinuz-$KVER" -initrd "$Q/initrd.gz" \
  -append "console=ttyS0 panic=-1 no_timer_check noapic quiet" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,id=hr,multidevs=remap > "$Q/qemu.out" 2>&1
cat "$Q/vm.log"
grep -q 'record rc=0' "$Q/vm.log"
