import Logging
import NIOCore
import Testing
@testable import VICI

@Suite("Connection state machine: streamed commands, back-pressure, subscriptions")
struct VICIConnectionStateMachineStreamTests {
    let one = SM.ID(1), two = SM.ID(2)
    let sa1 = SM.message("site", "1"), sa2 = SM.message("site", "2"), sa3 = SM.message("site", "3")
    let noise = VICIPacket.event(name: "ike-updown", message: SM.message("up", "yes"))

    /// A machine with `list-sas` (id 1) registered and its request sent.
    func streaming() -> SM.Machine {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.streamed("list-sas", "list-sa"), id: one, timeout: SM.timeout)
        _ = machine.receive(.eventConfirm)
        return machine
    }

    // MARK: - Streamed commands

    @Test func registerRequestEventsResponseUnregister() {
        var machine = SM.Machine()
        #expect(machine.enqueue(SM.streamed("list-sas", "list-sa"), id: one, timeout: SM.timeout)
                == [.scheduleTimeout(one, SM.timeout), .send(SM.frame("EVENT_REGISTER list-sa"))])
        #expect(machine.receive(.eventConfirm) == [.send(SM.frame("CMD_REQUEST list-sas"))])
        #expect(machine.receive(.event(name: "list-sa", message: sa1)) == [])
        #expect(machine.receive(.event(name: "list-sa", message: sa2)) == [])
        // Events of one read burst are handed over together.
        #expect(machine.readComplete() == [.deliverEvents(one, [sa1, sa2])])
        machine.eventsDelivered(one, demand: .more)
        #expect(machine.readComplete() == [], "nothing new to hand over")
        #expect(machine.receive(.event(name: "list-sa", message: sa3)) == [])
        let response = SM.message("success", "yes")
        #expect(machine.receive(.commandResponse(response)) == [.send(SM.frame("EVENT_UNREGISTER list-sa"))])
        // The last events, the de-registration confirmation and the response to the caller, in this order.
        #expect(machine.receive(.eventConfirm) == [.deliverEvents(one, [sa3]), .cancelTimeout(one), .succeed(one, response)])
    }

    /// Events arrive before the registration is confirmed, between stream events, and between the response and
    /// the de-registration confirmation; only the stream's own events reach it, the rest is dropped.
    @Test func interleavedEventsAreRoutedByNameAndPhase() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.streamed("list-sas", "list-sa"), id: one, timeout: SM.timeout)
        #expect(machine.receive(noise) == [SM.dropped("ike-updown")])
        #expect(machine.receive(.event(name: "list-sa", message: sa1)) == [SM.dropped("list-sa")],
                "not the stream's yet: the registration is not confirmed")
        _ = machine.receive(.eventConfirm)
        #expect(machine.receive(.event(name: "list-sa", message: sa2)) == [])
        #expect(machine.receive(noise) == [SM.dropped("ike-updown")])
        _ = machine.receive(.commandResponse(VICIMessage()))
        #expect(machine.receive(.event(name: "list-sa", message: sa3)) == [SM.dropped("list-sa")],
                "no longer the stream's: the response came")
        #expect(machine.receive(.eventConfirm) == [.deliverEvents(one, [sa2]), .cancelTimeout(one), .succeed(one, VICIMessage())])
    }

    @Test func unknownEventFailsWithoutSendingTheRequest() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.streamed("list-things", "list-thing"), id: one, timeout: SM.timeout)
        _ = machine.enqueue(SM.command("version"), id: two, timeout: SM.timeout)
        #expect(machine.receive(.eventUnknown) == [
            .cancelTimeout(one),
            .fail(one, VICIError(.unknownEvent, "the daemon does not know the event 'list-thing' (command 'list-things')")),
            .send(SM.frame("CMD_REQUEST version")),
        ])
    }

    @Test func unknownCommandStillUnregisters() {
        var machine = streaming()
        #expect(machine.receive(.commandUnknown) == [.send(SM.frame("EVENT_UNREGISTER list-sa"))])
        #expect(machine.receive(.eventConfirm) == [
            .cancelTimeout(one),
            .fail(one, VICIError(.unknownCommand, "the daemon does not know this command (command 'list-sas')")),
        ])
    }

    @Test func refusedUnregistrationIsLoggedAndTheResponseStillDelivered() {
        var machine = streaming()
        let response = SM.message("success", "yes")
        _ = machine.receive(.commandResponse(response))
        #expect(machine.receive(.eventUnknown) == [
            .log(.warning, "daemon refused to unregister event", ["event": "list-sa"]),
            .cancelTimeout(one),
            .succeed(one, response),
        ])
    }

    // MARK: - The consumer goes away

    /// The consumer stops iterating (breaks out, throws, or drops the sequence): what is pending is discarded,
    /// the rest of the stream drained, the event unregistered, and the next operation starts afterwards.
    @Test func consumerStoppingDrainsTheRestAndUnregisters() {
        var machine = streaming()
        _ = machine.enqueue(SM.command("version"), id: two, timeout: SM.timeout)
        _ = machine.receive(.event(name: "list-sa", message: sa1))
        #expect(machine.streamTerminated(one) == [])
        #expect(machine.readComplete() == [], "the pending event was discarded")
        #expect(machine.receive(.event(name: "list-sa", message: sa2)) == [])
        #expect(machine.readComplete() == [])
        #expect(machine.receive(.commandResponse(VICIMessage())) == [.send(SM.frame("EVENT_UNREGISTER list-sa"))])
        #expect(machine.receive(.eventConfirm) == [
            .cancelTimeout(one), .succeed(one, VICIMessage()), .send(SM.frame("CMD_REQUEST version")),
        ])
    }

    /// The consumer is gone by the time a batch is handed over (the producer dropped it): later events are
    /// discarded too.
    @Test func consumerGoneAtDeliveryClosesTheSink() {
        var machine = streaming()
        _ = machine.receive(.event(name: "list-sa", message: sa1))
        #expect(machine.readComplete() == [.deliverEvents(one, [sa1])])
        machine.eventsDelivered(one, demand: .gone)
        _ = machine.receive(.event(name: "list-sa", message: sa2))
        #expect(machine.readComplete() == [])
        _ = machine.receive(.commandResponse(VICIMessage()))
        #expect(machine.receive(.eventConfirm) == [.cancelTimeout(one), .succeed(one, VICIMessage())])
    }

    /// The consumer's task is cancelled mid-stream: it fails at once with `cancelled`; the connection drains
    /// the rest, unregisters, drops the result and goes on with the next operation.
    @Test func cancelledStreamIsDrainedUnregisteredAndDetached() {
        var machine = streaming()
        _ = machine.enqueue(SM.command("version"), id: two, timeout: SM.timeout)
        _ = machine.receive(.event(name: "list-sa", message: sa1))
        #expect(machine.cancel(one) == [.fail(one, VICIError(.cancelled, "the calling task was cancelled"))])
        #expect(machine.readComplete() == [])
        _ = machine.receive(.event(name: "list-sa", message: sa2))
        #expect(machine.readComplete() == [])
        #expect(machine.receive(.commandResponse(VICIMessage())) == [.send(SM.frame("EVENT_UNREGISTER list-sa"))])
        #expect(machine.receive(.eventConfirm) == [.cancelTimeout(one), .send(SM.frame("CMD_REQUEST version"))])
    }

    // MARK: - Back-pressure

    @Test func readsAreHeldWhileTheConsumerIsBehind() {
        var machine = streaming()
        #expect(machine.readRequested() == [.read])
        _ = machine.receive(.event(name: "list-sa", message: sa1))
        #expect(machine.readComplete() == [.deliverEvents(one, [sa1])])
        machine.eventsDelivered(one, demand: .stop)
        #expect(machine.readRequested() == [], "held: the consumer reached the high watermark")
        #expect(machine.readRequested() == [])
        #expect(machine.streamDemand(two) == [], "demand of another operation does not count")
        #expect(machine.streamDemand(one) == [.read], "the held read, once")
        #expect(machine.streamDemand(one) == [])
        #expect(machine.readRequested() == [.read])
    }

    @Test func aLateAnswerOfAFinishedStreamDoesNotPauseReading() {
        var machine = streaming()
        _ = machine.receive(.event(name: "list-sa", message: sa1))
        _ = machine.receive(.commandResponse(VICIMessage()))
        #expect(machine.receive(.eventConfirm) == [.deliverEvents(one, [sa1]), .cancelTimeout(one), .succeed(one, VICIMessage())])
        machine.eventsDelivered(one, demand: .stop)
        #expect(machine.readRequested() == [.read])
    }

    @Test func finishingTheStreamReleasesAHeldRead() {
        var machine = streaming()
        _ = machine.receive(.event(name: "list-sa", message: sa1))
        _ = machine.readComplete()
        machine.eventsDelivered(one, demand: .stop)
        #expect(machine.readRequested() == [])
        #expect(machine.streamTerminated(one) == [.read])
    }

    /// Frames already buffered when reading paused still arrive: the end of the stream releases the held read
    /// before the next operation starts.
    @Test func endOfTheStreamReleasesAHeldRead() {
        var machine = streaming()
        _ = machine.enqueue(SM.command("version"), id: two, timeout: SM.timeout)
        _ = machine.receive(.event(name: "list-sa", message: sa1))
        _ = machine.readComplete()
        machine.eventsDelivered(one, demand: .stop)
        #expect(machine.readRequested() == [])
        _ = machine.receive(.commandResponse(VICIMessage()))
        #expect(machine.receive(.eventConfirm) == [
            .cancelTimeout(one), .read, .succeed(one, VICIMessage()), .send(SM.frame("CMD_REQUEST version")),
        ])
    }

    @Test func cancellingTheStreamReleasesAHeldRead() {
        var machine = streaming()
        _ = machine.receive(.event(name: "list-sa", message: sa1))
        _ = machine.readComplete()
        machine.eventsDelivered(one, demand: .stop)
        #expect(machine.readRequested() == [])
        #expect(machine.cancel(one) == [.fail(one, VICIError(.cancelled, "the calling task was cancelled")), .read])
    }

    // MARK: - Subscriptions

    @Test func subscribedEventsGoToTheSubscriptionFromTheRegistrationOn() {
        var machine = SM.Machine()
        machine.subscriptionAttached()
        #expect(machine.enqueue(SM.subscribe("ike-updown"), id: one, timeout: SM.timeout)
                == [.scheduleTimeout(one, SM.timeout), .send(SM.frame("EVENT_REGISTER ike-updown"))])
        let early = SM.message("early", "yes")
        // charon can raise the event between adding the registration and confirming it.
        #expect(machine.packetReceived(.event(name: "ike-updown", message: early), wireSize: 42)
                == [.deliverToSubscription(name: "ike-updown", message: early, size: 42)])
        #expect(machine.receive(.eventConfirm) == [.cancelTimeout(one), .succeed(one, VICIMessage())])
        #expect(machine.receive(.event(name: "log", message: early)) == [SM.dropped("log")])
    }

    @Test func frameSizeCountsTheLengthPrefix() throws {
        var machine = SM.Machine()
        machine.subscriptionAttached()
        _ = machine.enqueue(SM.subscribe("ike-updown"), id: one, timeout: SM.timeout)
        _ = machine.receive(.eventConfirm)
        var frame = ByteBuffer()
        let message = SM.message("up", "yes")
        try VICIPacket.event(name: "ike-updown", message: message).encode(into: &frame)
        #expect(machine.frameReceived(frame)
                == [.deliverToSubscription(name: "ike-updown", message: message, size: frame.readableBytes + 4)])
    }

    @Test func refusedSubscriptionRoutesNothing() {
        var machine = SM.Machine()
        machine.subscriptionAttached()
        _ = machine.enqueue(SM.subscribe("alert"), id: one, timeout: SM.timeout)
        #expect(machine.receive(.eventUnknown) == [
            .cancelTimeout(one), .fail(one, VICIError(.unknownEvent, "the daemon does not know the event 'alert'")),
        ])
        #expect(machine.receive(.event(name: "alert", message: VICIMessage())) == [SM.dropped("alert")])
    }

    @Test func withoutASubscriptionEventsAreDropped() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.subscribe("ike-updown"), id: one, timeout: SM.timeout)
        _ = machine.receive(.eventConfirm)
        #expect(machine.receive(noise) == [SM.dropped("ike-updown")])
    }

    @Test func overflowClosesTheConnectionAndEndsTheSubscription() {
        var machine = SM.Machine()
        machine.subscriptionAttached()
        _ = machine.enqueue(SM.subscribe("ike-updown"), id: one, timeout: SM.timeout)
        _ = machine.receive(.eventConfirm)
        #expect(machine.subscriptionOverflowed() == [.close])
        let overflowed = VICIError(.connectionClosed, "the event buffer overflowed")
        #expect(machine.channelInactive() == [.finishSubscription(overflowed)])
    }

    @Test func closeByTheClientEndsTheSubscriptionNormally() {
        var machine = SM.Machine()
        machine.subscriptionAttached()
        _ = machine.enqueue(SM.subscribe("ike-updown"), id: one, timeout: SM.timeout)
        _ = machine.receive(.eventConfirm)
        #expect(machine.closeRequested() == [.finishSubscription(nil)])
        #expect(machine.channelInactive()
                == [.finishSubscription(VICIError(.connectionClosed, "the connection was closed by the client"))])
    }

    @Test func closeByThePeerEndsTheSubscriptionWithAnError() {
        var machine = SM.Machine()
        machine.subscriptionAttached()
        #expect(machine.channelInactive()
                == [.finishSubscription(VICIError(.connectionClosed, "the daemon closed the connection"))])
    }

    @Test func protocolErrorEndsTheSubscriptionWithIt() {
        var machine = SM.Machine()
        machine.subscriptionAttached()
        let error = VICIError(.unknownPacketType, "unknown packet type 9", offset: 0)
        #expect(machine.errorCaught(error) == [
            .log(.error, "VICI protocol error; closing the connection", ["error": "\(error)"]),
            .finishSubscription(error),
            .close,
        ])
    }
}
