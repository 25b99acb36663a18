import Foundation
import PrometheusExposition
import PrometheusExpositionTesting
import TestRequirements
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The real `strongswan_exporter run` binary under systemd's protocols, with the manager's side played by the
/// test: a datagram socket as `NOTIFY_SOCKET` (``SystemdNotifySocket``), `WATCHDOG_USEC`/`WATCHDOG_PID` in the
/// child's environment, and `systemd-socket-activate` for `LISTEN_FDS`.
///
/// The watchdog tests use a 4 s `WATCHDOG_USEC`, so pings are due every 2 s. They assert systemd's contract
/// (no gap of a whole `WATCHDOG_USEC`, which is when systemd would kill the service) and the cadence as a median,
/// never a count of pings in a wall-clock window: a slow, loaded CI machine can delay a single ping by a second
/// without the exporter being wrong. What a stall would look like (a poll loop that withholds pings) is a gap of
/// the whole slow poll, 15 s or more, far above the bound.
final class SystemdAgainstBinaryTests: XCTestCase {
    /// `WATCHDOG_USEC` for the watchdog tests, in µs, and the same in seconds.
    static let watchdogUSec = 4_000_000
    static let watchdogSeconds = Double(watchdogUSec) / 1e6
    // MARK: - READY, STATUS, RELOADING, STOPPING

