# rootfs.sh JDK INSTALLERDIR RESDIR KVER OUT COMP: the ephemeral root as a squashfs: busybox, a jlink'd Java runtime with
# the glibc it needs, the installer jars, /sbin/init.
. "$(dirname "$0")/common.sh"
jdk=$1 installer=$2 res=$3 kver=$4 out=$5 comp=$6
stage=$(mktemp -d "${TMPDIR:-/tmp}/rootfs.XXXXXX")
httpd=
trap 'umount "$stage/proc" 2>/dev/null || true; [ -z "$httpd" ] || kill "$httpd" 2>/dev/null || true; rm -rf "$stage"' EXIT
mkdir -p "$stage"/{proc,sys,dev,run,tmp,root,etc,mnt,target,lib/modules,media/root-ro,media/root-rw,opt/metalcast/installer}
chmod 1777 "$stage/tmp"
chmod 0700 "$stage/root"
install_busybox "$stage"
make_nodes "$stage"

jars=$(ls "$installer"/*.jar 2>/dev/null || true)
[ -n "$jars" ] || die "rootfs: no jars in $installer"
cp $jars "$stage/opt/metalcast/installer/"

base=java.base,java.net.http,java.logging,java.xml,jdk.unsupported,jdk.crypto.cryptoki
found=$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release base $jars 2>/dev/null | tail -n1 || true)
case "$found" in
  java.*|jdk.*) mods=$(echo "$base,$found" | tr , '\n' | sort -u | paste -sd, -) ;;
  *) log "rootfs: jdeps gave no module list, using $base"; mods=$base ;;
esac
log "rootfs: jlink $mods"
"$jdk/bin/jlink" --add-modules "$mods" --strip-debug --no-header-files --no-man-pages --compress=zip-6 \
  --generate-cds-archive --output "$stage/opt/metalcast/jre" >&2
# The archive for uncompressed oops is only used with heaps over 32 GB.
rm -f "$stage/opt/metalcast/jre/lib/server/classes_nocoops.jsa"
ln -s /opt/metalcast/jre/bin/java "$stage/usr/bin/java"

# Disk tools busybox lacks or cuts short, from Debian's util-linux and e2fsprogs: the installer partitions and
# formats the target for root tarballs (sfdisk, mkfs.ext4) and zeroes it before skipping zero blocks (blkdiscard -z,
# fallocate --punch-hole). The real binaries replace busybox's applets of the same name. extlinux (and the syslinux MBR
# boot code) for the hooks of root tarballs that install a BIOS bootloader, such as the lab's sample.
tools="sfdisk blkdiscard fallocate mkfs.ext4 e2fsck extlinux"
for t in $tools; do
  p=$(command -v "$t" || PATH=/usr/sbin:/sbin:$PATH command -v "$t") || die "rootfs: $t not found (packages util-linux, fdisk, e2fsprogs, extlinux)"
  for d in bin sbin usr/bin usr/sbin; do rm -f "$stage/$d/$t"; done
  mkdir -p "$stage$(dirname "$p")"
  cp -L "$p" "$stage$p"
done
cp /etc/mke2fs.conf "$stage/etc/mke2fs.conf"
mbr=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$mbr" ] || die "rootfs: $mbr missing (expected: Debian package syslinux-common)"
mkdir -p "$stage$(dirname "$mbr")"
cp "$mbr" "$stage$mbr"

# NSS's softoken (Debian's libnss3), which the installer hashes with under TCG (--sha256 nss, through the runtime's
# SunPKCS11): libnss3 loads the softoken, the softoken loads freebl, all from one directory, so they are copied by name.
nssdir=$(dirname "$(readlink -f "$(ldconfig -p | awk '$1 == "libnss3.so" && $NF ~ /^\// { print $NF; exit }')")")
nsslibs=
for l in libnss3.so libnssutil3.so libsoftokn3.so libfreeblpriv3.so; do
  [ -f "$nssdir/$l" ] || die "rootfs: $l not found in '$nssdir' (expected: Debian package libnss3)"
  nsslibs="$nsslibs $nssdir/$l"
done

# glibc and whatever else the runtime, NSS and the disk tools link against, at the paths the loader expects.
libs=$( ( (find "$stage/opt/metalcast/jre" -type f \( -name '*.so' -o -perm -u+x \); echo $nsslibs | tr ' ' '\n'; for t in $tools; do find "$stage"/bin "$stage"/sbin "$stage"/usr/bin "$stage"/usr/sbin -name "$t" -type f; done) \
  | while read -r f; do ldd "$f" 2>/dev/null || true; done \
  | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }'; echo $nsslibs | tr ' ' '\n') | sort -u)
for l in $libs; do
  case "$l" in "$stage"/*) continue ;; esac
  mkdir -p "$stage$(dirname "$l")"
  cp -L "$l" "$stage$l"
done
log "rootfs: host libraries: $(echo $libs | tr ' ' ',')"

printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$stage/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$stage/etc/hosts"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$stage/etc/nsswitch.conf"
: > "$stage/etc/resolv.conf"
echo metalcast-ephemeral > "$stage/etc/hostname"
printf 'ID=metalcast-ephemeral\nNAME="metalcast ephemeral"\nPRETTY_NAME="metalcast ephemeral environment (kernel %s)"\n' "$kver" > "$stage/etc/os-release"
rm -f "$stage/sbin/init"
install -m 0755 "$res/rootfs/init" "$stage/sbin/init"

# An AOT cache for the installer (JDK 25, JEPs 483/514/515: classes loaded and linked, methods profiled ahead of time):
# under TCG class loading and interpreting dominate a short install. One training run of the installer inside a chroot of
# this very root (same runtime, same jar paths, same class path in the same order as /sbin/init builds it), writing a
# small block-mapped raw image served by busybox httpd on loopback to a file. The cache is only an accelerator: the
# runtime ignores one that does not match, and a failed training run leaves none.
train=/tmp/aot-train
mkdir -p "$stage$train/www"
head -c 1048576 /dev/urandom > "$stage$train/www/train.raw"
dd if=/dev/zero of="$stage$train/www/train.raw" bs=512 count=1 conv=notrunc status=none # no partition table by chance
truncate -s 8M "$stage$train/www/train.raw"
head -c 524288 /dev/urandom | dd of="$stage$train/www/train.raw" bs=512k seek=10 conv=notrunc status=none
truncate -s 8M "$stage$train/www/train.raw"
bmaptool -q create -o "$stage$train/www/train.raw.bmap" "$stage$train/www/train.raw"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sum() { sha256sum "$1" | cut -d' ' -f1; }
cat > "$stage$train/www/train.yaml" <<YAML
sources:
  image: {type: dd-raw, uri: 'http://127.0.0.1:$port/train.raw', sha256: $(sum "$stage$train/www/train.raw"), size: 8388608,
    bmap: 'http://127.0.0.1:$port/train.raw.bmap', bmap_sha256: $(sum "$stage$train/www/train.raw.bmap")}
install: {log_file: /tmp/install.log}
YAML
truncate -s 16M "$stage$train/disk.img"
busybox httpd -f -p "127.0.0.1:$port" -h "$stage$train/www" &
httpd=$!
mount -t proc proc "$stage/proc"
# NSS seeds its generator from /dev/urandom even to hash; the booted ephemeral has devtmpfs, the chroot gets the node.
mknod -m 666 "$stage/dev/urandom" c 1 9
cp_list=$(cd "$stage" && ls opt/metalcast/installer/*.jar | sed 's|^|/|' | paste -sd:)
log "rootfs: AOT training install (in the chroot it has no loop devices, so its curthooks stage fails: expected)"
chroot "$stage" /opt/metalcast/jre/bin/java -XX:AOTCacheOutput=/opt/metalcast/installer.aot -Xlog:aot=error -XX:+UseSerialGC -cp "$cp_list" \
  io.metalcast.curtin.installer.Installer --config-url "http://127.0.0.1:$port/train.yaml" --target "$train/disk.img" --sha256 nss >&2 || true
if [ -s "$stage/opt/metalcast/installer.aot" ]; then
  log "rootfs: AOT cache $(($(stat -c %s "$stage/opt/metalcast/installer.aot") / 1048576)) MiB from a training install"
else
  log "rootfs: the AOT training run made no cache (see above); the installer starts without one"
  rm -f "$stage/opt/metalcast/installer.aot"
fi
umount "$stage/proc"
rm -f "$stage/dev/urandom"
kill "$httpd" 2>/dev/null || true
wait "$httpd" 2>/dev/null || true
httpd=
rm -rf "$stage$train"

case "$comp" in
  xz) opts="-comp xz -Xbcj x86" ;;
  zstd) opts="-comp zstd -Xcompression-level 19" ;;
  gzip) opts="-comp gzip" ;;
  *) die "rootfs: compression $comp (expected: xz, zstd or gzip)" ;;
esac
mksquashfs "$stage" "$out" $opts -noappend -all-root -no-progress -quiet >&2
log "rootfs: $(du -sm "$stage" | cut -f1) MiB unpacked, squashfs ($comp) $(($(stat -c %s "$out") / 1048576)) MiB"
