#!/usr/bin/env bash
# strongSwan lab: two real charon daemons ("gw" and "peer") in their own
# network namespaces, joined by a veth pair, with real IKEv2 tunnels between
# them (userspace ESP via kernel-libipsec). See lab/README.md.
#
#   lab.sh install | up [N] [--rw M] | env | status | down | clean
#   lab.sh traffic I BYTES [COUNT] | traffic-all [BYTES]
#   lab.sh terminate I | initiate I | rekey I [--ike] | churn [ROUNDS]
#   lab.sh stop|start|restart gw|peer | swanctl ARGS... | logs gw|peer
#   lab.sh error-notify gw|peer | provoke SCENARIO | ocsp
#
# All state lives under $LAB_DIR (default /tmp/strongswan-lab). Traffic only
# ever flows between the lab's two namespaces.
set -euo pipefail

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_DIR=${LAB_DIR:-/tmp/strongswan-lab}
LAB_NAME=${LAB_NAME:-sslab}               # prefix of the namespace names
GW_NS=$LAB_NAME-gw
PEER_NS=$LAB_NAME-peer
CHARON=${LAB_CHARON:-/usr/lib/ipsec/charon}
PY=${LAB_PYTHON:-python3}
DPD_DELAY=${LAB_DPD_DELAY:-30}            # seconds; sites (gw) and rw clients (peer, half)
TRAFFIC_PORT=${LAB_TRAFFIC_PORT:-9999}

# Topology (gen_config.py holds the same constants).
GW_IKE=192.168.77.1
PEER_IKE=192.168.77.2
DEAD_IKE=192.168.77.254
IKE_PREFIX=24
VETH=lab0
RW_POOL=10.3.0.0/24

DEFAULT_TUNNELS=4
DEFAULT_RW=3

# --- helpers ---------------------------------------------------------------

say() { printf 'lab: %s\n' "$*"; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

require_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces)"; }

require_tools() {
    local t missing=()
    for t in ip unshare swanctl pki openssl "$PY"; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [[ -x $CHARON ]] || missing+=("$CHARON")
    ((${#missing[@]} == 0)) || die "missing: ${missing[*]} (run: $0 install)"
    "$PY" -c 'import vici' 2>/dev/null || die "python module vici missing (run: $0 install)"
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

role_dir() { printf '%s/%s' "$LAB_DIR" "$1"; }
role_ns() { case $1 in gw) echo "$GW_NS" ;; peer) echo "$PEER_NS" ;; *) die "role must be gw or peer, not '$1'" ;; esac; }
role_uri() { printf 'unix://%s/charon.vici' "$(role_dir "$1")"; }
role_enfy_uri() { printf 'unix://%s/charon.enfy' "$(role_dir "$1")"; }
ERROR_NOTIFY=${LAB_ERROR_NOTIFY:-/usr/lib/ipsec/error-notify}

# swanctl against one daemon: sw ROLE COMMAND [OPTIONS...]
sw() {
    local role=$1
    shift
    STRONGSWAN_CONF=$LAB_DIR/tools.conf SWANCTL_DIR=$(role_dir "$role")/swanctl \
        swanctl "$@" --uri "$(role_uri "$role")"
}

labtool() { "$PY" "$LAB_SRC/labtool.py" "$@"; }

ns_exists() { [[ -e /run/netns/$1 ]]; }

# State written by `up`: LAB_TUNNELS, LAB_RW (and the env file).
load_state() {
    [[ -f $LAB_DIR/state ]] || die "lab is not up (no $LAB_DIR/state); run: $0 up"
    # shellcheck disable=SC1091
    source "$LAB_DIR/state"
    # The namespaces belong to the name the lab was brought up with, whatever LAB_NAME says now.
    GW_NS=$LAB_NAME-gw
    PEER_NS=$LAB_NAME-peer
}

# Index -> names and traffic-selector addresses (10.1.hi.lo / 10.2.hi.lo).
site_name() { printf 'site-%04d' "$1"; }
child_name() { printf 'net-%04d' "$1"; }
ts_addr() { printf '%s.%d.%d' "$1" $((($2 - 1) / 250)) $((($2 - 1) % 250 + 1)); }

check_index() {
    is_uint "${1:-}" || die "tunnel index required (1..$LAB_TUNNELS)"
    (($1 >= 1 && $1 <= LAB_TUNNELS)) || die "tunnel index $1 out of range 1..$LAB_TUNNELS"
}

# --- daemons -----------------------------------------------------------------

# Pid of the charon running in ROLE's namespace (empty if none).
charon_pid() {
    local ns pid
    ns=$(role_ns "$1")
    ns_exists "$ns" || return 0
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == charon ]]; then
            echo "$pid"
            return 0
        fi
    done
}

start_daemon() {
    local role=$1 dir ns
    dir=$(role_dir "$role")
    ns=$(role_ns "$role")
    [[ -z $(charon_pid "$role") ]] || die "$role charon already running"
    rm -f "$dir/charon.vici" "$dir/charon.enfy"
    # Private mount namespace with its own /run, so each charon has its own
    # pid file; the VICI socket lives in $dir, reachable from the root namespace.
    setsid ip netns exec "$ns" unshare --mount --propagation private \
        sh -c 'mount -t tmpfs -o size=8m,mode=0755 lab-run /run && exec "$@"' lab-charon \
        env STRONGSWAN_CONF="$dir/strongswan.conf" "$CHARON" \
        >>"$dir/charon.out" 2>&1 </dev/null &
    echo $! >"$dir/charon.pid"
}

wait_daemon() {
    local role=$1 dir i
    dir=$(role_dir "$role")
    for ((i = 0; i < 200; i++)); do
        if [[ -S $dir/charon.vici ]] && sw "$role" --stats >/dev/null 2>&1; then
            charon_pid "$role" >"$dir/charon.pid"
            return 0
        fi
        if ((i > 5)) && [[ -z $(charon_pid "$role") ]]; then
            tail -n 20 "$dir/charon.out" "$dir/charon.log" >&2 2>/dev/null || true
            die "$role charon exited during startup (logs: $dir/charon.log, $dir/charon.out)"
        fi
        sleep 0.1
    done
    die "$role charon did not open $dir/charon.vici within 20s (log: $dir/charon.log)"
}

