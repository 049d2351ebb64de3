# sample-tarball.sh KERNEL EPHEMERAL_INITRD RESDIR OUT: a root tarball (gzip'd tar, as `tar -czf out -C root .` makes it)
# of the same busybox "Ubuntu 22.04" root as the raw sample, plus /boot (the kernel and the sample initramfs) and
# /curtin/curtin-hooks, which makes the installer's disk bootable with extlinux. The modules come out of the ephemeral
# initramfs.
. "$(dirname "$0")/common.sh"
kernel=$1 ephinitrd=$2 res=$3 out=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/sample-tarball.XXXXXX")
trap 'rm -rf "$work"' EXIT

kver=$(ephemeral_modules "$ephinitrd" "$work/eph")
rfs="$work/rootfs"
sample_root "$res" "$rfs" "$kver"
printf '# the installer makes one ext4 partition; curtin-hooks boots it by UUID\n' > "$rfs/etc/fstab"
mkdir -p "$rfs/boot" "$rfs/usr/lib/syslinux/mbr"
cp "$kernel" "$rfs/boot/vmlinuz-$kver"
ln -s "vmlinuz-$kver" "$rfs/boot/vmlinuz"
sample_initramfs "$work/eph" "$kver" "$res" "$work/initramfs" "$rfs/boot/initrd.img-$kver"
ln -s "initrd.img-$kver" "$rfs/boot/initrd.img"
mbr=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$mbr" ] || die "sample: $mbr missing (expected: Debian package syslinux-common)"
cp "$mbr" "$rfs/usr/lib/syslinux/mbr/mbr.bin"
install -m 0755 "$res/sample/curtin-hooks" "$rfs/curtin/curtin-hooks"
rm -f "$out"
tar -C "$rfs" --numeric-owner --owner=0 --group=0 --sort=name -czf "$out" .
log "sample: root tarball $(($(stat -c %s "$out") / 1024)) KiB, kernel $kver"
