/// The decision logic of ``WatchdogKeeper``: may this watchdog tick send `WATCHDOG=1`?
///
/// The watchdog proves *progress*, not mere liveness. A task that pings on a timer proves only that the
/// process schedules tasks; a poller stuck forever inside a VICI call would keep such a watchdog happy. So
/// pings are tied to a **lease** that only the poll loop renews:
///
/// - The poll loop calls ``progress(at:nextExpectedWithin:)`` after every poll attempt (success *or* failure:
///   charon being down is reported through metrics, restarting the exporter would not fix it). The `window`
///   is how long until the loop expects to report again: its sleep until the next poll plus that poll's
///   timeout plus some slack. Sleeping until the next poll is healthy, so a poll interval longer than the
///   watchdog timeout works: the lease covers the sleep.
/// - Each tick (every half `WatchdogSec=`) calls ``tick(at:)``: while the lease holds it answers ``Decision/ping``;
///   once the deadline has passed it withholds the ping, and systemd restarts the service when `WatchdogSec=`
///   passes without one.
///
/// With lease `L`, tick interval `I = WatchdogSec/2`: a healthy loop renews the lease before it runs out, so
/// every tick pings and systemd never fires. A loop that stalls after reporting at `t` gets its last ping at
/// the latest at `t + L`, so systemd restarts it by `t + L + WatchdogSec`. A tick at exactly the deadline still
/// pings. Progress after a stall resumes the pings (if systemd has not acted yet).
///
/// The type is a pure value: time comes in as arguments, so tests drive it with any clock's instants.
public struct WatchdogStateMachine<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// What one tick should do.
    public enum Decision: Sendable, Hashable {
        /// The lease holds: send `WATCHDOG=1`.
        case ping
        /// The lease holds again after one or more withheld ticks: send `WATCHDOG=1` (and say so in the log).
        case resume
        /// The lease has just run out, `overdueBy` ago: withhold the ping (and say so in the log).
        case stall(overdueBy: Duration)
        /// The lease is still out, `overdueBy` past its deadline: withhold the ping.
        case withhold(overdueBy: Duration)

        /// Whether this decision sends `WATCHDOG=1`.
        public var sendsPing: Bool {
            switch self {
            case .ping, .resume: true
            case .stall, .withhold: false
            }
        }
    }

    /// The instant by which the poll loop has promised to report progress again.
    public private(set) var deadline: Instant
    /// Whether the last tick withheld its ping.
    public private(set) var isStalled = false

    /// Starts with a lease of `window` from `now`: the first poll attempt must complete within it.
    public init(now: Instant, firstProgressWithin window: Duration) {
        self.deadline = now.advanced(by: max(window, .zero))
    }

    /// The poll loop made progress at `now` and expects to report again within `window`.
    ///
    /// The newest promise wins, even if it is shorter than the previous one. Negative windows count as zero.
    public mutating func progress(at now: Instant, nextExpectedWithin window: Duration) {
        deadline = now.advanced(by: max(window, .zero))
    }

    /// A watchdog tick at `now`: whether to ping.
    public mutating func tick(at now: Instant) -> Decision {
        if now <= deadline {
            defer { isStalled = false }
            return isStalled ? .resume : .ping
        }
        let overdue = deadline.duration(to: now)
        defer { isStalled = true }
        return isStalled ? .withhold(overdueBy: overdue) : .stall(overdueBy: overdue)
    }
}