# Stop one daemon: SIGTERM (charon deletes its SAs, telling the other side),
# then SIGKILL after 10s; with "kill", SIGKILL at once (a crash: the other
# side finds out by DPD).
stop_daemon() {
    local role=$1 sig=TERM pid i
    [[ ${2:-} == kill ]] && sig=KILL
    pid=$(charon_pid "$role")
    if [[ -z $pid ]]; then
        say "$role charon is not running"
        return 0
    fi
    kill -"$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        [[ -d /proc/$pid ]] || break
        sleep 0.1
    done
    if [[ -d /proc/$pid ]]; then
        say "$role charon (pid $pid) ignored SIGTERM, killing"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    rm -f "$(role_dir "$role")/charon."{vici,enfy,pid}
    stop_error_notify "$role"
    say "stopped $role charon (pid $pid, SIG$sig)"
}

# charon's error-notify client busy-loops once its socket is closed (it
# treats EOF as an empty read), so readers of a stopped daemon are ended.
stop_error_notify() {
    local pid
    ns_exists "$(role_ns "$1")" || return 0
    for pid in $(ip netns pids "$(role_ns "$1")" 2>/dev/null); do
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == error-notify ]] && kill -TERM "$pid" 2>/dev/null
    done
    return 0
}

# Load a daemon's swanctl config (full unless a file is given); output to a log.
load_config() {
    local role=$1 file=${2:-} dir
    dir=$(role_dir "$role")
    file=${file:-$dir/swanctl/swanctl.conf}
    if ! sw "$role" --load-all --file "$file" >"$dir/swanctl-load.log" 2>&1; then
        tail -n 20 "$dir/swanctl-load.log" >&2
        die "swanctl --load-all failed on $role (see $dir/swanctl-load.log)"
    fi
}

# wait_up WHAT SITES RW TIMEOUT KICK_AFTER: until up on both sides (matching
# SPIs); tunnels still missing after KICK_AFTER seconds are re-initiated.
wait_up() {
    local what=$1 sites=$2 rw=$3 timeout=$4 kick=$5
    labtool wait --gw "$(role_uri gw)" --peer "$(role_uri peer)" --sites "$sites" --rw "$rw" \
        --timeout "$timeout" --kick-after "$kick" --what "$what" ||
        die "$what did not come up within ${timeout}s; see $LAB_DIR/gw/charon.log and $LAB_DIR/peer/charon.log (lab left running for inspection; '$0 down' cleans up)"
}

# --- certificates --------------------------------------------------------------

tools_conf() {
    cat >"$LAB_DIR/tools.conf" <<'EOF'
# generated by lab.sh: plugins for swanctl and pki (silences probing of absent plugins)
swanctl {
    load = random openssl pem pkcs1 pkcs8 x509 pubkey
}
pki {
    load = random openssl pem pkcs1 pkcs8 x509 pubkey
}
EOF
}

# TZ=UTC: pki reads --not-before/--this-update dates and prints dates in local time.
pki_() { TZ=UTC STRONGSWAN_CONF=$LAB_DIR/tools.conf pki "$@"; }

CA_DN="C=CH, O=strongswan-lab, CN=strongswan-lab Root CA"

# gen_key FILE TYPE SIZE (only if missing; SIZE "" for ed25519)
gen_key() {
    [[ -s $1 ]] && return 0
    pki_ --gen --type "$2" ${3:+--size "$3"} --outform pem >"$1.tmp"
    mv "$1.tmp" "$1"
}

# issue CERT KEY DN SAN LIFETIME_DAYS [extra pki args]
issue() {
    local cert=$1 key=$2 dn=$3 san=$4 days=$5
    shift 5
    [[ -s $cert ]] && return 0
    pki_ --issue --cacert "$LAB_DIR/pki/ca.pem" --cakey "$LAB_DIR/pki/ca.key" \
        --type priv --in "$key" --dn "$dn" --san "$san" --lifetime "$days" \
        --outform pem "$@" >"$cert.tmp"
    mv "$cert.tmp" "$cert"
}

# CA, gw, a soon-expiring cert and one client cert per road warrior. Kept
# across runs in $LAB_DIR/pki (regenerated by `clean`).
ensure_pki() {
    local m=$1 p=$LAB_DIR/pki k name
    mkdir -p "$p"
    if [[ ! -s $p/ca.pem ]]; then
        gen_key "$p/ca.key" rsa 3072
        pki_ --self --ca --lifetime 3650 --in "$p/ca.key" --type priv --dn "$CA_DN" \
            --outform pem >"$p/ca.pem.tmp"
        mv "$p/ca.pem.tmp" "$p/ca.pem"
    fi
    gen_key "$p/gw.key" rsa 2048
    issue "$p/gw.pem" "$p/gw.key" "C=CH, O=strongswan-lab, CN=gw.lab.test" gw.lab.test 365 \
        --flag serverAuth
    gen_key "$p/expiring.key" ecdsa 256
    issue "$p/expiring.pem" "$p/expiring.key" "C=CH, O=strongswan-lab, CN=expiring.lab.test" \
        expiring.lab.test 20
    # for `provoke cert-expired`: valid for one day, a year ago (not loaded by up)
    gen_key "$p/fail-expired.key" ecdsa 256
    local nb na
    nb=$(date -u -d '366 days ago' '+%d.%m.%y %T') na=$(date -u -d '365 days ago' '+%d.%m.%y %T')
    issue "$p/fail-expired.pem" "$p/fail-expired.key" "C=CH, O=strongswan-lab, CN=fail-expired.lab.test" \
        fail-expired.lab.test 1 --not-before "$nb" --not-after "$na" --flag clientAuth
    for ((k = 1; k <= m; k++)); do
        name=$(printf 'rw-%03d' "$k")
        gen_key "$p/$name.key" ecdsa 256
        issue "$p/$name.pem" "$p/$name.key" "C=CH, O=strongswan-lab, CN=$name.lab.test" \
            "$name.lab.test" 365 --flag clientAuth
    done
    ensure_pki_health
}

