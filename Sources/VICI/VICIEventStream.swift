import Synchronization

/// Events from a subscription, in the order charon raised them. The sequence ends (throws) when the
/// connection closes, charon goes away, or the consumer falls more than the buffer limit behind.
public struct VICIEventStream: AsyncSequence, Sendable {
    public typealias Element = VICIEvent

    /// Counts buffered events so the buffer stays bounded.
    final class Counter: Sendable {
        private let pending = Mutex(0)
        let limit: Int
        init(limit: Int) { self.limit = limit }
        func enqueue() -> Bool {
            pending.withLock { count in
                guard count < limit else { return false }
                count += 1
                return true
            }
        }
        func dequeue() { pending.withLock { $0 = Swift.max(0, $0 - 1) } }
    }

    let stream: AsyncThrowingStream<VICIEvent, any Error>
    let counter: Counter
    /// The connection the subscription lives on (close it to end the stream).
    public let client: VICIClient

    init(stream: AsyncThrowingStream<VICIEvent, any Error>, counter: Counter, client: VICIClient) {
        self.stream = stream
        self.counter = counter
        self.client = client
    }

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<VICIEvent, any Error>.AsyncIterator
        let counter: Counter

        /// The next event, `nil` when the stream finished cleanly, or the error that ended it.
        public mutating func next() async throws -> VICIEvent? {
            let event = try await base.next()
            if event != nil { counter.dequeue() }
            return event
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), counter: counter)
    }
}
