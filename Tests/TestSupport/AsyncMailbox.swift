import Synchronization

/// An unbounded queue one task takes from in order (``next()`` waits for the next element); ``finish()``
/// ends it.
final class AsyncMailbox<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var waiters: [CheckedContinuation<Element?, Never>] = []
        var finished = false
    }

    private let state = Mutex(State())

    /// Hands `element` to the first waiter, or keeps it.
    func push(_ element: Element) {
        let waiter = state.withLock { state -> CheckedContinuation<Element?, Never>? in
            guard !state.finished else { return nil }
            if state.waiters.isEmpty {
                state.items.append(element)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: element)
    }

    /// Ends the queue: waiters (now and later) get `nil` once the kept elements are taken.
    func finish() {
        let waiters = state.withLock { state in
            state.finished = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// The next element (waits for it), or `nil` once finished.
    func next() async -> Element? {
        await withCheckedContinuation { continuation in
            let result: Element?? = state.withLock { state in
                if state.head < state.items.count {
                    defer {
                        state.head += 1
                        if state.head == state.items.count {
                            state.items.removeAll(keepingCapacity: true)
                            state.head = 0
                        }
                    }
                    return .some(state.items[state.head])
                }
                if state.finished { return .some(nil) }
                state.waiters.append(continuation)
                return .none
            }
            if let result { continuation.resume(returning: result) }
        }
    }
}
