#!/usr/bin/env bash
# Checks the Debian package `make deb` built, by installing it on this machine (`make test` runs it last; CI
# machines are thrown away after the run):
#   1. lintian: no error, and no warning that debian/strongswan-exporter.lintian-overrides does not justify;
#   2. Depends: every library the binary needs (readelf NEEDED, found with dpkg -S) is a package it depends on;
#   3. dpkg -i: /usr/bin/strongswan_exporter --version prints the package's version, `man strongswan_exporter`
#      renders without a warning, `systemd-analyze verify` accepts the installed units (and the man: pages they
#      name) without a word, the service is enabled and the socket unit is not, the group strongswan-vici and
#      the conffile exist; with LAB_GW_VICI set (make test), the installed binary's `dump` against the lab's gw
#      reports strongswan_up 1;
#   4. upgrade to the same package relabelled VERSION+debtest1: a changed /etc/default/strongswan-exporter is kept;
#   5. dpkg --purge: no file of the package's list is left, each of its directories is gone or still another
#      package's, the group is gone (unless it existed before), and /etc, /usr, /lib and /var/lib (less dpkg's,
#      apt's and ucf's state, systemd's timer stamps and core dumps, the shadow tools' backups) list exactly the
#      paths they listed before the installation;
#   6. installed again with charon's drop-in copied to /etc (as README.Debian says), purge keeps the group and
#      says why (the copy and the group are removed afterwards).
# A machine where the package is installed already is left alone: the script stops with an error.
# Needs root, dpkg, lintian, man and systemd-analyze; without them it fails under CI=true, else says SKIP.
set -euo pipefail

deb=${1:?usage: scripts/deb-test.sh PACKAGE.deb}
pkg=strongswan-exporter
failed=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failed=1; }

missing=""
[[ $(id -u) == 0 ]] || missing="$missing root"
for tool in dpkg dpkg-deb lintian man systemd-analyze readelf getent; do
    command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [[ -n $missing ]]; then
    if [[ ${CI:-} == true ]]; then echo "deb-test: missing:$missing (CI=true)" >&2; exit 1; fi
    echo "SKIP: deb-test needs$missing"; exit 0
fi
[[ -f $deb ]] || { echo "deb-test: no package at $deb (make deb)" >&2; exit 1; }
installed() { dpkg-query -W -f '${db:Status-Status}' "$pkg" 2>/dev/null | grep -qv '^not-installed$'; }
if installed; then
    echo "deb-test: $pkg is installed on this machine; not touching it (dpkg --purge $pkg first)" >&2
    exit 1
fi

