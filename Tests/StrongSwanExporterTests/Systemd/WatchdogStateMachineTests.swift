import StrongSwanExporter
import Testing

/// The watchdog's decisions, driven with explicit instants.
@Suite struct WatchdogStateMachineTests {
    typealias Machine = WatchdogStateMachine<ManualClock.Instant>
    let start = ManualClock.Instant(sinceStart: .zero)

    func at(_ seconds: Int) -> ManualClock.Instant { start.advanced(by: .seconds(seconds)) }

    @Test func pingsWhileTheFirstPollHasTime() {
        var machine = Machine(now: start, firstProgressWithin: .seconds(20))
        #expect(machine.tick(at: at(0)) == .ping)
        #expect(machine.tick(at: at(15)) == .ping)
        #expect(machine.tick(at: at(20)) == .ping, "a tick exactly at the deadline still pings")
        #expect(machine.tick(at: at(21)) == .stall(overdueBy: .seconds(1)))
    }

    /// WatchdogSec=30s (ticks every 15 s) with a poll every 60 s taking 3 s, announcing 60 + 5 + 5 s each time:
    /// the poll interval is twice the watchdog timeout, yet every tick pings, because waiting is progress.
    @Test func aPollIntervalLongerThanTheWatchdogTimeoutKeepsPinging() {
        let window = Duration.seconds(70)
        var machine = Machine(now: start, firstProgressWithin: window)
        var decisions: [Machine.Decision] = []
        for second in stride(from: 0, through: 600, by: 1) {
            if second % 60 == 3 { machine.progress(at: at(second), nextExpectedWithin: window) }
            if second % 15 == 0 { decisions.append(machine.tick(at: at(second))) }
        }
        #expect(decisions.count == 41)
        #expect(decisions.allSatisfy { $0 == .ping })
    }

    @Test func stallStopsThePingsAndProgressResumesThem() {
        var machine = Machine(now: start, firstProgressWithin: .seconds(20))
        machine.progress(at: at(3), nextExpectedWithin: .seconds(20))  // deadline 23
        #expect(machine.tick(at: at(15)) == .ping)
        #expect(!machine.isStalled)
        #expect(machine.tick(at: at(30)) == .stall(overdueBy: .seconds(7)))
        #expect(machine.isStalled)
        #expect(machine.tick(at: at(45)) == .withhold(overdueBy: .seconds(22)))
        #expect(!machine.tick(at: at(60)).sendsPing)
        machine.progress(at: at(61), nextExpectedWithin: .seconds(20))
        #expect(machine.tick(at: at(75)) == .resume)
        #expect(!machine.isStalled)
        #expect(machine.tick(at: at(80)) == .ping)
    }

    @Test func theNewestPromiseWinsEvenWhenShorter() {
        var machine = Machine(now: start, firstProgressWithin: .seconds(100))
        machine.progress(at: at(1), nextExpectedWithin: .seconds(5))
        #expect(machine.deadline == at(6))
        #expect(machine.tick(at: at(7)) == .stall(overdueBy: .seconds(1)))
    }

    @Test func negativeWindowsCountAsZero() {
        var machine = Machine(now: start, firstProgressWithin: .seconds(-3))
        #expect(machine.deadline == start)
        machine.progress(at: at(10), nextExpectedWithin: .seconds(-1))
        #expect(machine.deadline == at(10))
    }

    /// Whatever the timing, a stalled loop's last ping is no later than its last progress plus its window,
    /// so systemd restarts it at most `window + WatchdogSec` after it stopped making progress.
    @Test(arguments: [1, 7, 14, 15, 16, 29])
    func theLastPingAfterAStallComesWithinTheWindow(lastProgress: Int) {
        let window = Duration.seconds(20)
        var machine = Machine(now: start, firstProgressWithin: window)
        machine.progress(at: at(lastProgress), nextExpectedWithin: window)
        var lastPing = start
        for second in stride(from: 0, through: 300, by: 15) where machine.tick(at: at(second)).sendsPing {
            lastPing = at(second)
        }
        #expect(lastPing <= at(lastProgress).advanced(by: window))
        #expect(lastPing > at(lastProgress).advanced(by: window - .seconds(15)), "pings stop no earlier than needed")
    }
}
