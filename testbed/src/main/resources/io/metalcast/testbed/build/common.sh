# Shared helpers for the metalcast image build scripts (sourced, bash).
set -euo pipefail
export LC_ALL=C

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "ERROR: $*" >&2; exit 1; }

BUSYBOX=${BUSYBOX:-/bin/busybox}

# install_busybox ROOT: the static busybox at ROOT/bin/busybox plus one symlink per applet (existing files are kept).
install_busybox() {
  local root=$1 applet
  [ -x "$BUSYBOX" ] || die "busybox: $BUSYBOX missing (expected: Debian package busybox-static)"
  if ldd "$BUSYBOX" >/dev/null 2>&1; then die "busybox: $BUSYBOX is dynamically linked (expected: busybox-static)"; fi
  mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
  cp "$BUSYBOX" "$root/bin/busybox"
  for applet in $("$BUSYBOX" --list-full); do
    [ -e "$root/$applet" ] || [ -L "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
}

# make_nodes ROOT: the device nodes the kernel needs before devtmpfs is mounted.
make_nodes() {
  mkdir -p "$1/dev"
  [ -e "$1/dev/console" ] || mknod -m 600 "$1/dev/console" c 5 1
  [ -e "$1/dev/null" ] || mknod -m 666 "$1/dev/null" c 1 3
}

# install_modules KROOT VERSION DESTROOT NAME...: copies the modules and all their dependencies (soft ones too) from
# KROOT/lib/modules/VERSION into DESTROOT/lib/modules/VERSION, writes metalcast.load (load order, one relative path a
# line) and runs depmod there so that modprobe works in the target too.
install_modules() {
  local kroot=$1 ver=$2 dest=$3; shift 3
  local src="$kroot/lib/modules/$ver" out="$dest/lib/modules/$ver" name path rel
  [ -f "$src/modules.dep" ] || die "modules: $src/modules.dep missing (expected: depmod already run)"
  mkdir -p "$out"
  : > "$out/metalcast.load.tmp"
  for name in "$@"; do
    local deps
    deps=$(modprobe -d "$kroot" -S "$ver" --show-depends "$name" 2>&1) || die "modules: $name: $deps"
    while read -r verb path _; do
      [ "$verb" = insmod ] || continue
      rel=${path#"$src/"}
      grep -qxF "$rel" "$out/metalcast.load.tmp" && continue
      mkdir -p "$out/$(dirname "$rel")"
      cp "$path" "$out/$rel"
      echo "$rel" >> "$out/metalcast.load.tmp"
    done <<< "$deps"
  done
  mv "$out/metalcast.load.tmp" "$out/metalcast.load"
  for f in modules.order modules.builtin modules.builtin.modinfo; do
    [ -f "$src/$f" ] && cp "$src/$f" "$out/$f"
  done
  depmod -b "$dest" "$ver"
}

# make_cpio DIR OUT: a gzip'd newc cpio archive of DIR, owned by root.
make_cpio() {
  (cd "$1" && find . -mindepth 1 | sed 's|^\./||' | sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 > "$2"
}

# ephemeral_modules INITRD DIR: unpacks the kernel modules of the ephemeral initramfs INITRD into DIR; prints the version.
ephemeral_modules() {
  local initrd=$1 dir=$2 kver
  mkdir -p "$dir"
  (cd "$dir" && gzip -dc "$initrd" | cpio -idm --quiet 'lib/modules/*')
  kver=$(ls "$dir/lib/modules" | head -n1)
  [ -n "$kver" ] || die "sample: no modules in $initrd"
  echo "$kver"
}

# sample_initramfs KROOT KVER RESDIR DIR OUT: the sample images' initramfs (busybox, virtio_blk, ext4 and an init that
# mounts root= of the kernel command line and switches into it), built in DIR, written to OUT.
sample_initramfs() {
  local kroot=$1 kver=$2 res=$3 ird=$4 out=$5
  mkdir -p "$ird"/{proc,sys,run,tmp,root,etc}
  install_busybox "$ird"
  make_nodes "$ird"
  install_modules "$kroot" "$kver" "$ird" virtio_pci virtio_blk crc32c ext4
  install -m 0755 "$res/sample/initramfs-init" "$ird/init"
  make_cpio "$ird" "$out"
}

# sample_root RESDIR DIR KVER: the sample images' busybox root that looks like Ubuntu 22.04 (os-release, cloud-init and
# netplan markers, /curtin) and whose /sbin/init prints METALCAST-DEPLOYED <hostname> and powers off.
sample_root() {
  local res=$1 rfs=$2 kver=$3
  mkdir -p "$rfs"/{proc,sys,dev,run,tmp,root,etc,curtin,var/log,usr/bin,usr/sbin}
  chmod 1777 "$rfs/tmp"
  install_busybox "$rfs"
  make_nodes "$rfs"
  rm -f "$rfs/sbin/init"
  install -m 0755 "$res/sample/init" "$rfs/sbin/init"
  install -m 0755 "$res/sample/cloud-init" "$rfs/usr/bin/cloud-init"
  install -m 0755 "$res/sample/netplan" "$rfs/usr/sbin/netplan"
  cat > "$rfs/etc/os-release" <<'EOT'
PRETTY_NAME="Ubuntu 22.04 LTS (metalcast sample)"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy
EOT
  echo unnamed > "$rfs/etc/hostname"
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$rfs/etc/passwd"
  printf 'root:x:0:\n' > "$rfs/etc/group"
  printf '127.0.0.1 localhost\n' > "$rfs/etc/hosts"
  echo "metalcast sample image, kernel $kver" > "$rfs/curtin/README"
}
