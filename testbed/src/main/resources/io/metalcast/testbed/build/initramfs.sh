# initramfs.sh KROOT KVER RESDIR OUT MODULE...: the ephemeral initramfs (busybox, modules, /init, cloud-initramfs-tools
# style scripts rooturl, overlayroot, copymods) as a gzip'd newc cpio.
. "$(dirname "$0")/common.sh"
kroot=$1 kver=$2 res=$3 out=$4; shift 4
stage=$(mktemp -d "${TMPDIR:-/tmp}/initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{proc,sys,run,tmp,root,etc,conf,media/root-ro,media/root-rw,scripts/local-top,scripts/init-bottom}
install_busybox "$stage"
make_nodes "$stage"
install_modules "$kroot" "$kver" "$stage" "$@"
install -m 0755 "$res/initramfs/init" "$stage/init"
install -m 0644 "$res/initramfs/functions" "$stage/scripts/functions"
install -m 0755 "$res/initramfs/udhcpc.script" "$stage/scripts/udhcpc.script"
install -m 0755 "$res/initramfs/rooturl" "$stage/scripts/local-top/rooturl"
install -m 0755 "$res/initramfs/overlayroot" "$stage/scripts/init-bottom/overlayroot"
install -m 0755 "$res/initramfs/copymods" "$stage/scripts/init-bottom/copymods"
# ORDER files in initramfs-tools' format: each line runs one script, then picks up what it exported via param.conf.
order_line() { printf '%s "$@" || panic "%s failed"\n[ -e /conf/param.conf ] && . /conf/param.conf\n' "$1" "${1#/}"; }
order_line /scripts/local-top/rooturl > "$stage/scripts/local-top/ORDER"
{ order_line /scripts/init-bottom/overlayroot; order_line /scripts/init-bottom/copymods; } > "$stage/scripts/init-bottom/ORDER"
echo "$kver" > "$stage/conf/kernel-version"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"
make_cpio "$stage" "$out"
log "initramfs: $(du -sk "$stage" | cut -f1) KiB unpacked, $(($(stat -c %s "$out") / 1024)) KiB compressed, $(wc -l < "$stage/lib/modules/$kver/metalcast.load") modules"
