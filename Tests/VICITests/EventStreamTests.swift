import NIOCore
import NIOEmbedded
import TestSupport
import Testing
@testable import VICI

func updown(_ name: String, up: Bool) -> VICIMessage {
    var message = VICIMessage()
    if up { message["up"] = .value("yes") }
    message[name] = .section(VICIMessage([.init("uniqueid", .value("1"))]))
    return message
}

@Suite("Event subscriptions", .timeLimit(.minutes(1)))
struct EventStreamTests {
    @Test func deliversSubscribedEventsInOrderAndEndsWhenTheDaemonGoesAway() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let stream = try await VICIEventStream.subscribe(to: server.endpoint, events: ["ike-updown", "child-updown"])
            #expect(await server.nextPacket() == .eventRegister(name: "child-updown"))
            #expect(await server.nextPacket() == .eventRegister(name: "ike-updown"))
            let session = try #require(await server.nextSession())
            session.send([
                .event(name: "child-updown", message: updown("a", up: true)),
                .event(name: "log", message: VICIMessage([.init("msg", .value("not subscribed"))])),
                .event(name: "ike-updown", message: updown("b", up: false)),
            ])
            var received: [String] = []
            let error = await expectVICIError(.connectionClosed) {
                for try await (name, message) in stream {
                    received.append("\(name) \(message.sections.map(\.name))")
                    if received.count == 2 { await session.close() }
                }
            }
            #expect(received == ["child-updown [\"a\"]", "ike-updown [\"b\"]"])
            #expect(error?.message.contains("daemon closed") == true)
            #expect(!stream.isOpen)
        }
    }

    /// charon can raise an event between adding the registration and sending EVENT_CONFIRM.
    @Test func keepsEventsThatArriveBeforeTheConfirmation() async throws {
        let script: CharonScript.Handler = { packet, session in
            if case .eventRegister(name: "ike-updown") = packet {
                session.send(.event(name: "ike-updown", message: updown("early", up: true)), flush: false)
            }
            charon.handle(packet, session)
        }
        try await withServer(script) { server in
            let stream = try await VICIEventStream.subscribe(to: server.endpoint, events: ["ike-updown"])
            var iterator = stream.makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first?.name == "ike-updown")
            #expect(first?.message.section("early") != nil)
            await stream.close()
            #expect(try await iterator.next() == nil)
        }
    }

    @Test func unknownEventFailsTheSubscription() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            await expectVICIError(.unknownEvent) {
                _ = try await VICIEventStream.subscribe(to: server.endpoint, events: ["ike-updown", "alert"])
            }
        }
    }

    @Test func closeEndsTheStreamNormally() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let stream = try await VICIEventStream.subscribe(to: server.endpoint, events: ["ike-updown"])
            let consumer = Task {
                var count = 0
                for try await _ in stream { count += 1 }
                return count
            }
            await stream.close()
            await stream.close()
            #expect(try await consumer.value == 0)
        }
    }

    @Test func overflowWithTheFailPolicyEndsTheStream() async throws {
        try await withServer({ packet, session in charon.handle(packet, session) }) { server in
            let stream = try await VICIEventStream.subscribe(
                to: server.endpoint, events: ["ike-updown"],
                configuration: VICIEventStream.Configuration(maxBufferedEvents: 3, overflowPolicy: .fail))
            let session = try #require(await server.nextSession())
            session.send((1...10).map { .event(name: "ike-updown", message: updown("sa\($0)", up: true)) })
            var received = 0
            await expectVICIError(.eventBufferOverflow) {
                for try await _ in stream { received += 1 }
            }
            // At most one event can have gone straight to a waiting consumer, three were buffered.
            #expect((3...4).contains(received))
        }
    }
}

/// The subscription buffer's policies, deterministically on an embedded event loop.
@Suite("Event buffer policies")
struct EventBufferTests {
    let loop = EmbeddedEventLoop()

    func drain(_ buffer: VICIEventBuffer) throws -> [String] {
        var names: [String] = []
        let future = buffer.next()
        loop.run()
        for event in try future.wait() { names += event.message.sections.map(\.name) }
        return names
    }

    @Test func dropOldestKeepsTheNewestAndCounts() throws {
        let buffer = VICIEventBuffer(maxEvents: 3, maxBytes: 1_000, policy: .dropOldest, eventLoop: loop)
        for i in 1...5 { #expect(buffer.append(name: "ike-updown", message: updown("sa\(i)", up: true), size: 10)) }
        #expect(buffer.droppedEvents == 2)
        #expect(try drain(buffer) == ["sa3", "sa4", "sa5"])
    }

    @Test func dropOldestAlsoBoundsBytes() throws {
        let buffer = VICIEventBuffer(maxEvents: 100, maxBytes: 25, policy: .dropOldest, eventLoop: loop)
        for i in 1...4 { _ = buffer.append(name: "e", message: updown("sa\(i)", up: true), size: 10) }
        #expect(try drain(buffer) == ["sa3", "sa4"])
        // An event larger than the whole budget is itself dropped.
        _ = buffer.append(name: "e", message: updown("huge", up: true), size: 26)
        #expect(buffer.droppedEvents == 3)
    }

    @Test func failPolicyDeliversTheBufferThenTheError() throws {
        let buffer = VICIEventBuffer(maxEvents: 2, maxBytes: 1_000, policy: .fail, eventLoop: loop)
        #expect(buffer.append(name: "e", message: updown("sa1", up: true), size: 10))
        #expect(buffer.append(name: "e", message: updown("sa2", up: true), size: 10))
        #expect(!buffer.append(name: "e", message: updown("sa3", up: true), size: 10))
        #expect(try drain(buffer) == ["sa1", "sa2"])
        expectVICIError(.eventBufferOverflow) { _ = try drain(buffer) }
    }

    @Test func waitingConsumerGetsTheEventDirectly() throws {
        let buffer = VICIEventBuffer(maxEvents: 1, maxBytes: 1, policy: .fail, eventLoop: loop)
        let future = buffer.next()
        #expect(buffer.append(name: "e", message: updown("big", up: true), size: 500))
        loop.run()
        #expect(try future.wait().map(\.name) == ["e"])
        buffer.finish(nil)
        #expect(try drain(buffer) == [])
    }
}
