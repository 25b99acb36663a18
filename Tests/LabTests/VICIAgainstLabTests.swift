import Foundation
import VICI
import XCTest

/// The VICI client library against the real charon of the lab: every command the exporter uses decodes to the
/// same tree (same keys, same order, same bytes) as strongSwan's own Python client reads; event subscriptions
/// see what the lab does; a daemon that goes away fails with typed errors.
final class VICIAgainstLabTests: XCTestCase {
    // MARK: - Decoding, compared with the Python `vici` package

    func testVersionMatchesPython() async throws {
        let lab = try LabEnvironment.require()
        let tree = try await assertSameAsPython(lab, "version") { connection in
            VICITree(try await connection.call("version"))
        }
        let version = try await withGateway(lab) { try await $0.version() }
        XCTAssertEqual(version.daemon, tree["daemon"]?.string)
        XCTAssertEqual(version.version, tree["version"]?.string)
        XCTAssertEqual(version.sysname, tree["sysname"]?.string)
        XCTAssertEqual(version.release, tree["release"]?.string)
        XCTAssertEqual(version.machine, tree["machine"]?.string)
        XCTAssertEqual(version.daemon, "charon")
    }

    func testStatsMatchesPython() async throws {
        let lab = try LabEnvironment.require()
        let tree = try await assertSameAsPython(lab, "stats", mask: Self.movingStats) { connection in
            VICITree(try await connection.stats())
        }
        XCTAssertEqual(tree["plugins"]?.items.contains(.bytes(Array("vici".utf8))), true)
    }

    func testListSAsMatchesPython() async throws {
        let lab = try LabEnvironment.require()
        let tree = try await assertSameAsPython(lab, "list-sas", mask: Self.movingSAValues) { connection in
            // Through the AsyncSequence (the other streamed commands use collect and the closure form).
            let stream = connection.listSAs()
            var events: [VICIMessage] = []
            for try await event in stream { events.append(event) }
            let response = try await stream.response()
            XCTAssertTrue(response.isEmpty, "list-sas answers with an empty response: \(response)")
            return VICITree(events: events)
        }
        let tunnels = tree.items.filter { event in
            guard let field = event.fields.first, event.fields.count == 1, field.name.hasPrefix("site-") else { return false }
            return field.value["state"]?.string == "ESTABLISHED"
                && field.value["child-sas"]?.fields.contains { $0.value["state"]?.string == "INSTALLED" } == true
        }
        XCTAssertGreaterThanOrEqual(tunnels.count, 50, "the lab should run at least 50 established site tunnels")
    }

    func testListConnsMatchesPython() async throws {
        let lab = try LabEnvironment.require()
        let tree = try await assertSameAsPython(lab, "list-conns") { connection in
            VICITree(events: try await allEvents(connection.stream(.listConns)))
        }
        let names = tree.items.flatMap { $0.fields.map(\.name) }
        for name in ["site-0001", "site-0050", "site-trap", "site-dead", "rw"] {
            XCTAssertTrue(names.contains(name), "list-conns lacks \(name)")
        }
    }

    func testGetPoolsMatchesPython() async throws {
        let lab = try LabEnvironment.require()
        try await assertSameAsPython(lab, "get-pools") { connection in
            VICITree(try await connection.getPools())
        }
        let tree = try await assertSameAsPython(lab, "get-pools", ["leases=yes"]) { connection in
            VICITree(try await connection.getPools(VICIMessage([.init("leases", .value("yes"))])))
        }
        let pool = try XCTUnwrap(tree["rw-pool"], "the lab's pool rw-pool")
        XCTAssertEqual(pool["leases"]?.fields.isEmpty, false, "road warriors hold leases")
    }

