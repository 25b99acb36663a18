import Logging
import NIOCore
import Testing
@testable import VICI

/// Plain values for driving ``VICIConnectionStateMachine`` without a channel: frames are opaque to it, so
/// readable placeholders stand in for encoded packets.
enum SM {
    typealias Machine = VICIConnectionStateMachine
    typealias Action = VICIConnectionStateMachine.Action
    typealias ID = VICIConnectionStateMachine.OperationID

    static let timeout = TimeAmount.seconds(30)

    static func frame(_ label: String) -> ByteBuffer { ByteBuffer(string: label) }

    static func command(_ name: String) -> Machine.Operation {
        .command(name: name, request: frame("CMD_REQUEST \(name)"))
    }

    static func streamed(_ command: String, _ event: String) -> Machine.Operation {
        .streamed(command: command, event: event, register: frame("EVENT_REGISTER \(event)"),
                  request: frame("CMD_REQUEST \(command)"), unregister: frame("EVENT_UNREGISTER \(event)"))
    }

    static func subscribe(_ event: String) -> Machine.Operation {
        .subscribe(event: event, register: frame("EVENT_REGISTER \(event)"))
    }

    static func message(_ key: String, _ value: String) -> VICIMessage {
        VICIMessage([.init(key, .value(value))])
    }

    static func dropped(_ name: String) -> Action {
        .log(.debug, "dropping event nobody registered for", ["event": "\(name)"])
    }
}

extension VICIConnectionStateMachine {
    /// `packetReceived` with a fixed wire size, for tests that do not look at sizes.
    mutating func receive(_ packet: VICIPacket) -> [Action] {
        packetReceived(packet, wireSize: 100)
    }
}

@Suite("Connection state machine: commands, timeouts, cancellation, errors, closing")
struct VICIConnectionStateMachineTests {
    let one = SM.ID(1), two = SM.ID(2), three = SM.ID(3)

    // MARK: - Commands

