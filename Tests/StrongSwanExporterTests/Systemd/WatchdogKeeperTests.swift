import StrongSwanExporter
import Synchronization
import Testing

/// The ticking service around the state machine, on a manual clock.
@Suite struct WatchdogKeeperTests {
    let clock = ManualClock()
    let pings = PingRecorder()

    /// The instants at which the keeper pinged.
    final class PingRecorder: Sendable {
        private let times = Mutex<[ManualClock.Instant]>([])
        func record(_ instant: ManualClock.Instant) { times.withLock { $0.append(instant) } }
        var recorded: [ManualClock.Instant] { times.withLock { $0 } }
    }

    func makeKeeper(interval: Duration = .seconds(15), window: Duration = .seconds(20)) -> WatchdogKeeper<ManualClock> {
        WatchdogKeeper(interval: interval, progressWindow: window, clock: clock) { [clock, pings] in
            pings.record(clock.now)
            return .sent
        }
    }

    func pingTimes() -> [Duration] { pings.recorded.map(\.sinceStart) }

    /// Moves the clock on by `step` and waits until the keeper has ticked and gone back to sleep
    /// (it has then slept `sleeps` times in all).
    func advance(by step: Duration, untilSleeps sleeps: Int) async {
        clock.advance(by: step)
        await clock.waitForSleeps(sleeps)
    }

    /// Runs a keeper while `body` runs; `body` starts once the keeper has ticked at 0 s and gone to sleep.
    /// Afterwards the keeper is cancelled and must end without an error.
    func withRunningKeeper(_ body: (WatchdogKeeper<ManualClock>) async -> Void) async throws {
        let keeper = makeKeeper()
        let run = Task { try await keeper.run() }
        await clock.waitForSleeps(1)
        await body(keeper)
        run.cancel()
        try await run.value
    }

    @Test func pingsAtOnceAndThenEveryIntervalWhileProgressIsReported() async throws {
        try await withRunningKeeper { keeper in
            #expect(pingTimes() == [.zero])
            for tick in 1...8 {
                keeper.progress()
                await advance(by: .seconds(15), untilSleeps: tick + 1)
            }
            #expect(pingTimes() == (0...8).map { .seconds(15 * $0) })
        }
    }

    @Test func aStalledPollerGetsNoPingsUntilItProgressesAgain() async throws {
        try await withRunningKeeper { keeper in
            keeper.progress()  // at 0 s: next progress due by 20 s, never comes
            await advance(by: .seconds(15), untilSleeps: 2)  // 15 s: ping
            await advance(by: .seconds(15), untilSleeps: 3)  // 30 s: overdue, withheld
            await advance(by: .seconds(15), untilSleeps: 4)  // 45 s: withheld
            #expect(pingTimes() == [.zero, .seconds(15)])
            keeper.progress()
            await advance(by: .seconds(15), untilSleeps: 5)  // 60 s: resumed
            #expect(pingTimes() == [.zero, .seconds(15), .seconds(60)])
        }
    }

    @Test func progressWithALongerWindowCoversALongWait() async throws {
        try await withRunningKeeper { keeper in
            keeper.progress(nextExpectedWithin: .seconds(95))  // e.g. a 90 s back-off ahead
            for tick in 1...6 {
                await advance(by: .seconds(15), untilSleeps: tick + 1)
            }
            #expect(pingTimes().count == 7, "pings at 0 … 90 s")
            await advance(by: .seconds(15), untilSleeps: 8)
            #expect(pingTimes().count == 7, "105 s is past the announced 95 s")
        }
    }

    @Test func cancellationEndsTheServiceQuietly() async throws {
        try await withRunningKeeper { _ in }
        #expect(pingTimes() == [.zero])
    }
}