    func testListCertsMatchesPythonByteForByte() async throws {
        let lab = try LabEnvironment.require()
        let tree = try await assertSameAsPython(lab, "list-certs") { connection in
            var events: [VICIMessage] = []
            let response = try await connection.stream(.listCerts) { events.append($0) }
            XCTAssertTrue(response.isEmpty, "list-certs answers with an empty response: \(response)")
            return VICITree(events: events)
        }
        XCTAssertGreaterThanOrEqual(tree.items.count, 3, "gw holds the CA, its own and the expiring certificate")
        // The certificates are binary (DER, not UTF-8): compared above as bytes, not as text.
        for certificate in tree.items {
            guard case .bytes(let der)? = certificate["data"] else {
                XCTFail("a list-cert event without data: \(certificate)")
                continue
            }
            XCTAssertEqual(der.first, 0x30, "DER starts with a SEQUENCE")
        }
        XCTAssertTrue(tree.items.contains { certificate in
            guard case .bytes(let der)? = certificate["data"] else { return false }
            return String(validating: der, as: UTF8.self) == nil
        }, "at least one certificate is not valid UTF-8, so binary values are exercised")
    }

    func testGetCountersMatchesPython() async throws {
        let lab = try LabEnvironment.require()
        let global = try await assertSameAsPython(lab, "get-counters", mask: Self.movingCounters) { connection in
            VICITree(try await connection.getCounters())
        }
        XCTAssertNotNil(global["counters"]?[""], "global counters are in a section named \"\"")
        let all = try await assertSameAsPython(lab, "get-counters", ["all=yes"], mask: Self.movingCounters) { connection in
            VICITree(try await connection.getCounters(VICIMessage([.init("all", .value("yes"))])))
        }
        XCTAssertNotNil(all["counters"]?["site-0001"], "per-connection counters")
    }

    // MARK: - Events

    func testEventsFollowARekeyATerminateAndAnInitiate() async throws {
        let lab = try LabEnvironment.require()
        let endpoint = try VICIEndpoint(parsing: lab.gwVICI)
        // Tunnel 2 up (a no-op if it is), so that the rekey has something to rekey.
        try runLab(lab, "initiate", "2")

        let stream = try await VICIEventStream.subscribe(to: endpoint, events: ["ike-updown", "child-updown", "child-rekey"])
        let recorder = VICIEventRecorder()
        let consumer = Task {
            do {
                for try await (name, message) in stream { recorder.append(name, message) }
                recorder.finish("ended")
            } catch {
                recorder.finish("\(error)")
            }
        }
        defer { consumer.cancel() }

        // CHILD_SA rekey of net-0002.
        var mark = recorder.count
        try runLab(lab, "rekey", "2")
        let rekey = try await recorder.wait(for: "child-rekey of site-0002", after: mark, timeout: 30) { name, message in
            name == "child-rekey" && message.section("site-0002") != nil
        }
        let rekeyedChildren = try XCTUnwrap(rekey.section("site-0002")?.section("child-sas"))
        XCTAssertEqual(rekeyedChildren.sections.map(\.name), ["net-0002"])
        let old = rekeyedChildren.section("net-0002")?.section("old")
        let new = rekeyedChildren.section("net-0002")?.section("new")
        XCTAssertEqual(old?.string("name"), "net-0002")
        XCTAssertEqual(new?.string("name"), "net-0002")
        XCTAssertEqual(new?.string("state"), "INSTALLED")
        XCTAssertNotEqual(old?.string("spi-in"), new?.string("spi-in"), "a rekey installs new SPIs")

        // Terminate: IKE_SA and CHILD_SA down (no `up` key).
        mark = recorder.count
        try runLab(lab, "terminate", "2")
        let ikeDown = try await recorder.wait(for: "ike-updown (down) of site-0002", after: mark, timeout: 30) { name, message in
            name == "ike-updown" && message.section("site-0002") != nil
        }
        XCTAssertNil(ikeDown["up"], "a down event has no up key")
        XCTAssertEqual(ikeDown.sections.map(\.name), ["site-0002"])
        let childDown = try await recorder.wait(for: "child-updown (down) of site-0002", after: mark, timeout: 30) { name, message in
            name == "child-updown" && message.section("site-0002") != nil
        }
        XCTAssertNil(childDown["up"], "a down event has no up key")
        XCTAssertEqual(childDown.section("site-0002")?.section("child-sas")?.sections.map { $0.section.string("name") },
                       ["net-0002"])

        // Initiate: both up again, with up = yes.
        mark = recorder.count
        try runLab(lab, "initiate", "2")
        let ikeUp = try await recorder.wait(for: "ike-updown (up) of site-0002", after: mark, timeout: 30) { name, message in
            name == "ike-updown" && message.section("site-0002") != nil
        }
        XCTAssertEqual(ikeUp.string("up"), "yes")
        XCTAssertEqual(ikeUp.section("site-0002")?.string("state"), "ESTABLISHED")
        let childUp = try await recorder.wait(for: "child-updown (up) of site-0002", after: mark, timeout: 30) { name, message in
            name == "child-updown" && message.section("site-0002") != nil
        }
        XCTAssertEqual(childUp.string("up"), "yes")
        let upChild = childUp.section("site-0002")?.section("child-sas")?.sections.first?.section
        XCTAssertEqual(upChild?.string("name"), "net-0002")
        XCTAssertEqual(upChild?.string("state"), "INSTALLED")

        // Only subscribed events arrived, and the subscription is still alive.
        XCTAssertEqual(Set(recorder.names).subtracting(["ike-updown", "child-updown", "child-rekey"]), [])
        XCTAssertNil(recorder.end, "the stream ended early: \(recorder.end ?? "")")
        XCTAssertTrue(stream.isOpen)
        await stream.close()
        _ = await consumer.value
        XCTAssertEqual(recorder.end, "ended", "after close() the stream ends normally")
    }