    @Test func commandIsSentAndAnswered() {
        var machine = SM.Machine()
        #expect(machine.enqueue(SM.command("version"), id: one, timeout: SM.timeout)
                == [.scheduleTimeout(one, SM.timeout), .send(SM.frame("CMD_REQUEST version"))])
        let response = SM.message("daemon", "charon")
        #expect(machine.receive(.commandResponse(response)) == [.cancelTimeout(one), .succeed(one, response)])
    }

    @Test func unknownCommandFailsOnlyThatCommand() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("frobnicate"), id: one, timeout: SM.timeout)
        #expect(machine.receive(.commandUnknown) == [
            .cancelTimeout(one),
            .fail(one, VICIError(.unknownCommand, "the daemon does not know this command (command 'frobnicate')")),
        ])
        // The connection stays usable.
        #expect(machine.enqueue(SM.command("version"), id: two, timeout: SM.timeout)
                == [.scheduleTimeout(two, SM.timeout), .send(SM.frame("CMD_REQUEST version"))])
    }

    @Test func operationsRunOneAtATimeInOrder() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("a"), id: one, timeout: SM.timeout)
        #expect(machine.enqueue(SM.command("b"), id: two, timeout: .seconds(1)) == [.scheduleTimeout(two, .seconds(1))])
        #expect(machine.enqueue(SM.command("c"), id: three, timeout: SM.timeout) == [.scheduleTimeout(three, SM.timeout)])
        let a = SM.message("n", "a"), b = SM.message("n", "b")
        #expect(machine.receive(.commandResponse(a))
                == [.cancelTimeout(one), .succeed(one, a), .send(SM.frame("CMD_REQUEST b"))])
        #expect(machine.receive(.commandResponse(b))
                == [.cancelTimeout(two), .succeed(two, b), .send(SM.frame("CMD_REQUEST c"))])
    }

    // MARK: - Timeouts

    @Test func queuedOperationTimesOutAloneAndIsNeverSent() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("slow"), id: one, timeout: SM.timeout)
        _ = machine.enqueue(SM.command("version"), id: two, timeout: .milliseconds(50))
        #expect(machine.timedOut(two) == [
            .fail(two, VICIError(.timeout, "command 'version' timed out after 0.05 s while queued")),
        ])
        // The active command is untouched and nothing follows it.
        let done = SM.message("done", "yes")
        #expect(machine.receive(.commandResponse(done)) == [.cancelTimeout(one), .succeed(one, done)])
        // A late timer of a finished operation does nothing.
        #expect(machine.timedOut(one) == [])
    }

    @Test func activeOperationTimeoutClosesTheConnection() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("hang"), id: one, timeout: .milliseconds(100))
        _ = machine.enqueue(SM.command("version"), id: two, timeout: SM.timeout)
        #expect(machine.timedOut(one) == [
            .log(.warning, "operation timed out; closing the connection", ["operation": "command 'hang'"]),
            .cancelTimeout(one),
            .fail(one, VICIError(.timeout, "command 'hang' timed out after 0.1 s")),
            .close,
        ])
        let closed = VICIError(.connectionClosed, "the connection was closed because command 'hang' timed out")
        // The queued command is not started; it fails when the channel is gone, as do later ones at once.
        #expect(machine.channelInactive() == [.cancelTimeout(two), .fail(two, closed)])
        #expect(machine.enqueue(SM.command("stats"), id: three, timeout: SM.timeout) == [.fail(three, closed)])
    }

    @Test func activeStreamTimeoutHandsOverItsEventsFirst() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.streamed("list-sas", "list-sa"), id: one, timeout: .milliseconds(300))
        _ = machine.receive(.eventConfirm)
        let sa = SM.message("site", "1")
        #expect(machine.receive(.event(name: "list-sa", message: sa)) == [])
        #expect(machine.timedOut(one) == [
            .log(.warning, "operation timed out; closing the connection",
                 ["operation": "streamed command 'list-sas' (event 'list-sa')"]),
            .deliverEvents(one, [sa]),
            .cancelTimeout(one),
            .fail(one, VICIError(.timeout, "streamed command 'list-sas' (event 'list-sa') timed out after 0.3 s")),
            .close,
        ])
    }

    // MARK: - Cancellation

    @Test func cancelledQueuedOperationIsDroppedAndNeverSent() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("slow"), id: one, timeout: SM.timeout)
        _ = machine.enqueue(SM.command("version"), id: two, timeout: SM.timeout)
        _ = machine.enqueue(SM.command("stats"), id: three, timeout: SM.timeout)
        #expect(machine.cancel(two) == [.cancelTimeout(two), .fail(two, VICIError(.cancelled, "the calling task was cancelled"))])
        #expect(machine.cancel(two) == [])
        let done = SM.message("done", "yes")
        #expect(machine.receive(.commandResponse(done))
                == [.cancelTimeout(one), .succeed(one, done), .send(SM.frame("CMD_REQUEST stats"))])
    }

    /// The caller of the active command is gone: it fails at once; the late response is swallowed and the next
    /// command receives its own answer.
    @Test func cancelledActiveCommandSwallowsItsLateResponse() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("slow"), id: one, timeout: SM.timeout)
        #expect(machine.cancel(one) == [.fail(one, VICIError(.cancelled, "the calling task was cancelled"))])
        #expect(machine.cancel(one) == [], "a second cancellation does nothing")
        _ = machine.enqueue(SM.command("version"), id: two, timeout: SM.timeout)
        #expect(machine.receive(.commandResponse(SM.message("late", "yes")))
                == [.cancelTimeout(one), .send(SM.frame("CMD_REQUEST version"))])
        let version = SM.message("daemon", "charon")
        #expect(machine.receive(.commandResponse(version)) == [.cancelTimeout(two), .succeed(two, version)])
    }

    @Test func cancellingAnUnknownOrFinishedOperationDoesNothing() {
        var machine = SM.Machine()
        #expect(machine.cancel(one) == [])
        _ = machine.enqueue(SM.command("version"), id: one, timeout: SM.timeout)
        _ = machine.receive(.commandResponse(VICIMessage()))
        #expect(machine.cancel(one) == [])
    }

    // MARK: - Protocol errors

    /// The daemon sends a client packet type: the active operation fails with `unexpectedPacket`, the
    /// connection closes, and the queued one fails with `connectionClosed` once the channel is inactive.
    @Test func clientPacketFromTheDaemonFailsActiveAndQueued() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("version"), id: one, timeout: SM.timeout)
        _ = machine.enqueue(SM.command("stats"), id: two, timeout: SM.timeout)
        let unexpected = VICIError(.unexpectedPacket, "the daemon sent a client packet (EVENT_REGISTER)")
        #expect(machine.receive(.eventRegister(name: "x")) == [
            .log(.error, "VICI protocol error; closing the connection", ["error": "\(unexpected)"]),
            .cancelTimeout(one),
            .fail(one, unexpected),
            .close,
        ])
        // Anything after the first error is ignored.
        #expect(machine.receive(.commandResponse(VICIMessage())) == [])
        #expect(machine.errorCaught(VICIError(.truncated, "more")) == [])
        let closed = VICIError(.connectionClosed, "the connection was closed after a protocol error: \(unexpected)")
        #expect(machine.channelInactive() == [.cancelTimeout(two), .fail(two, closed)])
    }

    @Test func confirmationInAnswerToACommandIsUnexpected() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("version"), id: one, timeout: SM.timeout)
        let unexpected = VICIError(.unexpectedPacket, "EVENT_CONFIRM arrived while command 'version' awaited CMD_RESPONSE")
        #expect(machine.receive(.eventConfirm).contains(.fail(one, unexpected)))
    }

    @Test func responseWhileRegisteringIsUnexpected() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.streamed("list-sas", "list-sa"), id: one, timeout: SM.timeout)
        let unexpected = VICIError(.unexpectedPacket,
                                   "CMD_RESPONSE arrived while streamed command 'list-sas' (event 'list-sa') awaited EVENT_CONFIRM")
        #expect(machine.receive(.commandResponse(VICIMessage())).contains(.fail(one, unexpected)))
    }

    @Test func answerWithNothingActiveClosesTheConnection() {
        var machine = SM.Machine()
        let unexpected = VICIError(.unexpectedPacket, "CMD_RESPONSE arrived while no command was active")
        #expect(machine.receive(.commandResponse(VICIMessage())) == [
            .log(.error, "VICI protocol error; closing the connection", ["error": "\(unexpected)"]),
            .close,
        ])
        var other = SM.Machine()
        #expect(other.receive(.eventUnknown).last == .close)
    }

    /// A malformed frame fails the active command with the decoder's precise error (code and offset).
    @Test func malformedFrameFailsWithTheDecodingError() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("stats"), id: one, timeout: SM.timeout)
        // CMD_RESPONSE { a = "", a = "" }
        let actions = machine.frameReceived(ByteBuffer(bytes: [1, 3, 1, 0x61, 0, 0, 3, 1, 0x61, 0, 0]))
        guard case .fail(one, let error)? = actions.first(where: { if case .fail = $0 { true } else { false } }) else {
            Issue.record("no failure in \(actions)")
            return
        }
        #expect(error.code == .duplicateKey)
        #expect(error.offset == 6)
        #expect(actions.last == .close)
    }

    @Test func pipelineErrorsAreProtocolErrors() {
        struct Broken: Error {}
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("version"), id: one, timeout: SM.timeout)
        let error = VICIError(.connectionClosed, "connection error: Broken()")
        #expect(machine.errorCaught(Broken()).contains(.fail(one, error)))

        var framing = SM.Machine()
        _ = framing.enqueue(SM.command("version"), id: one, timeout: SM.timeout)
        let tooLarge = VICIError(.frameTooLarge, "frame of 524289 bytes exceeds the maximum", offset: 0)
        #expect(framing.errorCaught(tooLarge).contains(.fail(one, tooLarge)))
    }

    // MARK: - Closing

    @Test func closeByTheClient() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("slow"), id: one, timeout: SM.timeout)
        _ = machine.enqueue(SM.command("version"), id: two, timeout: SM.timeout)
        #expect(machine.closeRequested() == [], "no subscription to end; the handler closes the channel")
        let closed = VICIError(.connectionClosed, "the connection was closed by the client")
        #expect(machine.channelInactive() == [.cancelTimeout(one), .fail(one, closed), .cancelTimeout(two), .fail(two, closed)])
        #expect(machine.enqueue(SM.command("stats"), id: three, timeout: SM.timeout) == [.fail(three, closed)])
        #expect(machine.closeRequested() == [], "closing again does nothing")
    }

    @Test func closeByThePeer() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("version"), id: one, timeout: SM.timeout)
        _ = machine.enqueue(SM.command("stats"), id: two, timeout: SM.timeout)
        let closed = VICIError(.connectionClosed, "the daemon closed the connection")
        #expect(machine.channelInactive() == [.cancelTimeout(one), .fail(one, closed), .cancelTimeout(two), .fail(two, closed)])
        #expect(machine.enqueue(SM.command("stats"), id: three, timeout: SM.timeout) == [.fail(three, closed)])
    }

    /// The daemon closes in the middle of a stream: the events read so far are handed over before the
    /// stream fails.
    @Test func closeByThePeerMidStreamDeliversWhatArrived() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.streamed("list-sas", "list-sa"), id: one, timeout: SM.timeout)
        _ = machine.receive(.eventConfirm)
        let sa1 = SM.message("site", "1"), sa2 = SM.message("site", "2")
        _ = machine.receive(.event(name: "list-sa", message: sa1))
        _ = machine.receive(.event(name: "list-sa", message: sa2))
        #expect(machine.channelInactive() == [
            .deliverEvents(one, [sa1, sa2]),
            .cancelTimeout(one),
            .fail(one, VICIError(.connectionClosed, "the daemon closed the connection")),
        ])
    }

    @Test func removedHandlerKeepsTheCloseReason() {
        var machine = SM.Machine()
        _ = machine.channelInactive()
        machine.handlerRemoved()
        #expect(machine.enqueue(SM.command("version"), id: one, timeout: SM.timeout)
                == [.fail(one, VICIError(.connectionClosed, "the daemon closed the connection"))])
        var removed = SM.Machine()
        removed.handlerRemoved()
        #expect(removed.enqueue(SM.command("version"), id: one, timeout: SM.timeout)
                == [.fail(one, VICIError(.connectionClosed, "the connection is closed"))])
    }

    @Test func closedDetachedOperationIsNotFailedTwice() {
        var machine = SM.Machine()
        _ = machine.enqueue(SM.command("slow"), id: one, timeout: SM.timeout)
        _ = machine.cancel(one)
        #expect(machine.channelInactive() == [.cancelTimeout(one)])
    }
}