CA2_DN="C=CH, O=strongswan-lab, CN=strongswan-lab Second CA"
# openssl -subj: "+" must be escaped (it separates multi-valued RDNs)
UID_DC_SUBJ='/DC=test/DC=lab/O=strongswan-lab/OU=Ops, Lab \+ "Test"/L=Zürich/UID=jdoe/labAttribute=lab attr/CN=uid-dc.lab.test'

# pki_date OFFSET: a date for pki's --not-before/--this-update (default
# dateform %d.%m.%y %T, read as UTC by pki_), e.g. pki_date '3 days ago'.
pki_date() { date -u -d "$1" '+%d.%m.%y %T'; }

# Seconds until a DER CRL's nextUpdate (negative when past).
crl_next_update_in() {
    local next
    next=$(openssl crl -inform DER -in "$1" -noout -nextupdate) || return 1
    echo $(($(date -u -d "${next#nextUpdate=}" +%s) - $(date +%s)))
}

# The objects of issue 16 (PKI health) that gw loads besides its own
# certificates, cached in $LAB_DIR/pki like the rest (see lab/README.md,
# "PKI objects on gw"): a second CA, CRLs (root CA: base and delta, fresh;
# second CA: stale), an expired certificate, a certificate with DC/UID/an
# unknown attribute in its subject, an AA and an attribute certificate, raw
# public keys. None of it takes part in the lab's tunnels.
ensure_pki_health() {
    local p=$LAB_DIR/pki k
    # second CA (ECDSA P-384), only its stale CRL and the authority section use it
    if [[ ! -s $p/ca2.pem ]]; then
        gen_key "$p/ca2.key" ecdsa 384
        pki_ --self --ca --lifetime 3650 --in "$p/ca2.key" --type priv --dn "$CA2_DN" \
            --outform pem >"$p/ca2.pem.tmp"
        mv "$p/ca2.pem.tmp" "$p/ca2.pem"
    fi
    # spare certificates of the root CA, revoked by its CRLs, never loaded
    gen_key "$p/spare.key" ecdsa 256
    for k in 1 2 3; do
        issue "$p/revoked-$k.pem" "$p/spare.key" "C=CH, O=strongswan-lab, CN=revoked-$k.lab.test" \
            "revoked-$k.lab.test" 365
    done
    # root CA CRLs: #1 revokes revoked-1; #2 (loaded, base) copies #1 and adds
    # revoked-2; #3 (loaded, delta of #2) copies #2 and adds revoked-3. All
    # three again when the delta's nextUpdate is less than 2 days away.
    if [[ ! -s $p/ca-delta.crl ]] || (($(crl_next_update_in "$p/ca-delta.crl" || echo 0) < 2 * 86400)); then
        rm -f "$p/ca-1.crl" "$p/ca.crl" "$p/ca-delta.crl"
        pki_ --signcrl --cacert "$p/ca.pem" --cakey "$p/ca.key" --lifetime 30 \
            --reason key-compromise --cert "$p/revoked-1.pem" --outform der >"$p/ca-1.crl.tmp"
        pki_ --signcrl --cacert "$p/ca.pem" --cakey "$p/ca.key" --lifetime 30 --lastcrl "$p/ca-1.crl.tmp" \
            --reason superseded --cert "$p/revoked-2.pem" --outform der >"$p/ca.crl.tmp"
        pki_ --signcrl --cacert "$p/ca.pem" --cakey "$p/ca.key" --lifetime 10 --lastcrl "$p/ca.crl.tmp" \
            --basecrl "$p/ca.crl.tmp" --reason certificate-hold --cert "$p/revoked-3.pem" \
            --outform der >"$p/ca-delta.crl.tmp"
        mv "$p/ca-1.crl.tmp" "$p/ca-1.crl"
        mv "$p/ca.crl.tmp" "$p/ca.crl"
        mv "$p/ca-delta.crl.tmp" "$p/ca-delta.crl"
    fi
    # second CA's CRL: stale (this update 10 days, next update 3 days before it was made), nothing revoked
    if [[ ! -s $p/ca2-stale.crl ]]; then
        pki_ --signcrl --cacert "$p/ca2.pem" --cakey "$p/ca2.key" --this-update "$(pki_date '10 days ago')" \
            --next-update "$(pki_date '3 days ago')" --outform der >"$p/ca2-stale.crl.tmp"
        mv "$p/ca2-stale.crl.tmp" "$p/ca2-stale.crl"
    fi
    # expired: valid for 28 days, ended 2 days before it was made
    gen_key "$p/expired.key" ecdsa 256
    issue "$p/expired.pem" "$p/expired.key" "C=CH, O=strongswan-lab, CN=expired.lab.test" \
        expired.lab.test 28 --not-before "$(pki_date '30 days ago')" --not-after "$(pki_date '2 days ago')"
    # DC, UID, an escaped OU, UTF-8 and an attribute of an OID openssl does
    # not know (named by the config only): openssl, since pki cannot write it
    gen_key "$p/uid-dc.key" ecdsa 256
    if [[ ! -s $p/uid-dc.pem ]]; then
        printf '%s\n' 'oid_section = lab_oids' '[ lab_oids ]' 'labAttribute = 1.3.6.1.4.1.99999.1' \
            '[ req ]' 'distinguished_name = dn' 'string_mask = utf8only' '[ dn ]' \
            '[ ext ]' 'basicConstraints = CA:FALSE' 'subjectAltName = DNS:uid-dc.lab.test' \
            'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid' >"$p/uid-dc.cnf"
        openssl req -new -utf8 -config "$p/uid-dc.cnf" -key "$p/uid-dc.key" -subj "$UID_DC_SUBJ" \
            -out "$p/uid-dc.csr" 2>/dev/null
        openssl x509 -req -in "$p/uid-dc.csr" -CA "$p/ca.pem" -CAkey "$p/ca.key" -days 365 \
            -extfile "$p/uid-dc.cnf" -extensions ext -out "$p/uid-dc.pem.tmp" 2>/dev/null
        mv "$p/uid-dc.pem.tmp" "$p/uid-dc.pem"
    fi
    # attribute authority (issued by the root CA, loaded from x509aa/) and an
    # attribute certificate for the holder uid-dc.lab.test (one year)
    gen_key "$p/aa.key" ecdsa 256
    issue "$p/aa.pem" "$p/aa.key" "C=CH, O=strongswan-lab, CN=strongswan-lab AA" aa.lab.test 3650
    if [[ ! -s $p/uid-dc-ac.pem ]]; then
        pki_ --acert --in "$p/uid-dc.pem" --group lab-admins --group lab-ops --issuercert "$p/aa.pem" \
            --issuerkey "$p/aa.key" --lifetime 8760 --outform pem >"$p/uid-dc-ac.pem.tmp"
        mv "$p/uid-dc-ac.pem.tmp" "$p/uid-dc-ac.pem"
    fi
    # for `lab.sh ocsp`: a client certificate of the second CA, never loaded
    # from a file (ocsp_probe.py loads it with a connection for one attempt)
    gen_key "$p/ocsp-client.key" ecdsa 256
    if [[ ! -s $p/ocsp-client.pem ]]; then
        pki_ --issue --cacert "$p/ca2.pem" --cakey "$p/ca2.key" --type priv --in "$p/ocsp-client.key" \
            --dn "C=CH, O=strongswan-lab, CN=ocsp-client.lab.test" --san ocsp-client.lab.test --lifetime 365 \
            --flag clientAuth --outform pem >"$p/ocsp-client.pem.tmp"
        mv "$p/ocsp-client.pem.tmp" "$p/ocsp-client.pem"
    fi
    # raw public keys (pubkey/): Ed25519 and ECDSA
    gen_key "$p/raw-ed25519.key" ed25519 ""
    gen_key "$p/raw-ecdsa.key" ecdsa 256
    for k in ed25519 ecdsa; do
        if [[ ! -s $p/raw-$k.pub ]]; then
            pki_ --pub --in "$p/raw-$k.key" --type priv --outform pem >"$p/raw-$k.pub.tmp"
            mv "$p/raw-$k.pub.tmp" "$p/raw-$k.pub"
        fi
    done
}

