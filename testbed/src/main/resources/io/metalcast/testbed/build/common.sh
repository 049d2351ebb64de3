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
