import Synchronization

/// Wakes the poll loop early: events call ``fire()``; the loop calls ``wait(until:)`` between polls and
/// returns at the deadline or at the first fire, whichever comes first. Fires while no one waits are
/// remembered (at most one), so an event during a poll causes exactly one extra poll.
public final class PollTrigger: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    /// Creates a trigger.
    public init() {}

    /// Requests an early poll.
    public func fire() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at `deadline`, at the first ``fire()`` (but not before `notBefore`), or when the task is
    /// cancelled.
    public func wait<C: Clock>(until deadline: C.Instant, clock: C, notBefore: C.Instant) async {
        await wait(until: deadline, clock: clock)
        if clock.now < notBefore, !Task.isCancelled {
            try? await clock.sleep(until: notBefore, tolerance: nil)
        }
    }

    /// Returns at `deadline`, at the first ``fire()``, or when the task is cancelled.
    public func wait<C: Clock>(until deadline: C.Instant, clock: C) async {
        if state.withLock({ state in
            let pending = state.pending
            state.pending = false
            return pending
        }) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await clock.sleep(until: deadline, tolerance: nil)
                    self.fire()
                } catch {
                    // Cancelled because a fire came first (or the loop is shutting down).
                }
            }
            group.addTask {
                await self.waitForFire()
            }
            await group.next()
            group.cancelAll()
            await group.waitForAll()
        }
    }

    private func waitForFire() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLock { state in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
