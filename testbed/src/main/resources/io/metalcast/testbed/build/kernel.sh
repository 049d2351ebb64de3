# kernel.sh PACKAGE VERSION OUTDIR: downloads and unpacks the kernel package into OUTDIR/root, decompresses modules if the
# package ships them compressed (bookworm's are plain .ko), runs depmod, writes OUTDIR/kernel-version.
. "$(dirname "$0")/common.sh"
pkg=$1 ver=$2 out=$3
mkdir -p "$out/deb" "$out/root"
log "kernel: downloading $pkg=$ver"
(cd "$out/deb" && apt-get download -q -o DPkg::Lock::Timeout=600 "$pkg=$ver" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
deb=$(ls "$out"/deb/*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || die "kernel: apt-get download $pkg=$ver produced no .deb"
log "kernel: unpacking $(basename "$deb")"
dpkg-deb -x "$deb" "$out/root"
rm -rf "$out/deb"
# Debian 12 ships /lib/modules; newer releases /usr/lib/modules. Normalise to lib/modules.
if [ ! -d "$out/root/lib/modules" ] && [ -d "$out/root/usr/lib/modules" ]; then
  mkdir -p "$out/root/lib" && ln -s ../usr/lib/modules "$out/root/lib/modules"
fi
kver=$(ls "$out/root/lib/modules" | head -n1)
[ -n "$kver" ] || die "kernel: no lib/modules/<version> in $pkg"
[ -f "$out/root/boot/vmlinuz-$kver" ] || die "kernel: boot/vmlinuz-$kver missing in $pkg"
n=$(find "$out/root/lib/modules/$kver" \( -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' \) | wc -l)
if [ "$n" -gt 0 ]; then
  log "kernel: decompressing $n compressed modules"
  find "$out/root/lib/modules/$kver" -name '*.ko.xz' -exec xz -d {} +
  find "$out/root/lib/modules/$kver" -name '*.ko.zst' -exec zstd -q -d --rm {} +
  find "$out/root/lib/modules/$kver" -name '*.ko.gz' -exec gzip -d {} +
fi
depmod -b "$out/root" "$kver"
echo "$kver" > "$out/kernel-version"
log "kernel: $kver ready ($(find "$out/root/lib/modules/$kver" -name '*.ko' | wc -l) modules, plain .ko)"