    // MARK: - A daemon that goes away

    func testStoppedDaemonFailsWithTypedErrorsAndIsUsableAfterRestart() async throws {
        let lab = try LabEnvironment.require()
        let endpoint = try VICIEndpoint(parsing: lab.gwVICI)
        let connection = try await VICIConnection.connect(to: endpoint)
        let tunnelsBefore = try await upSiteTunnels(connection)
        XCTAssertGreaterThanOrEqual(tunnelsBefore, 50)
        let stream = try await VICIEventStream.subscribe(to: endpoint, events: ["ike-updown"])

        var started = false
        defer {
            // Whatever failed, leave the lab as it was.
            if !started { _ = try? LabEnvironment.run(lab.script, ["start", "gw"]) }
        }
        try runLab(lab, "stop", "gw")
        if case .unix(let path) = endpoint, FileManager.default.fileExists(atPath: path) {
            // lab.sh removes the socket when it stopped charon; it finds charon by LAB_NAME's namespace.
            throw LabError("`lab.sh stop gw` did not stop gw's charon (\(path) still exists; is LAB_NAME set?)")
        }

        // A command on the connection whose daemon went away.
        await expectVICIError(.connectionClosed, "a command after the daemon stopped") {
            _ = try await connection.call("version", timeout: .seconds(10))
        }
        XCTAssertFalse(connection.isOpen)
        await expectVICIError(.connectionClosed, "a later command on the same connection") {
            _ = try await connection.stats(timeout: .seconds(10))
        }
        await expectVICIError(.connectionClosed, "a streamed command on the same connection") {
            _ = try await allEvents(connection.stream(.listSAs, timeout: .seconds(10)))
        }
        await connection.close()

        // The subscription delivers what charon sent while stopping (it deletes its IKE_SAs), then fails.
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(20))
            await stream.close()
        }
        var downEvents = 0
        var streamError: (any Error)?
        do {
            for try await (name, message) in stream where name == "ike-updown" && message["up"] == nil { downEvents += 1 }
        } catch {
            streamError = error
        }
        watchdog.cancel()
        XCTAssertEqual((streamError as? VICIError)?.code, .connectionClosed,
                       "the event stream ends with connectionClosed, not \(String(describing: streamError))")
        XCTAssertGreaterThan(downEvents, 0, "charon reports the IKE_SAs it deletes while stopping")

        // Connecting to a daemon that is not there.
        await expectVICIError(.connectFailed, "connecting while the daemon is stopped", mentioning: lab.gwVICI) {
            let connection = try await VICIConnection.connect(to: endpoint)
            await connection.close()
        }
        await expectVICIError(.connectFailed, "subscribing while the daemon is stopped") {
            let stream = try await VICIEventStream.subscribe(to: endpoint, events: ["ike-updown"])
            await stream.close()
        }

        // Back: `lab.sh start gw` waits until every tunnel is up on both sides.
        started = true
        try runLab(lab, "start", "gw")
        let deadline = Date().addingTimeInterval(60)
        var tunnelsAfter = 0
        var lastError = ""
        while Date() < deadline {
            do {
                tunnelsAfter = try await withGateway(lab) { connection in
                    _ = try await connection.version()
                    return try await upSiteTunnels(connection)
                }
                if tunnelsAfter >= tunnelsBefore { break }
            } catch {
                lastError = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        XCTAssertEqual(tunnelsAfter, tunnelsBefore, "tunnels up again after the restart (last error: \(lastError))")
    }

    // MARK: - Helpers

    /// Values that move between two reads of `list-sas`: timers, traffic counters.
    static func movingSAValues(_ path: [String]) -> Bool {
        guard let key = path.last else { return false }
        return ["established", "rekey-time", "reauth-time", "install-time", "life-time", "use-in", "use-out",
                "bytes-in", "bytes-out", "packets-in", "packets-out"].contains(key)
    }

    /// Values that move between two reads of `stats`: uptime (also `since`, which charon derives from the
    /// current time minus the monotonic uptime, so it flips by a second now and then), worker and queue load,
    /// scheduled jobs, malloc statistics.
    static func movingStats(_ path: [String]) -> Bool {
        switch path.first {
        case "uptime": return true
        case "workers": return path != ["workers", "total"]
        case "queues", "scheduled", "mallinfo": return true
        default: return false
        }
    }

    /// Counters that DPD moves between two reads of `get-counters`.
    static func movingCounters(_ path: [String]) -> Bool {
        path.last?.hasPrefix("info-") == true
    }

    /// Reads `command` with vici_dump.py, through VICIConnection, and with vici_dump.py again; the three must
    /// be equal after masking (`mask` gets each value's path: enclosing section names and its key). If they
    /// are not, the daemon's state may have moved (a DPD task, a rekey settling), so it tries again; it fails
    /// when five attempts all disagree. Returns the agreed (masked) tree.
    @discardableResult
    func assertSameAsPython(
        _ lab: LabEnvironment, _ command: String, _ arguments: [String] = [],
        mask: ([String]) -> Bool = { _ in false },
        file: StaticString = #filePath, line: UInt = #line,
        read: (VICIConnection) async throws -> VICITree
    ) async throws -> VICITree {
        let endpoint = try VICIEndpoint(parsing: lab.gwVICI)
        let connection = try await VICIConnection.connect(to: endpoint)
        var differences: [String] = []
        do {
            for attempt in 1...5 {
                let before = try python(lab, command, arguments).masking(mask)
                let ours = try await read(connection).masking(mask)
                let after = try python(lab, command, arguments).masking(mask)
                if ours == before, ours == after {
                    await connection.close()
                    if !differences.isEmpty {
                        print("\(command): agreed with Python on attempt \(attempt); before:\n" + differences.joined(separator: "\n"))
                    }
                    return ours
                }
                let difference = ours.firstDifference(from: before) ?? ours.firstDifference(from: after)
                    ?? "Python's two reads differ: \(before.firstDifference(from: after) ?? "?")"
                differences.append("attempt \(attempt): VICIConnection vs Python: \(difference)")
                try await Task.sleep(for: .milliseconds(300))
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        XCTFail("\(command) \(arguments.joined(separator: " ")): VICIConnection never read what the Python vici client read:\n"
                + differences.joined(separator: "\n"), file: file, line: line)
        throw LabError("\(command) differs from Python")
    }

    /// strongSwan's Python client (lab/vici_dump.py), its JSON parsed in order.
    func python(_ lab: LabEnvironment, _ command: String, _ arguments: [String]) throws -> VICITree {
        let (status, output, errors) = try LabEnvironment.run(
            "/usr/bin/env",
            ["PYTHONIOENCODING=utf-8", "python3", lab.repository + "/lab/vici_dump.py", lab.gwVICI, command]
                + arguments + ["--compact"])
        guard status == 0 else { throw LabError("vici_dump.py \(command) exited \(status): \(errors)") }
        return try VICITree.parseJSON(output)
    }

    func withGateway<Result: Sendable>(_ lab: LabEnvironment, _ body: (VICIConnection) async throws -> Result) async throws -> Result {
        let connection = try await VICIConnection.connect(to: try VICIEndpoint(parsing: lab.gwVICI))
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Established site-NNNN IKE_SAs with an installed CHILD_SA.
    func upSiteTunnels(_ connection: VICIConnection) async throws -> Int {
        let sas = try await allEvents(connection.stream(.listSAs))
        return sas.filter { event in
            event.sections.contains { name, sa in
                name.hasPrefix("site-0") && sa.string("state") == "ESTABLISHED"
                    && sa.section("child-sas")?.sections.contains { $0.section.string("state") == "INSTALLED" } == true
            }
        }.count
    }

    func runLab(_ lab: LabEnvironment, _ arguments: String..., file: StaticString = #filePath, line: UInt = #line) throws {
        let (status, output, errors) = try LabEnvironment.run(lab.script, arguments)
        guard status == 0 else {
            throw LabError("lab.sh \(arguments.joined(separator: " ")) exited \(status): \(String(decoding: output, as: UTF8.self)) \(errors)")
        }
    }

    func expectVICIError(_ code: VICIError.Code, _ what: String, mentioning text: String? = nil,
                         file: StaticString = #filePath, line: UInt = #line,
                         _ body: () async throws -> Void) async {
        do {
            try await body()
            XCTFail("\(what): expected VICIError \(code), but it succeeded", file: file, line: line)
        } catch let error as VICIError {
            XCTAssertEqual(error.code, code, "\(what): \(error)", file: file, line: line)
            if let text {
                XCTAssertTrue(error.message.contains(text), "\(what): the message should mention \(text): \(error)",
                              file: file, line: line)
            }
        } catch {
            XCTFail("\(what): expected VICIError \(code), got \(error)", file: file, line: line)
        }
    }
}

/// All events of a streamed command, after which its response is awaited (a `success = no` response throws).
func allEvents(_ stream: VICICommandEvents) async throws -> [VICIMessage] {
    var events: [VICIMessage] = []
    for try await event in stream { events.append(event) }
    _ = try await stream.response()
    return events
}

/// Collects the events of a subscription for a test to wait on with deadlines.
final class VICIEventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [(name: String, message: VICIMessage)] = []
    private var ended: String?

    func append(_ name: String, _ message: VICIMessage) { lock.withLock { events.append((name, message)) } }
    func finish(_ how: String) { lock.withLock { ended = how } }
    var count: Int { lock.withLock { events.count } }
    var names: [String] { lock.withLock { events.map(\.name) } }
    /// How the stream ended (`ended`, or the error), `nil` while it runs.
    var end: String? { lock.withLock { ended } }

    /// The first event after index `mark` that `matches`; fails after `timeout` seconds.
    func wait(for what: String, after mark: Int, timeout: Double,
              _ matches: (String, VICIMessage) -> Bool) async throws -> VICIMessage {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let (found, end, seen) = lock.withLock { () -> (VICIMessage?, String?, [String]) in
                let recent = events.dropFirst(mark)
                return (recent.first { matches($0.name, $0.message) }?.message, ended,
                        recent.map { "\($0.name) \($0.message.sections.map(\.name))" })
            }
            if let found { return found }
            if let end { throw LabError("event stream ended (\(end)) before \(what); saw \(seen)") }
            if Date() >= deadline { throw LabError("no \(what) within \(timeout) s; saw \(seen)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
