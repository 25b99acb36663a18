import Synchronization

/// How a probe target's polling is going: whether its latest poll reached charon (`probe_success`), and a
/// way for the first probes of a new target to wait until its first poll is done.
final class ProbePollStatus: Sendable {
    private struct State {
        var polls = 0
        var reachedCharon = false
        /// Set when the target's pipeline stopped: nobody waits for a poll that will not come.
        var finished = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0

        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
    }

    private let state = Mutex(State())

    init() {}

    /// Whether the latest poll reached charon (false before the first poll).
    var reachedCharon: Bool { state.withLock { $0.reachedCharon } }

    /// The number of polls finished so far.
    var polls: Int { state.withLock { $0.polls } }

    /// Records a finished poll and wakes everyone waiting for the first.
    func record(reachedCharon: Bool) {
        let waiters = state.withLock { state in
            state.polls += 1
            state.reachedCharon = reachedCharon
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Marks the pipeline stopped (no more polls) and wakes all waiters.
    func finish() {
        let waiters = state.withLock { state in
            state.finished = true
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once a first poll finished (at once if one has), the pipeline stopped, `timeout` elapsed on
    /// `clock`, or the task is cancelled.
    func waitForFirstPoll<C: Clock>(timeout: Duration, clock: C) async where C.Duration == Duration {
        if state.withLock({ $0.polls > 0 || $0.finished }) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: timeout) }
            group.addTask { await self.waitForPoll() }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForPoll() async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.polls > 0 || state.finished || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
