# sample-image.sh KERNEL EPHEMERAL_INITRD RESDIR OUT: a raw MBR disk image: partition 1 bootable FAT with syslinux, the
# kernel and a small initramfs; partition 2 ext4 (label metalcast-root) holding a busybox "Ubuntu 22.04" root whose init
# prints METALCAST-DEPLOYED <hostname> and powers off. The modules come out of the ephemeral initramfs.
. "$(dirname "$0")/common.sh"
kernel=$1 ephinitrd=$2 res=$3 out=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/sample-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

disk_mib=64 boot_start=2048 boot_sectors=$((24 * 2048))
root_start=$((boot_start + boot_sectors))
root_sectors=$((disk_mib * 2048 - root_start))

kver=$(ephemeral_modules "$ephinitrd" "$work/eph")

# initramfs: busybox, virtio_blk and ext4, an init that mounts the root partition and switches into it.
sample_initramfs "$work/eph" "$kver" "$res" "$work/initramfs" "$work/initrd.img"

# root filesystem
rfs="$work/rootfs"
sample_root "$res" "$rfs" "$kver"
printf 'LABEL=metalcast-root / ext4 defaults 0 1\n' > "$rfs/etc/fstab"
mkfs.ext4 -q -F -L metalcast-root -d "$rfs" -O ^has_journal "$work/root.img" "$((root_sectors / 2))k" >&2

# boot partition: FAT, syslinux, kernel, initramfs
mkfs.vfat -n MCBOOT -C "$work/boot.img" "$((boot_sectors / 2))" >/dev/null
syslinux --install "$work/boot.img"
cat > "$work/syslinux.cfg" <<'EOT'
DEFAULT sample
PROMPT 0
TIMEOUT 0
LABEL sample
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND root=LABEL=metalcast-root console=ttyS0
EOT
mcopy -i "$work/boot.img" "$kernel" ::/vmlinuz
mcopy -i "$work/boot.img" "$work/initrd.img" ::/initrd.img
mcopy -i "$work/boot.img" "$work/syslinux.cfg" ::/syslinux.cfg

# disk: MBR boot code, partition table, both partitions
rm -f "$out"
truncate -s "${disk_mib}M" "$out"
sfdisk -q "$out" <<EOT >&2
label: dos
start=$boot_start, size=$boot_sectors, type=c, bootable
start=$root_start, size=$root_sectors, type=83
EOT
mbr=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$mbr" ] || die "sample: $mbr missing (expected: Debian package syslinux-common)"
dd if="$mbr" of="$out" bs=440 count=1 conv=notrunc status=none
dd if="$work/boot.img" of="$out" bs=512 seek="$boot_start" conv=notrunc,sparse status=none
dd if="$work/root.img" of="$out" bs=512 seek="$root_start" conv=notrunc,sparse status=none
log "sample: ${disk_mib} MiB disk, boot $((boot_sectors / 2048)) MiB FAT, root $((root_sectors / 2048)) MiB ext4, kernel $kver"
