import Foundation
import NIOCore
import TestSupport
import Testing
import VICI

/// TestSupport's fake charon does what its script says (the other suites rely on it): replies from the
/// tables by full key or name, lab captures, streams only to registered clients, delays, raw bytes, hang-ups,
/// events pushed to subscribers, counts.
@Suite("ScriptedCharon", .timeLimit(.minutes(1)))
struct ScriptedCharonTests {
    @Test func labScriptAnswersLikeTheLabCharon() async throws {
        let charon = try await ScriptedCharon(script: CharonScript.lab(), recording: false)
        let connection = try await VICIConnection.connect(to: charon.endpoint)
        let version = try await connection.version()
        #expect(version.daemon == "charon" && version.version == "5.9.8")
        // list-sas streams the captured SAs (the client registers list-sa first, as charon requires).
        var names: [String] = []
        for try await event in connection.listSAs() { names += event.sections.map(\.name) }
        #expect(names.count == 5, "\(names)")
        // The full key (command and arguments) wins over the name.
        let all = try await connection.call("get-counters", VICIMessage([.init("all", .value("yes"))]))
        let global = try await connection.call("get-counters")
        #expect(all != global)
        await expectUnknownCommand { _ = try await connection.call("no-such-command") }
        await connection.close()
        #expect(charon.commands("version") == 1 && charon.commands("get-counters") == 2)
        #expect(charon.registrations("list-sa") == 1)
        await charon.stop()
    }

    @Test func streamsReachOnlyRegisteredClients() async throws {
        let minimal = CharonScript.minimal
        var script = minimal
        // Answers list-sas without the client having registered list-sa: the events must not be sent.
        script.onPacket = { packet, session in
            guard case .commandRequest(name: "raw-list", _) = packet else { return false }
            session.perform(minimal.reply(to: "list-sas", VICIMessage()))
            return true
        }
        let charon = try await ScriptedCharon(script: script)
        let connection = try await VICIConnection.connect(to: charon.endpoint)
        let response = try await connection.call("raw-list")
        #expect(response.isEmpty)
        // The connection is still in step: nothing unexpected arrived.
        #expect(try await connection.version().version == "5.9.8")
        await connection.close()
        await charon.stop()
    }

    @Test func delayedReplyComesNoEarlierThanItsDelay() async throws {
        let charon = try await ScriptedCharon(script: CharonScript(replies: [
            "slow": .delayed(.milliseconds(300), .response(VICIMessage([.init("late", .value("yes"))]))),
        ]))
        let connection = try await VICIConnection.connect(to: charon.endpoint)
        let start = ContinuousClock.now
        let response = try await connection.call("slow", checkSuccess: false)
        #expect(ContinuousClock.now - start >= .milliseconds(300))
        #expect(response.string("late") == "yes")
        await connection.close()
        await charon.stop()
    }

    @Test func rawBytesAndHangUpsReachTheClient() async throws {
        let charon = try await ScriptedCharon(script: CharonScript(replies: [
            "empty-frame": .raw([0, 0, 0, 0]),
            "hang-up": .sequence([.raw(Array(RawVICI.response(RawVICI.kv("a", "b")).prefix(7))), .close]),
        ]))
        let first = try await VICIConnection.connect(to: charon.endpoint)
        await expectError(.emptyFrame) { _ = try await first.call("empty-frame") }
        let second = try await VICIConnection.connect(to: charon.endpoint)
        await expectError(.connectionClosed) { _ = try await second.call("hang-up") }
        await first.close()
        await second.close()
        await charon.stop()
    }

    @Test func pushedEventsReachSubscribersOnly() async throws {
        let charon = try await ScriptedCharon(script: CharonScript.minimal)
        let stream = try await VICIEventStream.subscribe(to: charon.endpoint, events: ["ike-updown"])
        let bystander = try await VICIConnection.connect(to: charon.endpoint)
        let deadline = ContinuousClock.now + .seconds(30)
        while charon.connections < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        charon.push(event: "child-updown", message: VICIMessage([.init("not", .value("registered"))]))
        charon.push(event: "ike-updown", message: VICIMessage([.init("up", .value("yes"))]))
        var iterator = stream.makeAsyncIterator()
        let event = try await iterator.next()
        #expect(event?.0 == "ike-updown")
        #expect(event?.1.string("up") == "yes")
        // The bystander registered nothing and got nothing: its next answer is its own.
        #expect(try await bystander.version().daemon == "charon")
        // An event charon does not know is refused.
        await expectError(.unknownEvent) {
            _ = try await VICIEventStream.subscribe(to: charon.endpoint, events: ["no-such-event"])
        }
        await stream.close()
        await bystander.close()
        await charon.stop()
    }

    private func expectUnknownCommand(_ body: () async throws -> Void) async {
        await expectError(.unknownCommand, body)
    }

    private func expectError(_ code: VICIError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                             _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected VICIError \(code), nothing thrown", sourceLocation: sourceLocation)
        } catch let error as VICIError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected VICIError \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }
}
