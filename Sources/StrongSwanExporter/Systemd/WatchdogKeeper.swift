import Logging
import ServiceLifecycle
import Synchronization

/// Sends systemd's `WATCHDOG=1` every half `WatchdogSec=`, but only while the poll loop reports progress.
///
/// The decisions are ``WatchdogStateMachine``'s (read its documentation for the lease model and the timing
/// bounds); this service only ticks it on a clock and sends the pings.
///
/// Wiring, for the agent:
/// ```swift
/// let notifier = SystemdNotifier()
/// // nil when systemd set no watchdog for this process: then simply don't add it.
/// let keeper = WatchdogKeeper(notifier: notifier,
///                             progressWindow: pollInterval + pollTimeout + .seconds(5),
///                             logger: logger)
/// // in the poll loop, after every poll attempt, successful or not, just before sleeping:
/// keeper?.progress()
/// // with a different wait ahead (a back-off of 60 s, say), announce it instead:
/// keeper?.progress(nextExpectedWithin: backoff + pollTimeout + .seconds(5))
/// ```
/// Add the keeper to the `ServiceGroup`. It ends on graceful shutdown; after `STOPPING=1` systemd no longer
/// expects pings, so its position in the group does not matter.
///
/// The default clock is `SuspendingClock`, which, like the `CLOCK_MONOTONIC` systemd's watchdog runs on, does
/// not advance while the machine is suspended: a laptop waking up does not find its lease expired.
public final class WatchdogKeeper<C: Clock>: Service, Sendable where C.Duration == Duration {
    private let clock: C
    private let interval: Duration
    private let progressWindow: Duration
    private let logger: Logger
    private let ping: @Sendable () -> SystemdNotifier.Outcome
    private let machine: Mutex<WatchdogStateMachine<C.Instant>>

    /// Creates a keeper that ticks every `interval` on `clock` and calls `ping` when a tick may ping.
    ///
    /// - Parameters:
    ///   - interval: the tick (ping) interval, normally ``SystemdNotifier/watchdogInterval()``. Values below
    ///     one millisecond are raised to one millisecond so that a tiny `WATCHDOG_USEC` cannot make a busy loop.
    ///   - progressWindow: the lease ``progress()`` grants, also the time the first poll attempt has from now:
    ///     the poll interval plus the poll timeout plus a few seconds of slack.
    ///   - clock: the clock to tick on and to timestamp progress with.
    ///   - logger: where stalls, recoveries and failed pings are reported.
    ///   - ping: sends `WATCHDOG=1`, normally ``SystemdNotifier/watchdog()``.
    public init(
        interval: Duration,
        progressWindow: Duration,
        clock: C,
        logger: Logger = Logger(label: "strongswan_exporter.systemd.watchdog"),
        ping: @escaping @Sendable () -> SystemdNotifier.Outcome
    ) {
        self.clock = clock
        self.interval = max(interval, .milliseconds(1))
        self.progressWindow = progressWindow
        self.logger = logger
        self.ping = ping
        self.machine = Mutex(WatchdogStateMachine(now: clock.now, firstProgressWithin: progressWindow))
    }

    /// The poll loop completed an attempt and will report again within the `progressWindow` given at creation.
    public func progress() {
        progress(nextExpectedWithin: progressWindow)
    }

    /// The poll loop made progress and will report again within `window` (use it before a longer wait than
    /// usual, such as a back-off).
    public func progress(nextExpectedWithin window: Duration) {
        let now = clock.now
        machine.withLock { $0.progress(at: now, nextExpectedWithin: window) }
    }

    /// Ticks immediately and then every `interval` until graceful shutdown or cancellation, then returns.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.tickForever() }
        } catch is CancellationError {
            return
        }
    }

    private func tickForever() async throws {
        var next = clock.now
        while true {
            let now = clock.now
            let decision = machine.withLock { $0.tick(at: now) }
            act(on: decision)
            next = next.advanced(by: interval)
            if next < now {
                // Fell more than a tick behind (starved or stopped): realign instead of catching up in a burst.
                next = now.advanced(by: interval)
            }
            try await clock.sleep(until: next, tolerance: nil)
        }
    }

    private func act(on decision: WatchdogStateMachine<C.Instant>.Decision) {
        switch decision {
        case .ping:
            break
        case .resume:
            logger.notice("Poller is making progress again; resuming watchdog pings")
        case .stall(let overdue):
            logger.error(
                "Poller has made no progress for \(overdue) beyond its expected window; withholding watchdog pings, systemd will restart the service once WatchdogSec passes"
            )
        case .withhold(let overdue):
            logger.debug("Still no poller progress, \(overdue) overdue; watchdog ping withheld")
        }
        guard decision.sendsPing else { return }
        if case .failed = ping() {
            logger.warning("Sending WATCHDOG=1 to systemd failed")
        }
    }
}

extension WatchdogKeeper where C == SuspendingClock {
    /// A keeper pinging through `notifier` at ``SystemdNotifier/watchdogInterval()`` on a `SuspendingClock`,
    /// or `nil` when systemd set no watchdog for this process (`WATCHDOG_USEC` unset, invalid, or for another
    /// `WATCHDOG_PID`).
    public convenience init?(
        notifier: SystemdNotifier,
        progressWindow: Duration,
        logger: Logger = Logger(label: "strongswan_exporter.systemd.watchdog")
    ) {
        guard let interval = notifier.watchdogInterval() else { return nil }
        self.init(
            interval: interval,
            progressWindow: progressWindow,
            clock: SuspendingClock(),
            logger: logger,
            ping: { notifier.watchdog() }
        )
    }
}
