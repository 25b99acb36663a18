import Foundation
import PrometheusExposition
import PrometheusExpositionTesting
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Multi-target probing with the real binary: one exporter serves gw and peer through `/probe` (checked with
/// strongSwan's own Python client on each daemon), refuses targets outside the allow-list without connecting,
/// and closes idle targets' connections.
final class ProbeAgainstLabTests: XCTestCase {
    func testOneExporterServesBothDaemonsThroughProbe() throws {
        let lab = try LabEnvironment.require()
        let exporter = try ExporterProcess(
            lab: lab, arguments: ["--probe.target", lab.gwVICI, "--probe.target", lab.peerVICI])
        defer { _ = exporter.stop() }

        var established: [String: [String: Double]] = [:]
        for (daemon, uri) in [("gw", lab.gwVICI), ("peer", lab.peerVICI)] {
            let before = try Self.python(lab, uri, "list-sas") as? [[String: Any]] ?? []
            let stats = try Self.python(lab, uri, "stats") as? [String: Any] ?? [:]
            let scrape = try Self.probe(exporter, uri)
            let after = try Self.python(lab, uri, "list-sas") as? [[String: Any]] ?? []
            let expected = Self.ikeSACounts(after)
            XCTAssertEqual(Self.ikeSACounts(before), expected, "\(daemon) changed during the test; rerun")

            XCTAssertEqual(scrape.value("strongswan_up"), 1, daemon)
            XCTAssertEqual(scrape.value("probe_success"), 1, daemon)
            let total = (stats["ikesas"] as? [String: Any])?["total"] as? String
            XCTAssertEqual(scrape.value("strongswan_ike_sas"), Double(total ?? ""), "\(daemon): strongswan_ike_sas")
            XCTAssertGreaterThan(expected.values.reduce(0, +), 0, "\(daemon) has IKE_SAs")
            // IKE_SAs of every connection the Python client saw, and nothing else that is non-zero.
            var perConn: [String: Int] = [:]
            for (key, count) in expected { perConn[key.conn, default: 0] += count }
            for (conn, count) in perConn {
                XCTAssertEqual(scrape.value("strongswan_connection_ike_sas", ["conn": conn]), Double(count), "\(daemon): \(conn)")
            }
            let nonZero = scrape.samples(named: "strongswan_connection_ike_sas").filter { $0.value != 0 }
            XCTAssertEqual(nonZero.count, perConn.count, "\(daemon): non-zero strongswan_connection_ike_sas series")
            established[daemon] = Dictionary(
                uniqueKeysWithValues: nonZero.compactMap { sample in sample.label("conn").map { ($0, sample.value) } })
            // The probe answer carries the target's families, not the exporter process's own.
            XCTAssertNil(scrape.value("process_open_fds"), daemon)
        }
        // The two answers really come from two daemons: road warriors are `rw` on gw, `rw-NNN` on peer.
        XCTAssertNotNil(established["gw"]?["rw"])
        XCTAssertNil(established["peer"]?["rw"])
        XCTAssertNotNil(established["peer"]?["rw-001"])
        XCTAssertNil(established["gw"]?["rw-001"])

        // /metrics is unchanged: gw (--vici.socket) and the exporter's own families, probe counts included.
        let metrics = try exporter.scrape()
        XCTAssertNotNil(metrics.value("strongswan_connection_ike_sas", ["conn": "rw"]))
        XCTAssertNil(metrics.value("probe_success"))
        XCTAssertNotNil(metrics.value("process_open_fds"))
        XCTAssertEqual(metrics.value("strongswan_exporter_probe_targets"), 2)
        XCTAssertEqual(metrics.value("strongswan_exporter_probe_requests_total", ["result": "success"]), 2)
    }

    func testTargetOutsideTheAllowListGets400AndNoConnectionAttempt() throws {
        let lab = try LabEnvironment.require()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let forbidden = try ListeningSocket(unixPath: directory + "/forbidden.vici")
        let forbiddenTCP = try ListeningSocket(tcpLoopback: ())
        // Positive control: the same kind of listener, allowed, does see the exporter connect.
        let allowed = try ListeningSocket(unixPath: directory + "/allowed.vici")
        let exporter = try ExporterProcess(
            lab: lab,
            arguments: ["--probe.target", lab.gwVICI, "--probe.target", "unix://" + allowed.path, "--vici.timeout", "2s"])
        defer { _ = exporter.stop() }

        let refusedTargets = [
            "unix://" + forbidden.path,
            Self.percentEncoded("unix://" + forbidden.path),
            "unix://" + directory + "/./allowed.vici",   // the allowed socket, spelled differently: exact match only
            "tcp://127.0.0.1:\(forbiddenTCP.port)",
            "tcp://localhost:\(forbiddenTCP.port)",
        ]
        for target in refusedTargets {
            let (status, body) = try TinyHTTP.get(port: exporter.port, path: "/probe?target=" + target)
            XCTAssertEqual(status, 400, "\(target): \(String(decoding: body, as: UTF8.self))")
        }
        for request in ["/probe", "/probe?target=", "/probe?target=http://127.0.0.1:\(forbiddenTCP.port)/"] {
            XCTAssertEqual(try TinyHTTP.get(port: exporter.port, path: request).status, 400, request)
        }
        // Give a (wrong) asynchronous connect every chance to show up.
        usleep(1_000_000)
        XCTAssertEqual(forbidden.pendingConnections(), 0, "the exporter connected to a target outside the allow-list")
        XCTAssertEqual(forbiddenTCP.pendingConnections(), 0, "the exporter connected to a TCP target outside the allow-list")
        XCTAssertEqual(allowed.pendingConnections(), 0, "the exporter connected through a differently spelled path")

        // The allowed listener does not speak VICI: the first poll times out (--vici.timeout), the answer is
        // served with strongswan_up 0 / probe_success 0, and the listener saw the connection.
        let (status, body) = try TinyHTTP.get(port: exporter.port, path: "/probe?target=unix://" + allowed.path)
        XCTAssertEqual(status, 200)
        let scrape = try ExpositionParser().parse(Array(body))
        XCTAssertEqual(scrape.value("probe_success"), 0)
        XCTAssertEqual(scrape.value("strongswan_up"), 0)
        XCTAssertGreaterThan(allowed.pendingConnections(), 0, "positive control: an allowed target is connected to")

        let metrics = try exporter.scrape()
        XCTAssertEqual(
            metrics.value("strongswan_exporter_probe_requests_total", ["result": "not_allowed"]),
            Double(refusedTargets.count))
        XCTAssertEqual(metrics.value("strongswan_exporter_probe_requests_total", ["result": "invalid_target"]), 3)
    }

    func testIdleTargetsAreReleasedAndTheirSocketsClosed() throws {
        let lab = try LabEnvironment.require()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fake = try ListeningSocket(unixPath: directory + "/fake.vici")
        let exporter = try ExporterProcess(
            lab: lab,
            arguments: [
                "--probe.target", lab.gwVICI, "--probe.target", lab.peerVICI, "--probe.target", "unix://" + fake.path,
                "--probe.idle-timeout", "2s", "--vici.timeout", "1s",
            ])
        defer { _ = exporter.stop() }

        // Baseline: the listener plus the poll and event connections to --vici.socket, once settled.
        var baseline = -1
        try exporter.waitFor("a stable socket count", timeout: 10) {
            let count = try Self.socketCount(exporter.pid)
            defer { baseline = count }
            return count == baseline
        }

        // Two real targets: a poll and an event connection each.
        for uri in [lab.gwVICI, lab.peerVICI] {
            XCTAssertEqual(try Self.probe(exporter, uri).value("probe_success"), 1, uri)
        }
        try exporter.waitFor("4 more sockets (\(baseline) before)", timeout: 30) {
            try Self.socketCount(exporter.pid) == baseline + 4
        }
        XCTAssertEqual(try exporter.scrape().value("strongswan_exporter_probe_targets"), 2)
        try exporter.waitFor("the idle targets' sockets closed", timeout: 60) {
            try Self.socketCount(exporter.pid) == baseline
        }
        let metrics = try exporter.scrape()
        XCTAssertEqual(metrics.value("strongswan_exporter_probe_targets"), 0)
        XCTAssertEqual(metrics.value("strongswan_exporter_probe_targets_released_total"), 2)
        XCTAssertTrue(exporter.log.contains("probe target released"), exporter.log)

        // A fake server: connections come while the target is probed, all are closed once it is idle, and no
        // new one comes after.
        XCTAssertEqual(try TinyHTTP.get(port: exporter.port, path: "/probe?target=unix://" + fake.path).status, 200)
        var accepted: [Int32] = []
        defer { for descriptor in accepted { close(descriptor) } }
        try exporter.waitFor("a connection to the fake target", timeout: 30) {
            accepted += fake.acceptAll()
            return !accepted.isEmpty
        }
        // The release is logged once the target's pipeline has stopped (its connections closed).
        try exporter.waitFor("the fake target released", timeout: 60) {
            exporter.log.components(separatedBy: "probe target released").count - 1 == 3
        }
        accepted += fake.acceptAll()
        XCTAssertFalse(accepted.isEmpty)
        for descriptor in accepted {
            XCTAssertTrue(ListeningSocket.isClosedByPeer(descriptor), "a connection to the idle fake target is still open")
        }
        usleep(2_000_000)
        XCTAssertEqual(fake.pendingConnections(), 0, "the released target was connected to again")
    }

    func testTargetsFileIsReReadOnSIGHUP() throws {
        let lab = try LabEnvironment.require()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/targets"
        try "# only gw for now\n\(lab.gwVICI)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let exporter = try ExporterProcess(lab: lab, arguments: ["--probe.targets-file", file])
        defer { _ = exporter.stop() }
        XCTAssertEqual(try Self.probe(exporter, lab.gwVICI).value("probe_success"), 1)
        XCTAssertEqual(try TinyHTTP.get(port: exporter.port, path: "/probe?target=" + lab.peerVICI).status, 400)

        try "\(lab.peerVICI)   # gw removed\n".write(toFile: file, atomically: true, encoding: .utf8)
        kill(exporter.pid, SIGHUP)
        try exporter.waitFor("peer allowed after SIGHUP", timeout: 10) {
            try TinyHTTP.get(port: exporter.port, path: "/probe?target=" + lab.peerVICI).status == 200
        }
        XCTAssertEqual(try TinyHTTP.get(port: exporter.port, path: "/probe?target=" + lab.gwVICI).status, 400)
        let metrics = try exporter.scrape()
        XCTAssertEqual(metrics.value("strongswan_exporter_probe_targets"), 1, "gw's probe pipeline was released")
        XCTAssertEqual(metrics.value("strongswan_exporter_probe_allowed_targets"), 1)

        // A broken file keeps the previous allow-list.
        try "tcp://no-port\n".write(toFile: file, atomically: true, encoding: .utf8)
        kill(exporter.pid, SIGHUP)
        try exporter.waitFor("the reload error logged", timeout: 10) { exporter.log.contains("probe targets reload failed") }
        XCTAssertEqual(try TinyHTTP.get(port: exporter.port, path: "/probe?target=" + lab.peerVICI).status, 200)
        XCTAssertEqual(exporter.stop(), 0, exporter.log)
    }

    func testAnInvalidTargetsFileStopsTheExporterAtStart() throws {
        let lab = try LabEnvironment.require()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/targets"
        try "unix:///ok.vici\nudp://nope:1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let (status, _, errors) = try LabEnvironment.run(
            lab.exporter, ["run", "--vici.socket", lab.gwVICI, "--web.listen-address", "127.0.0.1:0",
                           "--probe.targets-file", file])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(errors.contains("line 2"), errors)
    }

    // MARK: - Helpers

    /// One probe, parsed strictly; throws unless 200.
    static func probe(_ exporter: ExporterProcess, _ target: String) throws -> ParsedExposition {
        try exporter.scrape(path: "/probe?target=" + percentEncoded(target))
    }

    /// strongSwan's Python client (lab/vici_dump.py) against `uri`, as JSON.
    static func python(_ lab: LabEnvironment, _ uri: String, _ command: String) throws -> Any {
        let (status, output, errors) = try LabEnvironment.run(
            "/usr/bin/env", ["python3", lab.repository + "/lab/vici_dump.py", uri, command])
        guard status == 0 else { throw LabError("vici_dump.py \(uri) \(command) exited \(status): \(errors)") }
        return try JSONSerialization.jsonObject(with: output)
    }

    struct ConnState: Hashable, CustomStringConvertible {
        var conn: String
        var state: String
        var description: String { "\(conn)/\(state)" }
    }

    /// IKE_SAs per connection and state in `list-sas` events.
    static func ikeSACounts(_ events: [[String: Any]]) -> [ConnState: Int] {
        var counts: [ConnState: Int] = [:]
        for event in events {
            for (conn, value) in event {
                let state = (value as? [String: Any])?["state"] as? String ?? "?"
                counts[ConnState(conn: conn, state: state), default: 0] += 1
            }
        }
        return counts
    }

    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The number of sockets the process has open.
    static func socketCount(_ pid: pid_t) throws -> Int {
        let directory = "/proc/\(pid)/fd"
        var count = 0
        for entry in try FileManager.default.contentsOfDirectory(atPath: directory) {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + entry),
               target.hasPrefix("socket:")
            {
                count += 1
            }
        }
        return count
    }

    static func temporaryDirectory() throws -> String {
        // Short: unix socket paths are limited to 107 bytes.
        let path = "/tmp/probe-lab-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// A non-blocking listening socket (unix or TCP on 127.0.0.1) that counts who connected, without answering.
final class ListeningSocket {
    let descriptor: Int32
    let path: String
    let port: Int

    init(unixPath: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw LabError("socket: errno \(errno)") }
        self.descriptor = descriptor
        path = unixPath
        port = 0
        unlink(unixPath)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(unixPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw LabError("path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw LabError("bind \(unixPath): errno \(errno)") }
        try listenNonBlocking()
    }

    init(tcpLoopback: Void) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw LabError("socket: errno \(errno)") }
        self.descriptor = descriptor
        path = ""
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw LabError("bind 127.0.0.1:0: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        try listenNonBlocking()
    }

    private func listenNonBlocking() throws {
        guard listen(descriptor, 64) == 0 else { throw LabError("listen: errno \(errno)") }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    /// Accepts every connection waiting now and returns their descriptors (the caller closes them).
    func acceptAll() -> [Int32] {
        var accepted: [Int32] = []
        while true {
            let connection = accept(descriptor, nil, nil)
            if connection < 0 { break }
            accepted.append(connection)
        }
        return accepted
    }

    /// Accepts and closes every waiting connection; returns how many there were.
    func pendingConnections() -> Int {
        let accepted = acceptAll()
        for connection in accepted { close(connection) }
        return accepted.count
    }

    /// Whether the other end closed `descriptor`: reading (after draining what it sent) returns end of file.
    static func isClosedByPeer(_ descriptor: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    deinit {
        close(descriptor)
        if !path.isEmpty { unlink(path) }
    }
}
