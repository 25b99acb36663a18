import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing
@testable import VICI

/// Runs `body` against a fresh fake server and stops the server afterwards.
func withServer(_ script: @escaping CharonScript.Handler,
                _ body: (ScriptedCharon) async throws -> Void) async throws {
    let server = try await ScriptedCharon(script: CharonScript(handler: script))
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// Asserts that `body` throws a `VICIError` with `code` (async variant); returns the error.
@discardableResult
func expectVICIError(_ code: VICIError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () async throws -> Void) async -> VICIError? {
    do {
        try await body()
        Issue.record("expected VICIError \(code), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as VICIError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected VICIError \(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Runs a streamed command through its async sequence; returns its events and response.
func streamAll(_ connection: VICIConnection, _ command: VICIStreamedCommand) async throws
    -> (events: [VICIMessage], response: VICIMessage) {
    let stream = connection.stream(command)
    var events: [VICIMessage] = []
    for try await event in stream { events.append(event) }
    return (events, try await stream.response())
}

let charon = CharonScript.minimal
let noise = VICIPacket.event(name: "ike-updown", message: VICIMessage([.init("up", .value("yes"))]))
func listSA(_ i: Int) -> VICIMessage {
    VICIMessage([.init("site-\(i)", .section(VICIMessage([.init("uniqueid", .value("\(i)"))])))])
}

@Suite("Connection against a fake server", .timeLimit(.minutes(1)))
struct ConnectionTests {
    @Test func commandAndResponse() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            #expect(connection.isOpen)
            let version = try await connection.version()
            #expect(version == VICIVersion(daemon: "charon", version: "5.9.8", sysname: "Linux", release: "6.1.0",
                                           machine: "x86_64"))
            #expect(await server.nextPacket() == .commandRequest(name: "version", message: VICIMessage()))
            let counters = try await connection.getCounters()
            #expect(counters.section("counters")?.section("")?.uint64("ike-rekey-init") == 7)
            await connection.close()
            #expect(!connection.isOpen)
        }
    }

    @Test func unknownCommandKeepsTheConnectionUsable() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            await expectVICIError(.unknownCommand) { _ = try await connection.call("frobnicate") }
            #expect(try await connection.version().version == "5.9.8")
            await connection.close()
        }
    }

    @Test func successNoIsCommandFailedWithErrmsg() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            let error = await expectVICIError(.commandFailed) { try await connection.resetCounters() }
            #expect(error?.message == "no counters available (plugin missing?)")
            let raw = try await connection.call("reset-counters", checkSuccess: false)
            #expect(raw.bool("success") == false)
            await connection.close()
        }
    }

    @Test func invalidRequestFailsBeforeAnythingIsSent() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            await expectVICIError(.nameTooLong) {
                _ = try await connection.call("list-sas", VICIMessage([.init(String(repeating: "k", count: 300), .value("v"))]))
            }
            await expectVICIError(.invalidName) { _ = try await connection.call("") }
            _ = try await connection.version()
            // The first thing the server saw is the version request.
            #expect(await server.nextPacket() == .commandRequest(name: "version", message: VICIMessage()))
            await connection.close()
        }
    }

    /// Events arrive before the registration is confirmed, between stream events, and between the response
    /// and the de-registration confirmation; only the stream's own events are collected.
    @Test func streamedCommandWithInterleavedEvents() async throws {
        let script: CharonScript.Handler = { packet, session in
            switch packet {
            case .eventRegister, .eventUnregister:
                session.send(noise, flush: false)
                charon.handle(packet, session)
            case .commandRequest(name: "list-sas", _):
                for i in 1...3 {
                    session.send(.event(name: "list-sa", message: listSA(i)), flush: false)
                    session.send(noise, flush: false)
                }
                session.send(.commandResponse(VICIMessage()))
            default:
                charon.handle(packet, session)
            }
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            let result = try await streamAll(connection, .listSAs)
            #expect(result.events == [listSA(1), listSA(2), listSA(3)])
            #expect(result.response == VICIMessage())
            let packets = await server.packets(until: { $0 == .eventUnregister(name: "list-sa") })
            #expect(packets == [.eventRegister(name: "list-sa"), .commandRequest(name: "list-sas", message: VICIMessage()),
                                .eventUnregister(name: "list-sa")])
            #expect(try await connection.version().daemon == "charon")
            await connection.close()
        }
    }

    @Test func asyncSequenceFormDeliversEventsThenResponse() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            var names: [String] = []
            let events = connection.listSAs(VICIMessage([.init("noblock", .value("yes"))]))
            for try await event in events { names += event.sections.map(\.name) }
            #expect(names == ["site-1", "site-2", "site-3"])
            #expect(try await events.response() == VICIMessage())
            #expect(await server.nextPacket() == .eventRegister(name: "list-sa"))
            #expect(await server.nextPacket() == .commandRequest(name: "list-sas", message: VICIMessage([.init("noblock", .value("yes"))])))
            #expect(await server.nextPacket() == .eventUnregister(name: "list-sa"))
            await connection.close()
        }
    }

    @Test func breakingOutOfTheStreamStillUnregisters() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            var seen = 0
            for try await _ in connection.listSAs() {
                seen += 1
                break
            }
            #expect(seen == 1)
            let packets = await server.packets(until: { $0 == .eventUnregister(name: "list-sa") })
            #expect(packets.count == 3)
            #expect(try await connection.version().daemon == "charon")
            await connection.close()
        }
    }

    @Test func throwingCallbackStillUnregisters() async throws {
        struct Boom: Error {}
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            await #expect(throws: Boom.self) {
                _ = try await connection.stream(.listSAs) { _ in throw Boom() }
            }
            let packets = await server.packets(until: { $0 == .eventUnregister(name: "list-sa") })
            #expect(packets.last == .eventUnregister(name: "list-sa"))
            #expect(try await connection.version().daemon == "charon")
            await connection.close()
        }
    }

    @Test func callbackFormReturnsTheResponse() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            var count = 0
            let response = try await connection.stream(.listSAs) { _ in count += 1 }
            #expect(count == 3)
            #expect(response.isEmpty)
            await connection.close()
        }
    }

    /// The consumer's task is cancelled while the daemon is still streaming: the caller gets `.cancelled`
    /// immediately, the connection drains the rest, unregisters and stays usable.
    @Test func cancelledStreamConsumerStillUnregisters() async throws {
        let script: CharonScript.Handler = { packet, session in
            if case .commandRequest(name: "list-sas", _) = packet {
                session.send(.event(name: "list-sa", message: listSA(1)))   // …and the rest comes later
            } else {
                charon.handle(packet, session)
            }
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            let session = try #require(await server.nextSession())
            let (firstEvent, firstEventSeen) = AsyncStream.makeStream(of: Void.self)
            let consumer = Task {
                for try await _ in connection.listSAs() { firstEventSeen.yield() }
            }
            var iterator = firstEvent.makeAsyncIterator()
            await iterator.next()
            consumer.cancel()
            let result = await consumer.result
            #expect(throws: VICIError.self) { try result.get() }
            if case .failure(let error as VICIError) = result { #expect(error.code == .cancelled) }
            // The daemon finishes its stream late; the connection swallows it and unregisters.
            session.send([.event(name: "list-sa", message: listSA(2)), .commandResponse(VICIMessage())])
            let packets = await server.packets(until: { $0 == .eventUnregister(name: "list-sa") })
            #expect(packets.last == .eventUnregister(name: "list-sa"))
            #expect(try await connection.version().daemon == "charon")
            await connection.close()
        }
    }

    /// A plain command's caller is cancelled: it gets `.cancelled`, the late response is swallowed and the next
    /// command receives its own answer.
    @Test func cancelledCommandDoesNotDesynchronise() async throws {
        let script: CharonScript.Handler = { packet, session in
            if case .commandRequest(name: "slow", _) = packet { return }
            charon.handle(packet, session)
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            let session = try #require(await server.nextSession())
            let caller = Task { try await connection.call("slow") }
            #expect(await server.nextPacket() == .commandRequest(name: "slow", message: VICIMessage()))
            caller.cancel()
            if case .failure(let error as VICIError) = await caller.result {
                #expect(error.code == .cancelled)
            } else {
                Issue.record("expected .cancelled")
            }
            session.send([.commandResponse(VICIMessage([.init("late", .value("yes"))]))])
            let version = try await connection.call("version")
            #expect(version.string("daemon") == "charon")
            await connection.close()
        }
    }

    @Test func activeCommandTimeoutClosesTheConnection() async throws {
        let script: CharonScript.Handler = { packet, session in
            if case .commandRequest(name: "hang", _) = packet { return }
            charon.handle(packet, session)
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            let error = await expectVICIError(.timeout) { _ = try await connection.call("hang", timeout: .milliseconds(100)) }
            #expect(error?.message.contains("hang") == true)
            await expectVICIError(.connectionClosed) { _ = try await connection.version() }
            await connection.close()
        }
    }

    @Test func queuedCommandTimesOutWithoutClosing() async throws {
        let script: CharonScript.Handler = { packet, session in
            if case .commandRequest(name: "slow", _) = packet { return }
            charon.handle(packet, session)
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            let session = try #require(await server.nextSession())
            let slow = Task { try await connection.call("slow") }
            #expect(await server.nextPacket() == .commandRequest(name: "slow", message: VICIMessage()))
            let error = await expectVICIError(.timeout) { _ = try await connection.version(timeout: .milliseconds(50)) }
            #expect(error?.message.contains("queued") == true)
            session.send([.commandResponse(VICIMessage([.init("done", .value("yes"))]))])
            #expect(try await slow.value.bool("done") == true)
            #expect(connection.isOpen)
            #expect(try await connection.version().daemon == "charon")
            // The timed-out version request was never sent.
            #expect(await server.nextPacket() == .commandRequest(name: "version", message: VICIMessage()))
            await connection.close()
        }
    }

    @Test func streamTimeoutClosesTheConnection() async throws {
        let script: CharonScript.Handler = { packet, session in
            if case .commandRequest(name: "list-sas", _) = packet {
                session.send(.event(name: "list-sa", message: listSA(1)))
                return
            }
            charon.handle(packet, session)
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            var received = 0
            await expectVICIError(.timeout) {
                for try await _ in connection.listSAs(timeout: .milliseconds(300)) { received += 1 }
            }
            // The one event is delivered unless the machine is so slow that the deadline passes first.
            #expect(received <= 1)
            await expectVICIError(.connectionClosed) { _ = try await connection.version() }
        }
    }

    @Test func serverClosingMidStream() async throws {
        let script: CharonScript.Handler = { packet, session in
            if case .commandRequest(name: "list-sas", _) = packet {
                session.send(.event(name: "list-sa", message: listSA(1)), flush: false)
                session.send(.event(name: "list-sa", message: listSA(2)))
                session.close()
                return
            }
            charon.handle(packet, session)
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            var received: [VICIMessage] = []
            await expectVICIError(.connectionClosed) {
                for try await event in connection.listSAs() { received.append(event) }
            }
            #expect(received == [listSA(1), listSA(2)])
            await expectVICIError(.connectionClosed) { _ = try await connection.version() }
            await expectVICIError(.connectionClosed) { _ = try await streamAll(connection, .listSAs) }
            #expect(!connection.isOpen)
        }
    }

    @Test func serverClosingMidFrame() async throws {
        let script: CharonScript.Handler = { packet, session in
            if case .commandRequest(name: "version", _) = packet {
                session.sendRaw([0, 0, 0, 50, 1, 3, 1])
                session.close()
            }
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            let error = await expectVICIError(.connectionClosed) { _ = try await connection.version() }
            #expect(error?.message.contains("middle of a frame") == true)
        }
    }

    @Test func oversizedFrameFromTheServerFailsTheCommand() async throws {
        let script: CharonScript.Handler = { packet, session in
            if case .commandRequest(name: "version", _) = packet { session.sendRaw([0x00, 0x08, 0x00, 0x01]) }
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            await expectVICIError(.frameTooLarge) { _ = try await connection.version() }
            await expectVICIError(.connectionClosed) { _ = try await connection.version() }
        }
    }

    @Test func malformedResponseFailsTheCommandWithItsCode() async throws {
        let script: CharonScript.Handler = { packet, session in
            // CMD_RESPONSE { a = "", a = "" }
            if case .commandRequest(name: "stats", _) = packet {
                session.sendRaw([0, 0, 0, 11, 1, 3, 1, 0x61, 0, 0, 3, 1, 0x61, 0, 0])
            }
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            let error = await expectVICIError(.duplicateKey) { _ = try await connection.stats() }
            #expect(error?.offset == 6)
        }
    }

    @Test func unexpectedPacketClosesTheConnection() async throws {
        let script: CharonScript.Handler = { packet, session in
            // EVENT_CONFIRM in answer to a command.
            if case .commandRequest = packet { session.send(.eventConfirm) }
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            await expectVICIError(.unexpectedPacket) { _ = try await connection.version() }
            await expectVICIError(.connectionClosed) { _ = try await connection.version() }
        }
    }

    @Test func unknownStreamEventIsUnknownEvent() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            await expectVICIError(.unknownEvent) { _ = try await streamAll(connection, VICIStreamedCommand(command: "list-things", event: "list-thing")) }
            // Registration failed, so nothing is sent after the refused EVENT_REGISTER.
            #expect(await server.nextPacket() == .eventRegister(name: "list-thing"))
            #expect(try await connection.version().daemon == "charon")
            #expect(await server.nextPacket() == .commandRequest(name: "version", message: VICIMessage()))
            await connection.close()
        }
    }

    @Test func unknownStreamCommandStillUnregisters() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            await expectVICIError(.unknownCommand) { _ = try await streamAll(connection, VICIStreamedCommand(command: "list-nothing", event: "list-sa")) }
            let packets = await server.packets(until: { $0 == .eventUnregister(name: "list-sa") })
            #expect(packets.count == 3)
            await connection.close()
        }
    }

    /// A consumer that stops after the first event: the connection drains the rest and unregisters, and the
    /// next stream receives all of its own events and nothing left over from the abandoned one.
    @Test func abandonedStreamIsDrainedBeforeTheNext() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            for try await _ in connection.listSAs() { break }
            let packets = await server.packets(until: { $0 == .eventUnregister(name: "list-sa") })
            #expect(packets.count == 3)
            let result = try await streamAll(connection, .listSAs)
            #expect(result.events.map { $0.sections.map(\.name) } == [["site-1"], ["site-2"], ["site-3"]])
            await connection.close()
        }
    }

    /// Twenty concurrent callers: the fake answers each request on a later event loop tick and flags any
    /// request that arrives while another is unanswered; every caller must get its own answer.
    @Test func concurrentCallersAreQueued() async throws {
        let script: CharonScript.Handler = { packet, session in
            guard case .commandRequest(name: "echo", let message) = packet else { return }
            if session.state["pending", default: 0] > 0 {
                session.send(.commandUnknown)   // two requests in flight: make the test fail
                return
            }
            session.state["pending"] = 1
            session.context.eventLoop.assumeIsolated().execute {
                session.state["pending"] = 0
                session.send(.commandResponse(message))
            }
        }
        try await withServer(script) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let response = try await connection.call("echo", VICIMessage([.init("n", .value("\(i)"))]))
                        #expect(response.string("n") == "\(i)")
                    }
                }
                try await group.waitForAll()
            }
            await connection.close()
        }
    }

    @Test func closeIsIdempotentAndFailsLaterCalls() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let connection = try await VICIConnection.connect(to: server.endpoint)
            await connection.close()
            await connection.close()
            let error = await expectVICIError(.connectionClosed) { _ = try await connection.version() }
            #expect(error?.message.contains("closed by the client") == true)
            await expectVICIError(.connectionClosed) {
                for try await _ in connection.listSAs() {}
            }
        }
    }

    @Test func withConnectionClosesAfterwards() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let (version, connection) = try await VICIConnection.withConnection(to: server.endpoint) { connection in
                (try await connection.version(), connection)
            }
            #expect(version.daemon == "charon")
            #expect(!connection.isOpen)
        }
    }

    @Test func connectFailureNamesThePathAndTheReason() async throws {
        let error = await expectVICIError(.connectFailed) {
            _ = try await VICIConnection.connect(to: .unix(path: "/nonexistent/charon.vici"))
        }
        #expect(error?.message.contains("unix:///nonexistent/charon.vici") == true)
        #expect(error?.message.contains("No such file or directory") == true)
    }

    @Test func tcpConnectFailureNamesTheHostAndTheReason() async throws {
        // Bind and close a TCP server to find a port that is (very likely) closed.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(probe.localAddress?.port)
        try await probe.close()
        let error = await expectVICIError(.connectFailed) {
            _ = try await VICIConnection.connect(to: .tcp(host: "127.0.0.1", port: port))
        }
        #expect(error?.message.contains("tcp://127.0.0.1:\(port)") == true)
        #expect(error?.message.contains("Connection refused") == true)
    }
}

