# strongswan_exporter — build, test, lab, demo, install.
#
#   make test     everything CI runs: installs Debian packages (apt-get, as root), builds, starts the real
#                 strongSwan lab, runs `swift test` (unit + real-daemon tests), tears the lab down
#   make demo     installs what is needed, starts the lab with a few tunnels, runs the exporter against it
#                 and shows a scrape
#   make install  installs the release binary, systemd units, defaults file, dashboards and alert rules
#   make deb      builds the Debian package dist/strongswan-exporter_VERSION_ARCH.deb (debian/rules)
#   make man      strongswan_exporter.1 from the command's own help (swift-argument-parser's generate-manual)
#   make long-tests  the long soak and fuzzing runs (make soak, make fuzz are the parts)
#   make bench    the scale benchmark (BENCHMARKS.md); make bench-micro the release-mode micro-benchmarks

SHELL := /bin/bash
PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
LAB := lab/lab.sh
LAB_TUNNELS ?= 50
LAB_RW ?= 10
DEMO_PORT ?= 9814
FUZZ_SECONDS ?= 30

.PHONY: all build release release-bin-path install-files man deb deb-test deps test unit-test lab-up lab-down demo install clean dashboards-test dashboards-e2e soak fuzz long-tests bench bench-micro

all: build

build:
	$(SWIFT) build

# The release binary links the Swift runtime and Foundation statically: it runs on a gateway without a Swift
# toolchain (it needs only libc, libstdc++, libsystemd, libcrypt, zlib and libyaml) and maps 3.5 MiB less resident code.
RELEASE_FLAGS ?= -c release --static-swift-stdlib

release:
	$(SWIFT) build $(RELEASE_FLAGS) --product strongswan_exporter

# Where `make release` puts the binary (debian/rules installs it from there).
release-bin-path:
	@echo "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/strongswan_exporter"

# Debian packages the build, the tests and the lab need (idempotent; quiet when already installed).
deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  pkgs="strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins libstrongswan-extra-plugins strongswan-pki prometheus libsystemd-dev pkg-config libcrypt-dev zlib1g-dev iproute2 openssl gzip python3-pip wrk curl dpkg-dev debhelper lintian man-db libyaml-dev"; \
	  missing=""; for p in $$pkgs; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi; \
	fi
	@python3 -c 'import vici' 2>/dev/null || python3 -m pip install -q vici 2>/dev/null || python3 -m pip install -q --break-system-packages vici

unit-test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip LabTests

# The full suite: unit tests plus tests against a real charon. The lab is torn down whatever happens.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) build --product strongswan_exporter
	@set -euo pipefail; \
	  trap '$(LAB) down >/dev/null 2>&1 || true' EXIT; \
	  if [ "$$(id -u)" = 0 ] && ip netns list >/dev/null 2>&1; then \
	    $(LAB) up $(LAB_TUNNELS) --rw $(LAB_RW); \
	    set -a; source "$${LAB_DIR:-/tmp/strongswan-lab}/env"; set +a; \
	    export LAB_SCRIPT="$$PWD/$(LAB)" EXPORTER_BINARY="$$($(SWIFT) build --show-bin-path)/strongswan_exporter"; \
	  else \
	    echo "NOTE: not root or no network namespaces: the real-daemon tests (LabTests) will skip."; \
	  fi; \
	  rc=0; $(SWIFT) test --skip-build 2>&1 | tee .build/swift-test.log || rc=$$?; \
	  if [ "$$rc" != 0 ]; then scripts/test-failures.sh .build/swift-test.log; exit "$$rc"; fi; \
	  bash systemd/check-units.sh; \
	  scripts/fuzz.sh $(FUZZ_SECONDS); \
	  if [ -n "$${EXPORTER_BINARY:-}" ]; then scripts/dashboards-e2e.sh "$$EXPORTER_BINARY" "$(LAB)"; \
	  else scripts/dashboards-e2e.sh --static; fi; \
	  scripts/soak.sh --quick; \
	  $(MAKE) deb; \
	  scripts/deb-test.sh "$(DEB_FILE)"

lab-up: deps
	$(LAB) up $(LAB_TUNNELS) --rw $(LAB_RW)

lab-down:
	$(LAB) down

demo: deps
	$(LAB) up 4 --rw 3
	$(SWIFT) build --product strongswan_exporter
	@set -euo pipefail; source "$${LAB_DIR:-/tmp/strongswan-lab}/env"; \
	  bin="$$($(SWIFT) build --show-bin-path)/strongswan_exporter"; \
	  "$$bin" run --vici.socket "$$LAB_GW_VICI" --error-notify.socket "$$LAB_GW_ENFY" \
	    --web.listen-address 127.0.0.1:$(DEMO_PORT) --poll.interval 5s & pid=$$!; \
	  trap 'kill $$pid 2>/dev/null || true' EXIT; \
	  for i in $$(seq 1 50); do curl -fsS -o /dev/null http://127.0.0.1:$(DEMO_PORT)/metrics 2>/dev/null && break; sleep 0.2; done; \
	  sleep 1; echo "lab.sh provoke psk: one attempt with a wrong pre-shared key, to show a failure reason"; \
	  $(LAB) provoke psk | tail -n 1; sleep 1; \
	  curl -fsS http://127.0.0.1:$(DEMO_PORT)/metrics | grep -E '^strongswan_(up|info|ike_sas|tunnel_up|pool_leases|certificate_not_after|error_notify_up|connection_failures_by_reason_total|connection_last_failure)' ; \
	  echo; echo "exporter running on http://127.0.0.1:$(DEMO_PORT)/metrics against $$LAB_GW_VICI — press Ctrl-C to stop (then: make lab-down)"; \
	  wait $$pid