# cert_row ROLE NAME FILE: one line of certs.tsv
cert_row() {
    local subj serial nb na line
    while IFS= read -r line; do
        case $line in
        subject=*) subj=${line#subject=} ;;
        serial=*) serial=${line#serial=} ;;
        notBefore=*) nb=${line#notBefore=} ;;
        notAfter=*) na=${line#notAfter=} ;;
        esac
    done < <(openssl x509 -in "$3" -noout -subject -serial -startdate -enddate \
        -nameopt sep_comma_plus_space,sname)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${subj# }" "${serial,,}" \
        "$(date -u -d "$nb" +%Y-%m-%dT%H:%M:%SZ)" "$(date -u -d "$na" +%Y-%m-%dT%H:%M:%SZ)" \
        "$(date -u -d "$na" +%s)" "$3"
}

# Put credentials into each daemon's swanctl directories; record gw's certs.
install_creds() {
    local m=$1 p=$LAB_DIR/pki g=$LAB_DIR/gw/swanctl q=$LAB_DIR/peer/swanctl k name
    rm -rf "$g"/{x509,x509ca,x509aa,x509ac,x509crl,pubkey,private} "$q"/{x509,x509ca,private}
    mkdir -p "$g"/{x509,x509ca,x509aa,x509ac,x509crl,pubkey,private} "$q"/{x509,x509ca,private}
    cp "$p/ca.pem" "$g/x509ca/ca.pem"
    cp "$p/ca.pem" "$q/x509ca/ca.pem"
    cp "$p/gw.pem" "$p/expiring.pem" "$g/x509/"
    # issue 16's PKI objects (ensure_pki_health); the second CA is also the
    # authority section's cacert (gen_config.py)
    cp "$p/expired.pem" "$p/uid-dc.pem" "$g/x509/"
    cp "$p/ca2.pem" "$g/x509ca/second-ca.pem"
    cp "$p/aa.pem" "$g/x509aa/aa.pem"
    cp "$p/uid-dc-ac.pem" "$g/x509ac/uid-dc.pem"
    cp "$p/ca.crl" "$g/x509crl/ca.crl"
    cp "$p/ca-delta.crl" "$g/x509crl/ca-delta.crl"
    cp "$p/ca2-stale.crl" "$g/x509crl/second-ca-stale.crl"
    cp "$p/raw-ed25519.pub" "$g/pubkey/ed25519.pem"
    cp "$p/raw-ecdsa.pub" "$g/pubkey/ecdsa.pem"
    cp "$p/gw.key" "$g/private/gw.pem"
    for ((k = 1; k <= m; k++)); do
        name=$(printf 'rw-%03d' "$k")
        cp "$p/$name.pem" "$q/x509/$name.pem"
        cp "$p/$name.key" "$q/private/$name.pem"
    done
    chmod 700 "$g/private" "$q/private"

    # certs.tsv: the X.509 certificates gw's list-certs returns: loaded on gw
    # (ca, gw, expiring, and issue 16's ca2, aa, expired, uid-dc) and received
    # from the road warriors once they are up (rw).
    {
        printf '# role\tname\tsubject\tserial\tnot_before\tnot_after\tnot_after_unix\tfile\n'
        local f
        for f in ca gw expiring $(for ((k = 1; k <= m; k++)); do printf 'rw-%03d ' "$k"; done); do
            cert_row "${f%%-*}" "$f" "$p/$f.pem"
        done
        cert_row ca2 ca2 "$p/ca2.pem"
        cert_row aa aa "$p/aa.pem"
        cert_row expired expired "$p/expired.pem"
        cert_row uid-dc uid-dc "$p/uid-dc.pem"
    } >"$LAB_DIR/certs.tsv"
}

# --- network namespaces --------------------------------------------------------

setup_netns() {
    local ns
    ip netns add "$GW_NS"
    ip netns add "$PEER_NS"
    ip link add "$VETH" netns "$GW_NS" type veth peer name "$VETH" netns "$PEER_NS"
    ip -n "$GW_NS" address add "$GW_IKE/$IKE_PREFIX" dev "$VETH"
    ip -n "$PEER_NS" address add "$PEER_IKE/$IKE_PREFIX" dev "$VETH"
    for ns in "$GW_NS" "$PEER_NS"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1 net.ipv4.conf.all.rp_filter=0 \
            net.ipv4.conf.default.rp_filter=0
        ip -n "$ns" link set lo up
        ip -n "$ns" link set "$VETH" up
    done
    # the traffic-selector /32s on lo (one per tunnel and side)
    ip -n "$GW_NS" -batch "$LAB_DIR/gw/addrs.batch"
    ip -n "$PEER_NS" -batch "$LAB_DIR/peer/addrs.batch"
}

write_env() {
    local n=$1 m=$2
    printf 'LAB_TUNNELS=%d\nLAB_RW=%d\nLAB_NAME=%s\n' "$n" "$m" "$LAB_NAME" >"$LAB_DIR/state"
    cat >"$LAB_DIR/env" <<EOF
export LAB_DIR=$LAB_DIR
export LAB_NAME=$LAB_NAME
export LAB_SCRIPT=$LAB_SRC/lab.sh
export LAB_VICI_DUMP=$LAB_SRC/vici_dump.py
export LAB_GW_VICI=$(role_uri gw)
export LAB_PEER_VICI=$(role_uri peer)
export LAB_GW_ENFY=$(role_enfy_uri gw)
export LAB_PEER_ENFY=$(role_enfy_uri peer)
export LAB_TUNNELS=$n
export LAB_RW=$m
export LAB_GW_NS=$GW_NS
export LAB_PEER_NS=$PEER_NS
export LAB_GW_IKE_ADDR=$GW_IKE
export LAB_PEER_IKE_ADDR=$PEER_IKE
export LAB_DEAD_IKE_ADDR=$DEAD_IKE
export LAB_RW_POOL=$RW_POOL
export LAB_RW_POOL_NAME=rw-pool
export LAB_CERTS=$LAB_DIR/certs.tsv
export LAB_PKI_DIR=$LAB_DIR/pki
export LAB_GW_SWANCTL_DIR=$LAB_DIR/gw/swanctl
export LAB_TUNNELS_TSV=$LAB_DIR/tunnels.tsv
export LAB_GW_LOG=$LAB_DIR/gw/charon.log
export LAB_PEER_LOG=$LAB_DIR/peer/charon.log
EOF
}

# --- subcommands -----------------------------------------------------------------

cmd_install() {
    require_root
    export DEBIAN_FRONTEND=noninteractive
    local pkgs=(strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins libstrongswan-extra-plugins strongswan-pki
        iproute2 util-linux mount openssl python3 python3-pip procps)
    local missing=() p
    for p in "${pkgs[@]}"; do
        [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) == "install ok installed" ]] ||
            missing+=("$p")
    done
    if ((${#missing[@]})); then
        say "installing ${missing[*]}"
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    if ! "$PY" -c 'import vici' 2>/dev/null; then
        say "installing python package vici"
        "$PY" -m pip install -q vici 2>/dev/null ||
            "$PY" -m pip install -q --break-system-packages vici
    fi
    "$PY" -c 'import vici' || die "python module vici still missing"
    say "install: ok ($("$CHARON" --version 2>/dev/null | head -n1 || echo charon))"
}

cmd_up() {
    local n=$DEFAULT_TUNNELS m=$DEFAULT_RW timeout=""
    while (($#)); do
        case $1 in
        --rw) m=${2:-}; shift 2 || die "--rw needs a number" ;;
        --rw=*) m=${1#--rw=}; shift ;;
        --timeout) timeout=${2:-}; shift 2 || die "--timeout needs seconds" ;;
        -*) die "up: unknown option $1" ;;
        *) n=$1; shift ;;
        esac
    done
    is_uint "$n" || die "up: N must be a number, not '$n'"
    is_uint "$m" || die "up: --rw M must be a number, not '$m'"
    ((m <= 254)) || die "up: at most 254 road warriors (size of rw-pool)"
    timeout=${timeout:-$((60 + n / 5 + m))}
    is_uint "$timeout" || die "up: --timeout must be seconds"
    require_root
    require_tools
    [[ $LAB_DIR == /* && $LAB_DIR != / && $LAB_DIR != /run* ]] ||
        die "LAB_DIR must be an absolute path outside /run (is '$LAB_DIR')"
    ((${#LAB_DIR} < 80)) || die "LAB_DIR too long for a unix socket path"

    local t0
    t0=$(now)
    cmd_down --quiet
    mkdir -p "$LAB_DIR/gw" "$LAB_DIR/peer"
    : >"$LAB_DIR/gw/charon.log"
    : >"$LAB_DIR/peer/charon.log"
    : >"$LAB_DIR/gw/charon.out"
    : >"$LAB_DIR/peer/charon.out"
    tools_conf
    say "certificates (cached in $LAB_DIR/pki)"
    ensure_pki "$m"
    "$PY" "$LAB_SRC/gen_config.py" --lab-dir "$LAB_DIR" --tunnels "$n" --rw "$m" --dpd "$DPD_DELAY"
    install_creds "$m"
    say "namespaces $GW_NS ($GW_IKE) and $PEER_NS ($PEER_IKE)"
    setup_netns
    write_env "$n" "$m"
    start_daemon peer
    start_daemon gw
    wait_daemon peer
    wait_daemon gw
    say "charon gw pid $(charon_pid gw), peer pid $(charon_pid peer)"

    # peer's responders first, then gw (its sites initiate on load), then
    # peer's road-warrior clients (they initiate on load).
    load_config peer "$LAB_DIR/peer/swanctl/sites-only.conf"
    load_config gw
    say "waiting for $n site tunnels (timeout ${timeout}s)"
    wait_up "site tunnels" "$n" 0 "$timeout" 30
    load_config peer
    say "waiting for $m road warriors"
    wait_up "road warriors" "$n" "$m" "$timeout" 30
    # gw fetches and caches one OCSP response; the tunnels do not depend on it
    cmd_ocsp || say "warning: gw holds no OCSP response (lab.sh ocsp failed; see $LAB_DIR/gw/charon.log, $LAB_DIR/gw/ocsp-responder.log)"
    say "up: $n site tunnels, $m road warriors in $(since "$t0")s"
    say "env: source $LAB_DIR/env  (or: eval \"\$($0 env)\")"
}

cmd_down() {
    local quiet=0 role ns pid pids=() i
    [[ ${1:-} == --quiet ]] && quiet=1
    require_root
    # every process in our namespaces is ours (charon, helpers)
    for ns in "$GW_NS" "$PEER_NS"; do
        if ns_exists "$ns"; then
            mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null)
        fi
    done
    # a charon whose namespace is already gone: from its pid file, if it is ours
    for role in gw peer; do
        pid=$(cat "$LAB_DIR/$role/charon.pid" 2>/dev/null || true)
        if [[ -n $pid ]] &&
            grep -qxzF "STRONGSWAN_CONF=$LAB_DIR/$role/strongswan.conf" "/proc/$pid/environ" 2>/dev/null; then
            pids+=("$pid")
        fi
    done
    if ((${#pids[@]})); then
        mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -un)
        kill -TERM "${pids[@]}" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            local alive=0
            for pid in "${pids[@]}"; do [[ -d /proc/$pid ]] && alive=1; done
            ((alive)) || break
            sleep 0.1
        done
        kill -KILL "${pids[@]}" 2>/dev/null || true
    fi
    local nss=0
    for ns in "$GW_NS" "$PEER_NS"; do
        if ns_exists "$ns"; then
            ip netns delete "$ns"
            nss=$((nss + 1))
        fi
    done
    rm -f "$LAB_DIR"/{gw,peer}/charon.{vici,enfy,pid} "$LAB_DIR/state" "$LAB_DIR/env"
    if ((!quiet)); then
        if ((${#pids[@]} + nss)); then
            say "down: stopped ${#pids[@]} process(es), removed $nss namespace(s)"
        else
            say "down: nothing was up"
        fi
    fi
}

cmd_clean() {
    cmd_down
    [[ -n $LAB_DIR && $LAB_DIR == /* && $LAB_DIR != / ]] || die "refusing to remove '$LAB_DIR'"
    rm -rf "$LAB_DIR"
    say "removed $LAB_DIR"
}

cmd_env() {
    [[ -f $LAB_DIR/env ]] || die "lab is not up (no $LAB_DIR/env); run: $0 up"
    cat "$LAB_DIR/env"
}

cmd_status() {
    local role pid rc=0
    load_state
    for role in gw peer; do
        pid=$(charon_pid "$role")
        if [[ -n $pid ]]; then
            printf '%-5s charon running (pid %s), %s\n' "$role:" "$pid" "$(role_uri "$role")"
        else
            printf '%-5s charon not running\n' "$role:"
            rc=1
        fi
    done
    labtool status --gw "$(role_uri gw)" --peer "$(role_uri peer)" \
        --sites "$LAB_TUNNELS" --rw "$LAB_RW" || rc=$?
    return "$rc"
}

cmd_traffic() {
    load_state
    local pos=() opts=() a i bytes count src dst reverse=0
    for a in "$@"; do
        case $a in
        --reverse) reverse=1; opts+=(--reverse) ;;
        --json) opts+=(--json) ;;
        -*) die "traffic: unknown option $a" ;;
        *) pos+=("$a") ;;
        esac
    done
    i=${pos[0]:-} bytes=${pos[1]:-} count=${pos[2]:-}
    check_index "$i"
    is_uint "$bytes" || die "usage: traffic I BYTES [COUNT] [--reverse] [--json]"
    # default COUNT: as few datagrams as fit the tunnel MTU (1372 payload bytes)
    count=${count:-$(((bytes + 1371) / 1372))}
    is_uint "$count" || die "COUNT must be a number"
    ((count >= 1)) || count=1
    src=$(ts_addr 10.1 "$i") dst=$(ts_addr 10.2 "$i")
    ((reverse)) && { a=$src; src=$dst; dst=$a; }
    [[ " ${opts[*]} " == *" --json "* ]] ||
        echo "tunnel $i: $(site_name "$i")/$(child_name "$i") on gw, $( ((reverse)) && echo "peer -> gw" || echo "gw -> peer")"
    labtool traffic --gw-ns "$GW_NS" --peer-ns "$PEER_NS" --port "$TRAFFIC_PORT" \
        --bytes "$bytes" --count "$count" "${opts[@]}" "$src" "$dst"
}

cmd_traffic_all() {
    load_state
    local bytes=${1:-100}
    if ! is_uint "$bytes" || ((bytes > 1372)); then
        die "usage: traffic-all [BYTES<=1372]"
    fi
    labtool traffic-all --gw-ns "$GW_NS" --peer-ns "$PEER_NS" --port "$TRAFFIC_PORT" \
        --bytes "$bytes" "$LAB_DIR/tunnels.tsv"
}

# gw's IKE_SAs of tunnel I, one raw line each (captured first: `cmd | grep -q`
# can fail under pipefail when grep exits early and cmd gets SIGPIPE).
tunnel_sas() {
    sw gw --list-sas --ike "$(site_name "$1")" --raw 2>/dev/null | grep '^list-sa event' || true
}

# Is tunnel I's child INSTALLED on gw?
tunnel_up() {
    local sas
    sas=$(tunnel_sas "$1")
    [[ $sas =~ name=$(child_name "$1")\ [^}]*state=INSTALLED ]]
}

# Run a swanctl action quietly; show its output only on failure.
sw_quiet() {
    local out
    if ! out=$(sw gw "$@" 2>&1); then
        printf '%s\n' "$out" >&2
        return 1
    fi
}

do_terminate() {
    if [[ -z $(tunnel_sas "$1") ]]; then
        echo "terminate $(site_name "$1"): not up"
        return 0
    fi
    sw_quiet --terminate --ike "$(site_name "$1")" --timeout 15 || die "terminate $(site_name "$1") failed"
    echo "terminate $(site_name "$1"): done"
}

do_initiate() {
    if tunnel_up "$1"; then
        echo "initiate $(site_name "$1"): already up"
        return 0
    fi
    sw_quiet --initiate --ike "$(site_name "$1")" --child "$(child_name "$1")" --timeout 30 ||
        die "initiate $(site_name "$1") failed"
    echo "initiate $(site_name "$1"): up"
}

do_rekey() {
    local what=${2:-child}
    tunnel_up "$1" || die "rekey $(site_name "$1"): tunnel is not up"
    if [[ $what == ike ]]; then
        sw_quiet --rekey --ike "$(site_name "$1")" || die "rekey of $(site_name "$1") failed"
        echo "rekey $(site_name "$1") (IKE_SA): requested"
    else
        sw_quiet --rekey --child "$(child_name "$1")" || die "rekey of $(child_name "$1") failed"
        echo "rekey $(site_name "$1")/$(child_name "$1") (CHILD_SA): requested"
    fi
}

cmd_churn() {
    load_state
    local rounds=10 restore=1 seed="" r i action
    while (($#)); do
        case $1 in
        --no-restore) restore=0; shift ;;
        --seed) seed=${2:-}; shift 2 || die "--seed needs a number" ;;
        *) rounds=$1; shift ;;
        esac
    done
    is_uint "$rounds" || die "usage: churn [ROUNDS] [--seed S] [--no-restore]"
    ((LAB_TUNNELS > 0)) || die "no site tunnels to churn"
    [[ -n $seed ]] && RANDOM=$seed
    local -A downed=()
    for ((r = 1; r <= rounds; r++)); do
        i=$((RANDOM % LAB_TUNNELS + 1))
        if ! tunnel_up "$i"; then
            action=initiate
        else
            case $((RANDOM % 4)) in
            0 | 1) action=terminate ;;
            2) action=rekey ;;
            3) action=rekey-ike ;;
            esac
        fi
        printf 'churn %d/%d: ' "$r" "$rounds"
        case $action in
        initiate) do_initiate "$i"; unset "downed[$i]" ;;
        terminate) do_terminate "$i"; downed[$i]=1 ;;
        rekey) do_rekey "$i" child ;;
        rekey-ike) do_rekey "$i" ike ;;
        esac
    done
    if ((restore)) && ((${#downed[@]})); then
        for i in "${!downed[@]}"; do
            printf 'churn restore: '
            do_initiate "$i"
        done
    fi
}

cmd_start() {
    local role=${1:-} t0
    [[ $role == gw || $role == peer ]] || die "usage: start gw|peer [--no-wait]"
    load_state
    ns_exists "$(role_ns "$role")" || die "namespace $(role_ns "$role") missing; run: $0 up"
    t0=$(now)
    start_daemon "$role"
    wait_daemon "$role"
    load_config "$role"
    if [[ ${2:-} == --no-wait ]]; then
        say "started $role charon (pid $(charon_pid "$role")), config loaded; not waiting for tunnels"
        return
    fi
    say "started $role charon (pid $(charon_pid "$role")), config loaded; waiting for tunnels"
    # What the restarted daemon initiates comes back by its start_action; what
    # the other side initiates and gave up on (its SAs were deleted, or its
    # attempts were refused during the restart) is re-initiated after 3s.
    wait_up "tunnels after start of $role" "$LAB_TUNNELS" "$LAB_RW" \
        $((60 + LAB_TUNNELS / 5 + LAB_RW)) 3
    say "start $role: all tunnels back in $(since "$t0")s"
}

cmd_stop() {
    local role=${1:-} how="term"
    [[ $role == gw || $role == peer ]] || die "usage: stop gw|peer [--kill]"
    case ${2:-} in
    "") ;;
    --kill) how="kill" ;;
    *) die "usage: stop gw|peer [--kill]" ;;
    esac
    load_state
    stop_daemon "$role" "$how"
}

# error-notify ROLE: charon's own client, whose socket path is hard-wired to
# /var/run/charon.enfy, in a private mount namespace (inside ROLE's network
# namespace, so `down` ends it) whose tmpfs /run has that name as a symlink to
# ROLE's socket. exec all the way down: one pid, SIGTERM ends the tool.
cmd_error_notify() {
    local role=${1:-} sock
    [[ $role == gw || $role == peer ]] || die "usage: error-notify gw|peer"
    load_state
    sock=$(role_dir "$role")/charon.enfy
    [[ -S $sock ]] || die "no error-notify socket $sock ($role charon not running?)"
    [[ -x $ERROR_NOTIFY ]] || die "missing $ERROR_NOTIFY (package libcharon-extra-plugins)"
    exec ip netns exec "$(role_ns "$role")" unshare --mount --propagation private \
        sh -c 'mount -t tmpfs -o size=64k,mode=0755 lab-enfy /run && ln -s "$1" /run/charon.enfy && shift && exec "$@"' \
        lab-error-notify "$sock" stdbuf -oL "$ERROR_NOTIFY"
}

cmd_provoke() {
    local keep=()
    if [[ ${1:-} == --cleanup ]]; then
        load_state
        "$PY" "$LAB_SRC/provoke.py" --gw "$(role_uri gw)" --peer "$(role_uri peer)" --lab-dir "$LAB_DIR" --cleanup
        return
    fi
    case ${1:-} in --keep | --prepare) keep=("$1"); shift ;; esac
    local scn=${1:-}
    case $scn in
    psk | ike-proposal | esp-proposal | ts | unreachable | pool | cert-expired) ;;
    *) die "usage: provoke [--keep|--prepare] psk|ike-proposal|esp-proposal|ts|unreachable|pool|cert-expired | provoke --cleanup" ;;
    esac
    load_state
    [[ -n $(charon_pid gw) && -n $(charon_pid peer) ]] || die "both charons must be running"
    [[ $scn != cert-expired || -s $LAB_DIR/pki/fail-expired.pem ]] ||
        die "no $LAB_DIR/pki/fail-expired.pem; run: $0 up"
    "$PY" "$LAB_SRC/provoke.py" --gw "$(role_uri gw)" --peer "$(role_uri peer)" \
        --lab-dir "$LAB_DIR" "${keep[@]}" "$scn"
}

# ocsp: gw checks a certificate of the second CA by OCSP once and caches the
# response (lab/README.md, "OCSP"). The responder (openssl ocsp, signing with
# the second CA's key) runs in gw's namespace on port $OCSP_PORT for the
# attempt only.
OCSP_PORT=8888
cmd_ocsp() {
    load_state
    [[ -n $(charon_pid gw) && -n $(charon_pid peer) ]] || die "both charons must be running"
    local p=$LAB_DIR/pki idx=$LAB_DIR/pki/ocsp-index.txt serial end subj pid i rc=0 line
    [[ -s $p/ocsp-client.pem ]] || die "no $p/ocsp-client.pem; run: $0 up"
    while IFS= read -r line; do
        case $line in
        serial=*) serial=${line#serial=} ;;
        notAfter=*) end=$(date -u -d "${line#notAfter=}" +%y%m%d%H%M%SZ) ;;
        subject=*) subj=${line#subject=} ;;
        esac
    done < <(openssl x509 -in "$p/ocsp-client.pem" -noout -serial -enddate -subject -nameopt compat)
    printf 'V\t%s\t\t%s\tunknown\t%s\n' "$end" "$serial" "${subj# }" >"$idx"
    ip netns exec "$GW_NS" openssl ocsp -index "$idx" -port "$OCSP_PORT" -CA "$p/ca2.pem" \
        -rsigner "$p/ca2.pem" -rkey "$p/ca2.key" -ndays 7 >"$LAB_DIR/gw/ocsp-responder.log" 2>&1 &
    pid=$!
    for ((i = 0; i < 100; i++)); do
        ip netns exec "$GW_NS" ss -Hltn "sport = :$OCSP_PORT" 2>/dev/null | grep -q . && break
        sleep 0.05
    done
    "$PY" "$LAB_SRC/ocsp_probe.py" --gw "$(role_uri gw)" --peer "$(role_uri peer)" --lab-dir "$LAB_DIR" || rc=$?
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return "$rc"
}

cmd_logs() {
    local role=${1:-gw}
    role_ns "$role" >/dev/null
    tail -n "${2:-50}" "$(role_dir "$role")/charon.log"
}

usage() {
    cat <<EOF
usage: $0 COMMAND [ARGS]

  install                    apt/pip install what the lab needs (idempotent)
  up [N] [--rw M] [--timeout S]
                             (re)start the lab: N site tunnels (default $DEFAULT_TUNNELS),
                             M road warriors (default $DEFAULT_RW, max 254); waits until up
  down                       stop daemons, delete namespaces (idempotent)
  clean                      down, then remove \$LAB_DIR (incl. cached certificates)
  env                        print export lines (also in \$LAB_DIR/env)
  status                     daemons and SA counts
  traffic I BYTES [COUNT] [--reverse] [--json]
                             COUNT UDP datagrams, BYTES payload in total, through tunnel I
                             (gw -> peer; --reverse: peer -> gw); checks they arrive
  traffic-all [BYTES]        one datagram (default 100 bytes) through every tunnel
  terminate I | initiate I   take tunnel I (site-000I on gw) down / up
  rekey I [--ike]            rekey tunnel I's CHILD_SA (or its IKE_SA)
  churn [ROUNDS] [--seed S] [--no-restore]
                             random terminate/initiate/rekey; restores downed tunnels
  stop gw|peer [--kill]      stop a daemon (SIGTERM: it deletes its SAs; --kill: SIGKILL, a crash)
  start gw|peer [--no-wait]  start it again, load its config, wait until all tunnels are back
                             (--no-wait: return once its config is loaded)
  restart gw|peer [--kill] [--no-wait]  stop + start
  swanctl ARGS...            swanctl against gw's socket (e.g. $0 swanctl --list-sas)
  logs [gw|peer] [LINES]     tail a charon log
  error-notify gw|peer       run charon's error-notify client on that daemon's socket (until killed)
  provoke [--keep] SCENARIO  one failing attempt between gw and peer: psk ike-proposal
                             esp-proposal ts unreachable pool cert-expired (--keep: its
                             connections stay loaded, as a misconfigured tunnel would;
                             --prepare: load and keep them, no attempt)
  provoke --cleanup          unload what provoke --keep left loaded
  ocsp                       gw checks a certificate of the second CA by OCSP once (responder in
                             gw's namespace for the attempt) and keeps the response (up does this)

LAB_DIR=$LAB_DIR  LAB_NAME=$LAB_NAME (namespaces $GW_NS, $PEER_NS)
EOF
}

main() {
    local cmd=${1:-help}
    (($#)) && shift
    case $cmd in
    install) cmd_install "$@" ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    clean) cmd_clean ;;
    env) cmd_env ;;
    status) cmd_status ;;
    traffic) cmd_traffic "$@" ;;
    traffic-all) cmd_traffic_all "$@" ;;
    terminate) load_state; check_index "${1:-}"; do_terminate "$1" ;;
    initiate) load_state; check_index "${1:-}"; do_initiate "$1" ;;
    rekey)
        load_state
        check_index "${1:-}"
        if [[ ${2:-} == --ike ]]; then do_rekey "$1" ike; else do_rekey "$1" child; fi
        ;;
    churn) cmd_churn "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    restart)
        [[ ${1:-} == gw || ${1:-} == peer ]] || die "usage: restart gw|peer [--kill] [--no-wait]"
        local role=$1 stop_args=() start_args=() arg
        shift
        for arg in "$@"; do
            case $arg in
            --kill) stop_args+=(--kill) ;;
            --no-wait) start_args+=(--no-wait) ;;
            *) die "usage: restart gw|peer [--kill] [--no-wait]" ;;
            esac
        done
        cmd_stop "$role" "${stop_args[@]}"
        cmd_start "$role" "${start_args[@]}"
        ;;
    swanctl) sw gw "$@" ;;
    logs) cmd_logs "$@" ;;
    error-notify) cmd_error_notify "$@" ;;
    provoke) cmd_provoke "$@" ;;
    ocsp) cmd_ocsp ;;
    help | -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
    esac
}

main "$@"
