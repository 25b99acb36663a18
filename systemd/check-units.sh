#!/usr/bin/env bash
# Checks the systemd files in this folder, offline (no running systemd needed, nothing installed on the host):
#   1. `systemd-analyze verify` of strongswan-exporter.service, strongswan-exporter.socket and the charon
#      drop-in, in a throw-away root with stub executables at the ExecStart=/ExecReload= paths (verify insists
#      that they exist). Any output at all counts as failure: verify only warns, exit status 0, about unknown
#      keys or bad values, which would silently drop a hardening setting.
#   2. `systemd-sysusers` creates the strongswan-vici group from strongswan-exporter.sysusers.
#   3. the defaults file sets STRONGSWAN_EXPORTER_ARGS.
#   4. `systemd-analyze security --offline=yes` rates the service's exposure at MAX_EXPOSURE (2.0) or lower;
#      the figure is printed.
#   5. the service with the socket-activated-private-network.conf drop-in still verifies (its figure is printed).
# Exits 0 when all pass, 1 when a check fails, 2 when the tools are missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
max_exposure=${MAX_EXPOSURE:-2.0}
failed=0

for tool in systemd-analyze systemd-sysusers; do
    command -v "$tool" >/dev/null || { echo "check-units: $tool not found (install systemd)" >&2; exit 2; }
done
system_units=$(pkg-config systemd --variable=systemdsystemunitdir 2>/dev/null || true)
[ -d "$system_units" ] || system_units=/lib/systemd/system
[ -f "$system_units/sysinit.target" ] || { echo "check-units: no systemd unit directory found" >&2; exit 2; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# A minimal root: systemd's own units (targets the service is ordered against), stub executables, our files.
mkdir -p "$root/usr/lib/systemd" "$root/usr/bin" "$root/usr/sbin" "$root/usr/local/bin" \
    "$root/etc/systemd/system/strongswan.service.d"
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
cp -r "$system_units" "$root/usr/lib/systemd/system"
for stub in /usr/local/bin/strongswan_exporter /usr/bin/kill /usr/bin/chgrp /usr/sbin/charon-systemd /usr/sbin/swanctl; do
    printf '#!/bin/sh\nexit 0\n' >"$root$stub"
    chmod 0755 "$root$stub"
done
cp "$here/strongswan-exporter.service" "$here/strongswan-exporter.socket" "$root/etc/systemd/system/"
# Debian's charon-systemd unit, as far as the drop-in cares.
cat >"$root/usr/lib/systemd/system/strongswan.service" <<'UNIT'
[Unit]
Description=strongSwan IPsec IKEv1/IKEv2 daemon using swanctl (stand-in for the check)
[Service]
Type=notify
ExecStart=/usr/sbin/charon-systemd
ExecStartPost=/usr/sbin/swanctl --load-all --noprompt
UNIT
cp "$here/charon-vici-group.conf" "$root/etc/systemd/system/strongswan.service.d/vici-group.conf"

echo "== systemd-analyze verify"
if output=$(systemd-analyze verify --man=no --root="$root" \
        strongswan-exporter.service strongswan-exporter.socket strongswan.service 2>&1) && [ -z "$output" ]; then
    echo "ok: strongswan-exporter.service, strongswan-exporter.socket, strongswan.service + vici-group.conf"
else
    echo "FAIL:"
    printf '%s\n' "${output:-(verify exited non-zero without a message)}"
    failed=1
fi

echo "== systemd-sysusers"
mkdir -p "$root/etc"
if systemd-sysusers --root="$root" "$here/strongswan-exporter.sysusers" >/dev/null 2>&1 \
        && grep -q '^strongswan-vici:' "$root/etc/group"; then
    echo "ok: group strongswan-vici created"
else
    echo "FAIL: strongswan-exporter.sysusers does not create group strongswan-vici"
    failed=1
fi

echo "== defaults file"
# shellcheck disable=SC2016 # expanded by the inner shell, on purpose
if args=$(env -i bash -c 'set -a; . "$1"; printf %s "${STRONGSWAN_EXPORTER_ARGS-}"' _ "$here/strongswan-exporter.default") \
        && [ -n "$args" ]; then
    echo "ok: STRONGSWAN_EXPORTER_ARGS=$args"
else
    echo "FAIL: strongswan-exporter.default does not set STRONGSWAN_EXPORTER_ARGS"
    failed=1
fi

# Prints the offline exposure figure of strongswan-exporter.service as installed in $root, or nothing.
exposure() {
    systemd-analyze security --offline=yes --root="$root" --no-pager strongswan-exporter.service 2>&1 |
        sed -n 's/.*Overall exposure level for strongswan-exporter\.service: \([0-9.]*\).*/\1/p'
}

echo "== systemd-analyze security --offline=yes (maximum $max_exposure)"
figure=$(exposure)
if [ -z "$figure" ]; then
    echo "FAIL: no exposure figure; the report:"
    systemd-analyze security --offline=yes --root="$root" --no-pager strongswan-exporter.service 2>&1 || true
    failed=1
elif awk -v e="$figure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }'; then
    echo "ok: exposure $figure"
else
    systemd-analyze security --offline=yes --root="$root" --no-pager strongswan-exporter.service 2>&1 | grep '✗' || true
    echo "FAIL: exposure $figure is above $max_exposure"
    failed=1
fi

echo "== socket-activated variant (socket-activated-private-network.conf drop-in)"
mkdir -p "$root/etc/systemd/system/strongswan-exporter.service.d"
cp "$here/socket-activated-private-network.conf" "$root/etc/systemd/system/strongswan-exporter.service.d/private-network.conf"
if output=$(systemd-analyze verify --man=no --root="$root" strongswan-exporter.service 2>&1) && [ -z "$output" ]; then
    echo "ok: verifies, exposure $(exposure)"
else
    echo "FAIL:"
    printf '%s\n' "${output:-(verify exited non-zero without a message)}"
    failed=1
fi

exit "$failed"