# Where `make install` puts the units and the sysusers file; debian/rules installs with Debian's places
# (PREFIX=/usr UNITDIR=/lib/systemd/system SYSUSERSDIR=/usr/lib/sysusers.d DESTDIR=debian/strongswan-exporter).
UNITDIR ?= /etc/systemd/system
SYSUSERSDIR ?= /etc/sysusers.d
DATADIR = $(PREFIX)/share/strongswan-exporter

install: release install-files

# What goes where, without building (debian/rules builds first, then calls this).
install-files:
	install -D -m 0755 "$$($(MAKE) -s --no-print-directory release-bin-path)" "$(DESTDIR)$(PREFIX)/bin/strongswan_exporter"
	install -d "$(DESTDIR)$(UNITDIR)"
	for f in systemd/strongswan-exporter.service systemd/strongswan-exporter.socket; do \
	  sed 's|/usr/local/bin/strongswan_exporter|$(PREFIX)/bin/strongswan_exporter|g' "$$f" > "$(DESTDIR)$(UNITDIR)/$$(basename $$f)"; \
	done
	install -D -m 0644 systemd/strongswan-exporter.default "$(DESTDIR)/etc/default/strongswan-exporter"
	install -D -m 0644 systemd/strongswan-exporter.sysusers "$(DESTDIR)$(SYSUSERSDIR)/strongswan-exporter.conf"
	install -D -m 0644 -t "$(DESTDIR)$(DATADIR)/dashboards" dashboards/strongswan-overview.json dashboards/strongswan-tunnel.json
	install -D -m 0644 -t "$(DESTDIR)$(DATADIR)/rules" dashboards/strongswan-alerts.rules.yml dashboards/strongswan-recording.rules.yml

# The manual page, generated from the command's own help by swift-argument-parser's generate-manual plugin
# (it builds the package's executables in the debug configuration, which `make test` has built already, and
# runs `strongswan_exporter --experimental-dump-help`). Dated by debian/changelog, so the same source gives
# the same page.
MAN_PAGE := .build/plugins/GenerateManual/outputs/strongswan_exporter/strongswan_exporter.1
MAN_DATE = $(shell date -u -d "@$$(dpkg-parsechangelog -l debian/changelog -S Timestamp)" +%F)

man:
	$(SWIFT) package plugin generate-manual --configuration debug --date "$(MAN_DATE)"
	@test -s $(MAN_PAGE) && echo "man page: $(MAN_PAGE)"

# The Debian package, built by debian/rules (debhelper: release binary, man page, units, sysusers, Depends
# from dpkg-shlibdeps), into DEB_OUTPUT_DIR. `make deb-test` checks it: lintian, install, purge.
DEB_OUTPUT_DIR ?= $(CURDIR)/dist
DEB_VERSION = $(shell dpkg-parsechangelog -l debian/changelog -S Version)
DEB_FILE = $(DEB_OUTPUT_DIR)/strongswan-exporter_$(DEB_VERSION)_$(shell dpkg --print-architecture).deb

deb: deps
	mkdir -p "$(DEB_OUTPUT_DIR)"
	debian/rules binary DEB_OUTPUT_DIR="$(DEB_OUTPUT_DIR)"
	@echo "package: $(DEB_FILE)"

deb-test: deb
	scripts/deb-test.sh "$(DEB_FILE)"

# Benchmarks (release build; not tests): the scale run against the real lab and the synthetic charon, and the
# micro-benchmarks. Results and how to read them: BENCHMARKS.md.
bench: deps
	scripts/bench.sh

bench-micro:
	scripts/bench-micro.sh

# The long soak (60 s of wrk at concurrency 64 during churn and charon restarts, on a lab of its own).
soak: deps
	$(SWIFT) build --product strongswan_exporter
	EXPORTER_BINARY="$$($(SWIFT) build --show-bin-path)/strongswan_exporter" scripts/soak.sh

# Fuzz each libFuzzer target for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=3600 for a long run).
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The long versions of the reliability checks, in one command: the 60 s soak (wrk c64, churn, two charon
# restarts) and LONG_FUZZ_SECONDS of fuzzing per libFuzzer target (default 600).
LONG_FUZZ_SECONDS ?= 600
long-tests: soak
	scripts/fuzz.sh $(LONG_FUZZ_SECONDS)

# Dashboards and rules without a lab: JSON lint, generator in sync, promtool check/test rules.
dashboards-test:
	scripts/dashboards-e2e.sh --static

# Exporter + a real Prometheus against a lab of its own (root, network namespaces).
dashboards-e2e: deps
	$(SWIFT) build --product strongswan_exporter
	@set -euo pipefail; export LAB_NAME=dash-e2e LAB_DIR=/tmp/strongswan-lab-dash-e2e; \
	  trap '$(LAB) down >/dev/null 2>&1 || true' EXIT; \
	  $(LAB) up 6 --rw 2; \
	  scripts/dashboards-e2e.sh "$$($(SWIFT) build --show-bin-path)/strongswan_exporter" $(LAB)

clean:
	rm -rf .build dist
	if command -v dh >/dev/null; then debian/rules clean; fi