    func testReadyOnlyWithTheListenerThenStatusPerPollReloadAndStoppingOnSIGTERM() throws {
        let lab = try LabEnvironment.require()
        let notify = try SystemdNotifySocket()
        defer { notify.close() }
        let port = try SystemdChild.freePort()
        XCTAssertFalse(SystemdChild.acceptsConnections(port: port), "port \(port) should be free")
        let run = try SystemdExporterRun(
            lab.exporter,
            ["run", "--vici.socket", lab.gwVICI, "--web.listen-address", "127.0.0.1:\(port)", "--poll.interval", "1s"],
            environment: ["NOTIFY_SOCKET": notify.path])
        defer { run.stop(signal: SIGKILL) }

        let (ready, readyIndex) = try notify.waitFor("READY=1", timeout: 30, while: { run.isRunning }) {
            $0.contains("READY=1")
        }
        // The listener is never closed while running, so if it accepts now it existed when READY=1 was sent.
        XCTAssertTrue(SystemdChild.acceptsConnections(port: port), "READY=1 arrived but port \(port) refuses: \(run.log)")
        XCTAssertEqual(ready.pid, run.pid, "READY=1 must come from the main process (NotifyAccess=main)")
        XCTAssertFalse(
            notify.notifications[..<readyIndex].contains { $0.contains("READY=1") || $0.value("STATUS") != nil },
            "nothing but watchdog pings before the first READY=1: \(notify.notifications)")

        // STATUS= travels with READY=1 and describes the first poll of the lab's charon.
        let version = (try lab.pythonVICI("version") as? [String: Any])?["version"] as? String
        let statusPattern = #/charon (\S+) up, (\d+) IKE_SAs, (\d+)/(\d+) tunnels up, poll ([0-9.]+) ms/#
        let readyStatus = try XCTUnwrap(ready.value("STATUS"), "READY=1 without STATUS=: \(ready)")
        let first = try XCTUnwrap(readyStatus.wholeMatch(of: statusPattern), "unexpected STATUS=\(readyStatus)")
        XCTAssertEqual(String(first.1), version, readyStatus)

        // Then one STATUS= per poll (interval 1 s), matching what a scrape and strongSwan's Python client see.
        let (later, laterIndex) = try notify.waitFor("a STATUS= after READY=1", from: readyIndex + 1, timeout: 10) {
            $0.value("STATUS") != nil
        }
        try notify.waitFor("a second STATUS= after READY=1", from: laterIndex + 1, timeout: 10) { $0.value("STATUS") != nil }
        XCTAssertFalse(later.contains("READY=1"), "READY=1 is sent once at start-up, not per poll: \(later)")
        let scrape = try ExpositionParser().parse(Array(try TinyHTTP.get(port: port, path: "/metrics").body))
        let tunnels = scrape.samples(named: "strongswan_tunnel_up")
        let ikeSAs = ((try lab.pythonVICI("stats") as? [String: Any])?["ikesas"] as? [String: Any])?["total"] as? String
        let status = try XCTUnwrap(notify.notifications.last { $0.value("STATUS") != nil }?.value("STATUS"))
        let match = try XCTUnwrap(status.wholeMatch(of: statusPattern), "unexpected STATUS=\(status)")
        XCTAssertEqual(String(match.1), version, status)
        XCTAssertEqual(String(match.2), ikeSAs, "IKE_SAs in \(status) vs python vici stats")
        XCTAssertEqual(Int(match.3), tunnels.filter { $0.value == 1 }.count, "tunnels up in \(status) vs the scrape")
        XCTAssertEqual(Int(match.4), tunnels.count, "configured tunnels in \(status) vs the scrape")
        XCTAssertGreaterThanOrEqual(tunnels.filter { $0.value == 1 }.count, 4, "the lab's site tunnels are up: \(status)")
        XCTAssertGreaterThan(Double(match.5) ?? 0, 0, status)

        // SIGHUP: RELOADING=1 with a current CLOCK_MONOTONIC timestamp, then READY=1 again.
        let beforeReload = notify.notifications.count
        let hupSent = SystemdClock.now()
        kill(run.pid, SIGHUP)
        let (reloading, reloadingIndex) = try notify.waitFor("RELOADING=1", from: beforeReload, timeout: 10) {
            $0.contains("RELOADING=1")
        }
        // Sent after the signal and before the datagram arrived, both read from CLOCK_MONOTONIC here: an order, not
        // a latency bound (a clock in ms or ns, or CLOCK_REALTIME, would be off by orders of magnitude).
        let monotonic = try XCTUnwrap(reloading.value("MONOTONIC_USEC").flatMap(Double.init), "\(reloading)") / 1e6
        XCTAssertGreaterThanOrEqual(monotonic, hupSent - 0.001, "MONOTONIC_USEC= is CLOCK_MONOTONIC in µs: \(reloading)")
        XCTAssertLessThanOrEqual(monotonic, reloading.time + 0.001, "MONOTONIC_USEC= is CLOCK_MONOTONIC in µs: \(reloading)")
        let (reloaded, _) = try notify.waitFor("READY=1 after RELOADING=1", from: reloadingIndex + 1, timeout: 10) {
            $0.contains("READY=1")
        }
        XCTAssertNotNil(reloaded.value("STATUS"), "the reload's READY=1 carries the status: \(reloaded)")

        // SIGTERM: STOPPING=1 at once, a clean exit, and nothing after STOPPING=1.
        let beforeStop = notify.notifications.count
        XCTAssertEqual(run.stop(signal: SIGTERM), 0, "SIGTERM is a clean shutdown: \(run.log)")
        let (_, stoppingIndex) = try notify.waitFor("STOPPING=1", from: beforeStop, timeout: 2) { $0.contains("STOPPING=1") }
        usleep(100_000)
        let all = notify.notifications
        XCTAssertEqual(stoppingIndex, all.count - 1, "STOPPING=1 is the last word: \(all[beforeStop...])")

        // No WATCHDOG_USEC, no pings; and every datagram came from the exporter itself.
        XCTAssertFalse(all.contains { $0.contains("WATCHDOG=1") }, "WATCHDOG=1 without WATCHDOG_USEC: \(all)")
        XCTAssertEqual(Set(all.map(\.pid)), [run.pid])
    }