@Suite("Large streams", .timeLimit(.minutes(1)))
struct LargeStreamTests {
    /// 1,200 real list-sa events (the captured 60, twenty times) through the whole client with a small
    /// back-pressure window: all arrive, in order.
    @Test func manyEventsArriveInOrderWithASmallWindow() async throws {
        let url = try #require(Bundle.module.url(forResource: "list-sas-stream", withExtension: "bin", subdirectory: "Fixtures"))
        var captured = ByteBuffer(bytes: try Data(contentsOf: url))
        var events: [VICIMessage] = []
        while let frame = try VICIFrameDecoder().nextFrame(from: &captured) {
            if case .event(_, let message) = try VICIPacket.decode(frame) { events.append(message) }
        }
        let expected = Array(repeating: events, count: 20).flatMap { $0 }
        let script: CharonScript.Handler = { packet, session in
            if case .commandRequest(name: "list-sas", _) = packet {
                for event in expected { session.send(.event(name: "list-sa", message: event), flush: false) }
                session.send(.commandResponse(VICIMessage()))
            } else {
                charon.handle(packet, session)
            }
        }
        try await withServer(script) { server in
            let configuration = VICIConnection.Configuration(streamHighWatermark: 4, streamLowWatermark: 2)
            let connection = try await VICIConnection.connect(to: server.endpoint, configuration: configuration)
            var index = 0
            var mismatches = 0
            for try await event in connection.listSAs() {
                if index >= expected.count || event != expected[index] { mismatches += 1 }
                index += 1
            }
            #expect(index == expected.count)
            #expect(mismatches == 0)
            await connection.close()
        }
    }
}
