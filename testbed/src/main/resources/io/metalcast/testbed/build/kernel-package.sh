# Prints "<package> <version>" of the kernel image package that linux-image-amd64 depends on.
. "$(dirname "$0")/common.sh"
find_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'; }
pkg=$(find_pkg)
if [ -z "$pkg" ]; then
  log "kernel: apt lists do not know linux-image-amd64, running apt-get update"
  apt-get -q -o DPkg::Lock::Timeout=600 update >&2
  pkg=$(find_pkg)
fi
[ -n "$pkg" ] || die "kernel: linux-image-amd64 has no linux-image-* dependency in the apt lists"
ver=$(apt-cache show --no-all-versions "$pkg" | awk '$1 == "Version:" { print $2; exit }')
[ -n "$ver" ] || die "kernel: no version known for $pkg"
echo "$pkg $ver"
