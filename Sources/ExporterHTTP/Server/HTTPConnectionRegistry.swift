import NIOCore
import Synchronization

/// The open connections of a metrics HTTP server: admits up to a cap, and reaches them all at shutdown.
final class HTTPConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let maxConnections: Int
    private let state = Mutex(State())

    init(maxConnections: Int) {
        self.maxConnections = max(1, maxConnections)
    }

    /// Whether graceful shutdown has begun.
    var isShuttingDown: Bool {
        self.state.withLock { $0.shuttingDown }
    }

    /// Admits `channel` unless the cap is reached or shutdown has begun; removes it again when it closes.
    func admit(_ channel: any Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        let admitted = self.state.withLock { state -> Bool in
            guard !state.shuttingDown, state.channels.count < self.maxConnections else { return false }
            state.channels[key] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { _ in
                let waiters = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
                    state.channels.removeValue(forKey: key)
                    guard state.channels.isEmpty else { return [] }
                    defer { state.emptyWaiters = [] }
                    return state.emptyWaiters
                }
                for waiter in waiters { waiter.resume() }
            }
        }
        return admitted
    }

    /// Marks shutdown and asks every connection to close once idle.
    func beginShutdown() {
        let channels = self.state.withLock { state -> [any Channel] in
            state.shuttingDown = true
            return Array(state.channels.values)
        }
        for channel in channels {
            channel.triggerUserOutboundEvent(HTTPConnectionEvent.shutdownRequested, promise: nil)
        }
    }

    /// Closes every connection at once.
    func closeAll() {
        let channels = self.state.withLock { state -> [any Channel] in
            state.shuttingDown = true
            return Array(state.channels.values)
        }
        for channel in channels {
            channel.close(promise: nil)
        }
    }

    /// Returns once no connection is open (at once if none is).
    func waitUntilEmpty() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isEmpty = self.state.withLock { state -> Bool in
                if state.channels.isEmpty { return true }
                state.emptyWaiters.append(continuation)
                return false
            }
            if isEmpty { continuation.resume() }
        }
    }
}
