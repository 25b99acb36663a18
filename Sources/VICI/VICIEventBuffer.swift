import NIOCore

/// The bounded buffer between a subscription connection and the consumer of its ``VICIEventStream``.
///
/// It lives on the connection's event loop and is only touched there. The socket is always read (charon
/// queues unread events in its own memory without bound, so back-pressure would only move the problem into
/// the daemon); instead the buffer holds at most ``VICIEventStream/Configuration/maxBufferedEvents`` events
/// and ``VICIEventStream/Configuration/maxBufferedBytes`` wire bytes and applies the overflow policy. The batch
/// last handed to the consumer counts against both limits until the consumer asks for the next one (it holds
/// those events meanwhile).
final class VICIEventBuffer {
    typealias Event = (name: String, message: VICIMessage)

    private var events = CircularBuffer<(event: Event, size: Int)>()
    private var bufferedBytes = 0
    /// The last batch handed to the consumer, which it holds until it asks for the next one: it counts
    /// against the limits too, or a slow consumer would hold one full buffer while another fills.
    private var deliveredEvents = 0
    private var deliveredBytes = 0
    private let maxEvents: Int
    private let maxBytes: Int
    private let policy: VICIEventStream.OverflowPolicy
    private let eventLoop: EventLoop
    /// How many events the `.dropOldest` policy dropped.
    private(set) var droppedEvents = 0
    /// `nil` while open; `.success` after a normal end, `.failure` after an error (reported after the buffered
    /// events have been delivered).
    private var end: Result<Void, VICIError>?
    private var waiter: EventLoopPromise<[Event]>?

    init(maxEvents: Int, maxBytes: Int, policy: VICIEventStream.OverflowPolicy, eventLoop: EventLoop) {
        self.maxEvents = max(1, maxEvents)
        self.maxBytes = max(1, maxBytes)
        self.policy = policy
        self.eventLoop = eventLoop
    }

    /// Adds an event. Returns `false` if it did not fit under the `.fail` policy (the stream has then ended
    /// with ``VICIError/Code/eventBufferOverflow`` after the events already buffered; this one is lost).
    /// Under `.dropOldest` the oldest events make room (an event larger than the byte limit on its own is
    /// itself dropped); each dropped event is counted.
    func append(name: String, message: VICIMessage, size: Int) -> Bool {
        guard end == nil else { return true }
        if let waiter {
            self.waiter = nil
            deliveredEvents = 1
            deliveredBytes = size
            waiter.succeed([(name, message)])
            return true
        }
        while events.count + deliveredEvents >= maxEvents || bufferedBytes + deliveredBytes + size > maxBytes {
            switch policy {
            case .dropOldest:
                guard let dropped = events.popFirst() else {
                    droppedEvents += 1
                    return true
                }
                bufferedBytes -= dropped.size
                droppedEvents += 1
            case .fail:
                finish(VICIError(.eventBufferOverflow,
                                 "more than \(maxEvents) events or \(maxBytes) bytes waited for the consumer"))
                return false
            }
        }
        events.append(((name, message), size))
        bufferedBytes += size
        return true
    }

    /// Ends the stream after the buffered events: normally (`nil`) or with `error`. Only the first call counts.
    func finish(_ error: VICIError?) {
        guard end == nil else { return }
        end = error.map { .failure($0) } ?? .success(())
        if let waiter {
            self.waiter = nil
            deliver(to: waiter)
        }
    }

    /// All buffered events (at least one), or an empty array at the normal end; fails at the end after an error.
    func next() -> EventLoopFuture<[Event]> {
        // The consumer is done with the previous batch.
        deliveredEvents = 0
        deliveredBytes = 0
        let promise = eventLoop.makePromise(of: [Event].self)
        if !events.isEmpty || end != nil {
            deliver(to: promise)
        } else if waiter != nil {
            promise.fail(VICIError(.unexpectedPacket, "an event stream supports only one waiting consumer"))
        } else {
            waiter = promise
        }
        return promise.futureResult
    }

    /// The waiting consumer was cancelled.
    func cancelWaiter() {
        guard let waiter else { return }
        self.waiter = nil
        waiter.fail(VICIError(.cancelled, "the task waiting for events was cancelled"))
    }

    private func deliver(to promise: EventLoopPromise<[Event]>) {
        if !events.isEmpty {
            let batch = events.map(\.event)
            deliveredEvents = events.count
            deliveredBytes = bufferedBytes
            events.removeAll(keepingCapacity: false)
            bufferedBytes = 0
            promise.succeed(batch)
        } else if case .failure(let error) = end {
            promise.fail(error)
        } else {
            promise.succeed([])
        }
    }
}
