import NIOCore

/// A subscription to daemon events (e.g. `ike-updown`, `child-updown`, `ike-rekey`, `child-rekey`,
/// `ike-update`) on a connection of its own, as an `AsyncSequence` of `(name, message)` pairs.
///
/// ## Buffering
///
/// The connection reads the socket continuously (charon keeps unread events in its own memory without
/// limit, so slowing down would only move the problem into the daemon). Events wait for the consumer in a
/// buffer bounded by ``Configuration/maxBufferedEvents`` and ``Configuration/maxBufferedBytes``; the events
/// the iterator has taken from the buffer and not yet handed out count against those limits too. When the
/// buffer is full, the ``Configuration/overflowPolicy`` decides:
///
/// - ``OverflowPolicy/fail`` (default): the stream delivers what is buffered, then throws
///   ``VICIError/Code/eventBufferOverflow`` and the connection is closed. A consumer that mirrors state
///   (an event cache) then knows it missed events and must resynchronise, e.g. from `list-sas`.
/// - ``OverflowPolicy/dropOldest``: the oldest buffered events are discarded and counted
///   (``droppedEventCount()``); the stream goes on.
///
/// ## End
///
/// When the daemon goes away, the stream delivers the buffered events and then throws
/// ``VICIError/Code/connectionClosed``. After ``close()`` it simply ends (`nil`). Iterate it from one task at a
/// time: each event is delivered once, to whichever iterator asks.
///
/// ```swift
/// let events = try await VICIEventStream.subscribe(events: ["ike-updown", "child-updown"])
/// for try await (name, message) in events { cache.apply(name, message) }
/// ```
public final class VICIEventStream: AsyncSequence, Sendable {
    /// An event: its name and message.
    public typealias Element = (name: String, message: VICIMessage)
    /// Iteration fails only with ``VICIError``.
    public typealias Failure = VICIError

    /// What happens when events arrive faster than they are consumed and the buffer is full.
    public enum OverflowPolicy: Sendable, Hashable {
        /// Discard the oldest buffered events and count them.
        case dropOldest
        /// End the stream with ``VICIError/Code/eventBufferOverflow`` and close the connection.
        case fail
    }

    /// Settings of an event stream.
    public struct Configuration: Sendable {
        /// The most events that may wait for the consumer.
        public var maxBufferedEvents: Int
        /// The most wire bytes of events that may wait for the consumer.
        public var maxBufferedBytes: Int
        /// What happens when either limit is exceeded.
        public var overflowPolicy: OverflowPolicy
        /// The settings of the underlying connection (its ``VICIConnection/Configuration/commandTimeout``
        /// bounds each registration).
        public var connection: VICIConnection.Configuration

        /// Creates a configuration: 10,000 events, 64 MiB, fail on overflow, default connection settings.
        public init(
            maxBufferedEvents: Int = 10_000,
            maxBufferedBytes: Int = 64 * 1024 * 1024,
            overflowPolicy: OverflowPolicy = .fail,
            connection: VICIConnection.Configuration = VICIConnection.Configuration()
        ) {
            self.maxBufferedEvents = maxBufferedEvents
            self.maxBufferedBytes = maxBufferedBytes
            self.overflowPolicy = overflowPolicy
            self.connection = connection
        }
    }

    /// The subscribed event names.
    public let events: [String]
    /// The dedicated connection.
    let connection: VICIConnection

    private init(events: [String], connection: VICIConnection) {
        self.events = events
        self.connection = connection
    }

    /// Connects to `endpoint` and registers each of `events` in turn (each name once: charon would deliver an
    /// event registered twice twice). Fails with
    /// ``VICIError/Code/connectFailed``, ``VICIError/Code/unknownEvent`` (the daemon has no such event; the
    /// connection is closed again), ``VICIError/Code/timeout``, …
    public static func subscribe(
        to endpoint: VICIEndpoint = .default,
        events: [String],
        configuration: Configuration = Configuration()
    ) async throws(VICIError) -> VICIEventStream {
        let connection = try await VICIConnection.connect(to: endpoint, configuration: configuration.connection)
        let maxEvents = configuration.maxBufferedEvents
        let maxBytes = configuration.maxBufferedBytes
        let policy = configuration.overflowPolicy
        await connection.attach { eventLoop in
            VICIEventBuffer(maxEvents: maxEvents, maxBytes: maxBytes, policy: policy, eventLoop: eventLoop)
        }
        do {
            for event in Set(events).sorted() {
                try await connection.register(event)
            }
        } catch {
            await connection.close()
            throw error
        }
        return VICIEventStream(events: events, connection: connection)
    }

    /// Creates an iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(connection: connection)
    }

    /// Iterates the events.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let connection: VICIConnection
        private var batch: [Element] = []
        private var index = 0
        private var finished = false

        init(connection: VICIConnection) {
            self.connection = connection
        }

        /// The next event; `nil` after ``VICIEventStream/close()``. Throws
        /// ``VICIError/Code/connectionClosed`` when the daemon went away,
        /// ``VICIError/Code/eventBufferOverflow`` under the `.fail` policy, a decoding error for a malformed
        /// event, or ``VICIError/Code/cancelled``.
        public mutating func next() async throws(VICIError) -> Element? {
            if index < batch.count {
                defer { index += 1 }
                return batch[index]
            }
            guard !finished else { return nil }
            let handler = connection.handler
            let future = handler.eventLoop.flatSubmit {
                guard let buffer = handler.value.subscription else {
                    return handler.eventLoop.makeSucceededFuture([(name: String, message: VICIMessage)]())
                }
                return buffer.next()
            }
            let next: [Element]
            do {
                next = try await withTaskCancellationHandler {
                    try await future.get()
                } onCancel: {
                    handler.eventLoop.execute { handler.value.subscription?.cancelWaiter() }
                }
            } catch let error as VICIError {
                if error.code != .cancelled { finished = true }
                throw error
            } catch {
                finished = true
                throw VICIError(.connectionClosed, "event stream failed: \(error)")
            }
            guard !next.isEmpty else {
                finished = true
                return nil
            }
            batch = next
            index = 1
            return next[0]
        }
    }

    /// How many events the ``OverflowPolicy/dropOldest`` policy has discarded so far.
    public func droppedEventCount() async -> Int {
        let handler = connection.handler
        return (try? await handler.eventLoop.submit { handler.value.subscription?.droppedEvents ?? 0 }.get()) ?? 0
    }

    /// Whether the underlying connection is still open.
    public var isOpen: Bool { connection.isOpen }

    /// Closes the connection (charon drops the registrations with it); the stream then ends normally after
    /// the events already buffered. Idempotent.
    public func close() async {
        await connection.close()
    }
}