work=$(mktemp -d)
cleanup() {
    # Whatever failed above, leave no installation behind.
    installed && dpkg --purge "$pkg" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
version=$(dpkg-deb -f "$deb" Version)
echo "== $deb ($version)"

echo "== lintian"
# Errors and warnings fail; a justified warning is overridden (debian/*.lintian-overrides, shown as O:).
if lintian --fail-on error,warning --display-level '>=warning' --show-overrides "$deb" >"$work/lintian" 2>&1; then
    pass "lintian: no error, no unjustified warning"
else
    fail "lintian:"
fi
sed 's/^/  /' "$work/lintian"

echo "== Depends (dpkg-shlibdeps)"
depends=$(dpkg-deb -f "$deb" Depends)
dpkg-deb -x "$deb" "$work/root"
for lib in $(readelf -d "$work/root/usr/bin/strongswan_exporter" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    owner=$(dpkg -S "*/$lib" 2>/dev/null | sed -n '1s/:.*//p')
    owner=${owner%%:*}
    # The package names in Depends, without versions and alternatives' bars.
    if [[ -n $owner ]] && sed 's/([^)]*)//g; s/[,|]/\n/g' <<<"$depends" | tr -d ' ' | grep -qxF "$owner"; then
        pass "$lib is in $owner, a dependency"
    else
        fail "$lib (package ${owner:-unknown}) is not in Depends: $depends"
    fi
done

# The paths that must look the same after the purge as before the installation. Left out: dpkg's, apt's and
# ucf's own state, and what a running systemd may create meanwhile for other units (timer stamps, core dumps).
snapshot() {
    find /etc /usr /lib /var/lib \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/lib/ucf \
        -o -path /var/lib/systemd/timers -o -path /var/lib/systemd/coredump \) -prune \
        -o -print 2>/dev/null | grep -vE '^/etc/(group|gshadow|passwd|shadow)-$|^/etc/\.pwd\.lock$' | sort
}
snapshot >"$work/before"
group_before=$(getent group strongswan-vici || true)

echo "== dpkg -i"
if dpkg -i "$deb" >"$work/install.log" 2>&1; then pass "installed"; else fail "dpkg -i:"; cat "$work/install.log"; fi
dpkg -L "$pkg" >"$work/files"
echo "  $(wc -l <"$work/files") paths in the package's list"

out=$(/usr/bin/strongswan_exporter --version 2>&1 || true)
[[ $out == "${version%%-*}" ]] && pass "--version prints $out" || fail "--version printed '$out', package is $version"

if MANWIDTH=80 man --warnings -P cat strongswan_exporter >"$work/man.txt" 2>"$work/man.err" &&
        [[ ! -s $work/man.err ]] && grep -q 'strongswan_exporter' "$work/man.txt" && grep -q -- '--web.listen-address' "$work/man.txt"; then
    pass "man strongswan_exporter renders ($(wc -l <"$work/man.txt") lines, no warning)"
else
    fail "man strongswan_exporter:"; cat "$work/man.err"; head -5 "$work/man.txt"
fi

units=(/lib/systemd/system/$pkg.service /lib/systemd/system/$pkg.socket)
if out=$(systemd-analyze verify "${units[@]}" 2>&1) && [[ -z $out ]]; then
    pass "systemd-analyze verify ${units[*]}"
else
    fail "systemd-analyze verify:"; printf '  %s\n' "${out:-(non-zero exit, no output)}"
fi
grep -q '^ExecStart=/usr/bin/strongswan_exporter run ' "${units[0]}" && pass "ExecStart is /usr/bin/strongswan_exporter" ||
    fail "ExecStart: $(grep ^ExecStart= "${units[0]}")"
[[ -L /etc/systemd/system/multi-user.target.wants/$pkg.service ]] && pass "the service is enabled" ||
    fail "the service is not enabled"
[[ ! -e /etc/systemd/system/sockets.target.wants/$pkg.socket ]] && pass "the socket unit is not enabled" ||
    fail "the socket unit is enabled"
getent group strongswan-vici >/dev/null && pass "group strongswan-vici exists" || fail "no group strongswan-vici"
grep -qx /etc/default/$pkg /var/lib/dpkg/info/$pkg.conffiles && pass "/etc/default/$pkg is a conffile" ||
    fail "/etc/default/$pkg is not a conffile"
for f in /usr/share/$pkg/strongswan.service.d/vici-group.conf /usr/share/$pkg/dashboards/strongswan-overview.json \
        /usr/share/$pkg/rules/strongswan-alerts.rules.yml /usr/share/doc/$pkg/copyright /usr/share/doc/$pkg/changelog.gz; do
    [[ -s $f ]] && pass "$f" || fail "missing $f"
done
[[ ! -e /etc/systemd/system/strongswan.service.d/vici-group.conf ]] && pass "charon's drop-in is not enabled" ||
    fail "the package enabled charon's drop-in"

if [[ -n ${LAB_GW_VICI:-} ]]; then
    if timeout 120 /usr/bin/strongswan_exporter dump --vici.socket "$LAB_GW_VICI" >"$work/dump" 2>"$work/dump.err" &&
            grep -qx 'strongswan_up 1' "$work/dump"; then
        pass "installed binary: dump against the lab's gw: strongswan_up 1, $(grep -c '^strongswan_tunnel_up{' "$work/dump") tunnels"
    else
        fail "installed binary: dump against $LAB_GW_VICI:"; tail -5 "$work/dump.err"
    fi
elif [[ ${CI:-} == true ]]; then
    fail "LAB_GW_VICI is not set (make test sets it): the installed binary was not run against charon"
fi

echo "== upgrade"
echo "# deb-test: a local change" >>/etc/default/$pkg
dpkg-deb -R "$deb" "$work/next"
sed -i "s/^Version: .*/Version: $version+debtest1/" "$work/next/DEBIAN/control"
dpkg-deb --root-owner-group -Znone -b "$work/next" "$work/next.deb" >/dev/null
if dpkg -i "$work/next.deb" >"$work/upgrade.log" 2>&1 &&
        [[ $(dpkg-query -W -f '${Version}' "$pkg") == "$version+debtest1" ]]; then
    pass "upgraded to $version+debtest1"
else
    fail "upgrade:"; cat "$work/upgrade.log"
fi
grep -qx '# deb-test: a local change' /etc/default/$pkg && pass "the changed /etc/default/$pkg was kept" ||
    fail "the changed /etc/default/$pkg was replaced"

echo "== dpkg --purge"
if dpkg --purge "$pkg" >"$work/purge.log" 2>&1; then pass "purged"; else fail "dpkg --purge:"; cat "$work/purge.log"; fi
left=0
while IFS= read -r path; do
    [[ $path == /. ]] && continue
    if [[ -d $path ]]; then
        # A directory may stay only while another package owns it too.
        [[ -e $path ]] && ! dpkg -S "$path" >/dev/null 2>&1 && { fail "directory left: $path"; left=1; }
    elif [[ -e $path || -L $path ]]; then
        fail "file left: $path"; left=1
    fi
done <"$work/files"
[[ $left == 0 ]] && pass "no path of the package's list is left (directories that stay belong to other packages)"
if [[ -z $group_before ]]; then
    getent group strongswan-vici >/dev/null && fail "group strongswan-vici is left" || pass "group strongswan-vici removed"
else
    getent group strongswan-vici >/dev/null && pass "group strongswan-vici, there before, kept" ||
        fail "group strongswan-vici, there before the installation, was removed"
fi
snapshot >"$work/after"
if diff "$work/before" "$work/after" >"$work/diff"; then
    pass "/etc, /usr, /lib, /var/lib list the same $(wc -l <"$work/after") paths as before the installation"
else
    fail "paths that differ from before the installation (< before, > after):"; sed 's/^/  /' "$work/diff"
fi

echo "== purge while charon's configuration names the group"
# The administrator copied the drop-in (README.Debian): purging must keep the group and say why.
if [[ -z $group_before ]] && dpkg -i "$deb" >"$work/install2.log" 2>&1; then
    dropin=/etc/systemd/system/strongswan.service.d/vici-group.conf
    made_dir=0
    [[ -d ${dropin%/*} ]] || made_dir=1
    install -D -m 0644 /usr/share/$pkg/strongswan.service.d/vici-group.conf "$dropin"
    dpkg --purge "$pkg" >"$work/purge2.log" 2>&1 || fail "dpkg --purge (second):"
    getent group strongswan-vici >/dev/null && grep -q "keeping group strongswan-vici, still used by: *$dropin" "$work/purge2.log" &&
        pass "purge kept group strongswan-vici while $dropin names it, and said so" ||
        fail "purge with the drop-in in place: $(cat "$work/purge2.log")"
    rm -f "$dropin"
    [[ $made_dir == 1 ]] && rmdir "${dropin%/*}"
    getent group strongswan-vici >/dev/null && groupdel strongswan-vici
elif [[ -z $group_before ]]; then
    fail "dpkg -i (second):"; cat "$work/install2.log"
fi

[[ $failed == 0 ]] && echo "deb-test: all passed" || echo "deb-test: FAILED"
exit "$failed"