    func testNoReadyWhenTheListenAddressCannotBeBound() throws {
        let lab = try LabEnvironment.require()
        let notify = try SystemdNotifySocket()
        defer { notify.close() }
        let port = try SystemdChild.freePort()
        let occupied = try SystemdChild.occupy(port: port)
        defer { close(occupied) }
        let run = try SystemdExporterRun(
            lab.exporter, ["run", "--vici.socket", lab.gwVICI, "--web.listen-address", "127.0.0.1:\(port)"],
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
        defer { run.stop(signal: SIGKILL) }
        let status = try XCTUnwrap(run.waitForExit(timeout: 30), "still running although its port is taken: \(run.log)")
        XCTAssertNotEqual(status, 0, run.log)
        usleep(100_000)
        XCTAssertFalse(
            notify.notifications.contains { $0.contains("READY=1") },
            "READY=1 although the listener could not be bound: \(notify.notifications)")
    }

    // MARK: - Watchdog

    func testWatchdogPingsEveryHalfWatchdogUSecWhenWatchdogPIDIsTheExporter() throws {
        let lab = try LabEnvironment.require()
        let notify = try SystemdNotifySocket()
        defer { notify.close() }
        let port = try SystemdChild.freePort()
        // WATCHDOG_PID must name the exporter: the shell's pid, which `exec` hands on to it.
        let run = try SystemdExporterRun(
            "/bin/sh",
            ["-c", #"export WATCHDOG_PID=$$; exec "$0" "$@""#, lab.exporter,
             "run", "--vici.socket", lab.gwVICI, "--web.listen-address", "127.0.0.1:\(port)", "--poll.interval", "1s"],
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": String(Self.watchdogUSec)])
        defer { run.stop(signal: SIGKILL) }
        let (ready, readyIndex) = try notify.waitFor("READY=1", timeout: 30, while: { run.isRunning }) {
            $0.contains("READY=1")
        }
        // Six pings after READY=1 (about 12 s), waited for one by one with a generous deadline each.
        var index = readyIndex + 1
        for ping in 1...6 {
            index = try notify.waitFor("ping \(ping) after READY=1", from: index, timeout: 60, while: { run.isRunning }) {
                $0.contains("WATCHDOG=1")
            }.1 + 1
        }
        let pings = notify.notifications.filter { $0.contains("WATCHDOG=1") }
        XCTAssertEqual(Set(pings.map(\.pid)), [run.pid], "pings come from the exporter")
        let gaps = zip(pings.dropFirst(), pings).map { $0.time - $1.time }
        let sorted = gaps.sorted()
        let median = sorted[sorted.count / 2]
        let half = Self.watchdogSeconds / 2
        XCTAssertEqual(median, half, accuracy: half / 4, "pings every WATCHDOG_USEC/2: \(gaps)")
        XCTAssertLessThan(sorted.last ?? .infinity, Self.watchdogSeconds, "never a whole WATCHDOG_USEC without one: \(gaps)")
        XCTAssertGreaterThan(sorted.first ?? 0, half / 4, "no bursts: \(gaps)")
        print(String(format: "watchdog cadence: %ld pings, gaps median %.3f s, min %.3f s, max %.3f s",
                     pings.count, median, sorted.first ?? 0, sorted.last ?? 0))
        // The first ping goes out at start-up, long before the first poll has finished.
        XCTAssertLessThan(try XCTUnwrap(pings.first).time, ready.time)
        XCTAssertEqual(run.stop(signal: SIGTERM), 0, run.log)
    }

    func testNoWatchdogPingsWhenWatchdogPIDNamesAnotherProcess() throws {
        let lab = try LabEnvironment.require()
        let notify = try SystemdNotifySocket()
        defer { notify.close() }
        let port = try SystemdChild.freePort()
        let run = try SystemdExporterRun(
            lab.exporter,
            ["run", "--vici.socket", lab.gwVICI, "--web.listen-address", "127.0.0.1:\(port)", "--poll.interval", "1s"],
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": String(Self.watchdogUSec), "WATCHDOG_PID": "1"])
        defer { run.stop(signal: SIGKILL) }
        try notify.waitFor("READY=1", timeout: 30, while: { run.isRunning }) { $0.contains("READY=1") }
        // The first ping goes out at start-up, before READY=1 (the test above); wait one more ping interval anyway.
        usleep(useconds_t(Self.watchdogUSec / 2))
        XCTAssertFalse(
            notify.notifications.contains { $0.contains("WATCHDOG=1") },
            "the watchdog variables were meant for pid 1: \(notify.notifications)")
        XCTAssertEqual(run.stop(signal: SIGTERM), 0, run.log)
    }

    /// A charon that answers every command slowly (2.5 s, well inside a 6 s --vici.timeout, so that a loaded machine
    /// does not turn an answer into a timeout) makes a poll long but never
    /// stops the pings: the watchdog's lease covers the longest legitimate poll (connect + every command of the
    /// enabled collectors at the full timeout), so systemd does not kill an exporter for charon's slowness. A poll
    /// loop that overruns the lease (a hang) stops them; that decision is WatchdogKeeper's, unit-tested with a
    /// manual clock, since a hang cannot be provoked from outside the binary.
    func testASlowCharonNeverStopsThePings() throws {
        let lab = try LabEnvironment.require()
        let vici = try SlowCharon(mode: .slow(seconds: 2.5))
        defer { vici.stop() }
        let notify = try SystemdNotifySocket()
        defer { notify.close() }
        let port = try SystemdChild.freePort()
        let run = try SystemdExporterRun(
            lab.exporter,
            ["run", "--vici.socket", vici.uri, "--vici.timeout", "6s", "--poll.interval", "1s", "--no-events",
             "--web.listen-address", "127.0.0.1:\(port)"],
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": String(Self.watchdogUSec)])
        defer { run.stop(signal: SIGKILL) }

        try notify.waitFor("pings", timeout: 30, while: { run.isRunning }) { $0.contains("WATCHDOG=1") }
        XCTAssertTrue(SystemdChild.acceptsConnections(port: port), "listening before the first poll has finished")
        let (ready, readyIndex) = try notify.waitFor("READY=1 (end of the slow first poll)", timeout: 90, while: { run.isRunning }) {
            $0.contains("READY=1")
        }
        try notify.waitFor("a ping after READY=1", from: readyIndex + 1, timeout: 60, while: { run.isRunning }) {
            $0.contains("WATCHDOG=1")
        }
        let firstPoll = vici.commands.filter { ($0.answered ?? .infinity) <= ready.time }
        let pollStart = try XCTUnwrap(firstPoll.first, "no command reached the fake charon").arrived
        XCTAssertGreaterThanOrEqual(firstPoll.count, 7, "one command per collector at least: \(firstPoll.map(\.name))")
        XCTAssertGreaterThan(ready.time - pollStart, 15, "the first poll must be slow for this test to mean anything")

        // Pings before the poll began and after it ended, and never a whole WATCHDOG_USEC without one in between.
        let pings = notify.notifications.filter { $0.contains("WATCHDOG=1") }.map(\.time)
        let gaps = zip(pings.dropFirst(), pings).map { $0 - $1 }
        // (The first ping and the first command race at start-up; a withheld ping would come 15 s later.)
        XCTAssertLessThan(pings.first ?? .infinity, pollStart + Self.watchdogSeconds, "\(pings)")
        XCTAssertGreaterThan(pings.last ?? 0, ready.time, "\(pings)")
        XCTAssertLessThan(gaps.max() ?? .infinity, Self.watchdogSeconds,
                          "pings throughout the slow poll: \(gaps)\n\(run.log)")
        XCTAssertFalse(run.log.contains("withholding watchdog pings"), run.log)
        XCTAssertEqual(run.stop(signal: SIGTERM), 0, run.log)
    }

    /// A charon that accepts connections and never answers does not stop the pings: each poll fails at the VICI
    /// timeout, and a failed poll is progress (restarting the exporter would not make charon answer).
    func testPingsGoOnWhileCharonNeverAnswers() throws {
        let lab = try LabEnvironment.require()
        let vici = try SlowCharon(mode: .silent)
        defer { vici.stop() }
        let notify = try SystemdNotifySocket()
        defer { notify.close() }
        let port = try SystemdChild.freePort()
        let lease = 1.0 + 3 * 1.0 + 5.0
        let run = try SystemdExporterRun(
            lab.exporter,
            ["run", "--vici.socket", vici.uri, "--vici.timeout", "1s", "--poll.interval", "1s", "--no-events",
             "--web.listen-address", "127.0.0.1:\(port)"],
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": String(Self.watchdogUSec)])
        defer { run.stop(signal: SIGKILL) }

        let (ready, _) = try notify.waitFor("READY=1", timeout: 30, while: { run.isRunning }) { $0.contains("READY=1") }
        XCTAssertEqual(ready.value("STATUS"), "charon unreachable")
        // Watch for well over one lease.
        let until = run.started + lease + 4
        while SystemdClock.now() < until {
            XCTAssertTrue(run.isRunning, run.log)
            usleep(100_000)
        }
        let pings = notify.notifications.filter { $0.contains("WATCHDOG=1") }.map(\.time)
        let gaps = zip(pings.dropFirst(), pings).map { $0 - $1 }
        XCTAssertGreaterThan(pings.last ?? 0, until - Self.watchdogSeconds, "pings to the end: \(pings)")
        XCTAssertLessThan(gaps.max() ?? .infinity, Self.watchdogSeconds, "no ping withheld: \(gaps)\n\(run.log)")
        // A silent charon gets one command per poll (whichever comes first; it never answers).
        let commands = vici.commands.map { $0.name }
        XCTAssertGreaterThanOrEqual(commands.count, 4, "a poll (and a new connection) after every timeout: \(commands)")
        XCTAssertFalse(run.log.contains("withholding watchdog pings"), run.log)
        XCTAssertTrue(
            notify.notifications.filter { $0.value("STATUS") != nil }.allSatisfy { $0.value("STATUS") == "charon unreachable" })
        XCTAssertEqual(run.stop(signal: SIGTERM), 0, run.log)
    }

    // MARK: - Socket activation

    func testServesOnTheSocketFromSystemdSocketActivate() throws {
        let lab = try LabEnvironment.require()
        let activator = "/usr/bin/systemd-socket-activate"
        try CIRequirement.requireExecutable(activator, from: "Debian package systemd")
        let notify = try SystemdNotifySocket()
        defer { notify.close() }
        let port = try SystemdChild.freePort()
        let ignoredPort = try SystemdChild.freePort()
        // systemd-socket-activate listens, and on the first connection execs the exporter in its own process with
        // LISTEN_FDS=1, LISTEN_PID and LISTEN_FDNAMES; it passes no other variables but those given with -E.
        let run = try SystemdExporterRun(
            activator,
            ["-l", "127.0.0.1:\(port)", "--fdname=metrics", "-E", "NOTIFY_SOCKET=\(notify.path)",
             lab.exporter, "run", "--vici.socket", lab.gwVICI, "--poll.interval", "1s",
             "--web.listen-address", "127.0.0.1:\(ignoredPort)"],
            environment: [:])
        defer { run.stop(signal: SIGKILL) }

        // The first scrape is the connection that starts the exporter; it waits in the inherited socket's backlog.
        let start = SystemdClock.now()
        var first: (status: Int, body: Data)?
        while first == nil, SystemdClock.now() - start < 30, run.isRunning {
            first = try? TinyHTTP.get(port: port, path: "/metrics", timeoutSeconds: 30)
            if first == nil { usleep(20_000) }
        }
        XCTAssertEqual(first?.status, 200, run.log)
        let (ready, _) = try notify.waitFor("READY=1", timeout: 30, while: { run.isRunning }) { $0.contains("READY=1") }
        XCTAssertEqual(ready.pid, run.pid, "the exporter runs in the activator's process (exec)")
        let scrape = try ExpositionParser().parse(Array(try TinyHTTP.get(port: port, path: "/metrics").body))
        XCTAssertEqual(scrape.value("strongswan_up"), 1, run.log)
        XCTAssertGreaterThanOrEqual(scrape.samples(named: "strongswan_tunnel_up").count, 4)
        XCTAssertFalse(SystemdChild.acceptsConnections(port: ignoredPort), "--web.listen-address is ignored when socket-activated")

        let beforeStop = notify.notifications.count
        XCTAssertEqual(run.stop(signal: SIGTERM), 0, run.log)
        try notify.waitFor("STOPPING=1", from: beforeStop, timeout: 2) { $0.contains("STOPPING=1") }
        XCTAssertFalse(SystemdChild.acceptsConnections(port: port), "the inherited socket is closed at exit")
    }
}
