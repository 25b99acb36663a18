import CSystemd

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Sends service state notifications to systemd (`sd_notify(3)`) and reads the watchdog settings systemd
/// passed to this process.
///
/// Every call is a single datagram sent by libsystemd's `sd_notify` to the socket named by `NOTIFY_SOCKET`.
/// Without `NOTIFY_SOCKET` (started by hand, in a container, by another supervisor) every call is a no-op that
/// returns ``Outcome/notConfigured``. Nothing read from the environment can make these calls trap: malformed
/// values only produce ``Outcome/failed(errno:)`` or `nil`.
///
/// The notifier never unsets `NOTIFY_SOCKET`, `WATCHDOG_USEC` or `WATCHDOG_PID`: changing the environment of
/// a multi-threaded process is unsafe, and the exporter starts no children that could inherit them.
///
/// The agent's calls, in order:
/// - ``ready(status:)`` once the HTTP listener is bound and serving (it may still be waiting for the first poll);
/// - ``status(_:)`` whenever there is news worth a line in `systemctl status` (e.g. after each poll);
/// - ``reloading()`` when SIGHUP starts a reload, then ``ready(status:)`` when the reload is done;
/// - ``stopping()`` as the first step of a graceful shutdown (see ``SystemdStoppingService``);
/// - ``watchdog()`` only through ``WatchdogKeeper``, which withholds it when the poller makes no progress.
///
/// Once ``stopping()`` was sent, ``ready(status:)`` and ``reloading()`` send nothing (``Outcome/suppressed``):
/// a SIGHUP during the shutdown grace period must not tell systemd the service is ready again. Copies of a
/// notifier share that state.
public struct SystemdNotifier: Sendable {
    /// What became of a notification.
    public enum Outcome: Sendable, Hashable, CustomStringConvertible {
        /// The datagram was handed to systemd's notification socket.
        case sent
        /// `NOTIFY_SOCKET` is not set: not running under systemd's supervision, nothing was sent.
        case notConfigured
        /// libsystemd could not send the datagram; `errno` says why (e.g. `ECONNREFUSED`, `EINVAL` for a
        /// malformed `NOTIFY_SOCKET`).
        case failed(errno: Int32)
        /// Not sent: `READY=1` or `RELOADING=1` after `STOPPING=1`.
        case suppressed

        /// `sent`, `not configured` or `failed: <strerror>`.
        public var description: String {
            switch self {
            case .sent: "sent"
            case .notConfigured: "not configured"
            case .suppressed: "suppressed (stopping)"
            case .failed(let errno): "failed: \(String(cString: strerror(errno))) (errno \(errno))"
            }
        }
    }

    /// Whether `STOPPING=1` was sent (shared by copies).
    private let stopped = OnceFlag()

    /// Creates a notifier. The environment is read by libsystemd on each call.
    public init() {}

    /// Whether `NOTIFY_SOCKET` is set, i.e. whether notifications go anywhere.
    public var isConfigured: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// `READY=1`, optionally with a `STATUS=` line in the same datagram: start-up is complete.
    ///
    /// With `Type=notify` systemd holds back units ordered after this one, and `systemctl start` waits, until
    /// this arrives. Also ends a reload announced with ``reloading()``.
    @discardableResult
    public func ready(status: String? = nil) -> Outcome {
        guard !(stopped.isSet && isConfigured) else { return .suppressed }
        return send(["READY=1"] + (status.map { [Self.statusAssignment($0)] } ?? []))
    }

    /// `STATUS=…`: a one-line, human-readable state shown by `systemctl status`.
    ///
    /// Line breaks and NUL characters are replaced by spaces, so the text cannot smuggle in other assignments.
    @discardableResult
    public func status(_ text: String) -> Outcome {
        send([Self.statusAssignment(text)])
    }

    /// `WATCHDOG=1`: a keep-alive ping for `WatchdogSec=`. Call it through ``WatchdogKeeper``, not directly.
    @discardableResult
    public func watchdog() -> Outcome {
        send(["WATCHDOG=1"])
    }

    /// `STOPPING=1`: shutdown has begun. systemd stops the watchdog timer on receipt.
    @discardableResult
    public func stopping() -> Outcome {
        _ = stopped.setOnce()
        return send(["STOPPING=1"])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (the current `CLOCK_MONOTONIC` in microseconds): a reload has begun.
    ///
    /// Send ``ready(status:)`` when it is done. systemd ≥ 253 needs the timestamp for `Type=notify-reload`
    /// (it tells a fresh reload notification from a stale one); systemd 252 ignores the extra field.
    @discardableResult
    public func reloading() -> Outcome {
        guard !(stopped.isSet && isConfigured) else { return .suppressed }
        return send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())"])
    }

    /// `EXTEND_TIMEOUT_USEC=…`: asks systemd for `duration` more before the current start, stop or reload
    /// timeout fires (for a start-up or shutdown step known to be slow). Negative durations count as zero.
    @discardableResult
    public func extendTimeout(by duration: Duration) -> Outcome {
        send(["EXTEND_TIMEOUT_USEC=\(duration.clampedMicroseconds)"])
    }

    /// The watchdog timeout systemd expects this process to honour (`WATCHDOG_USEC`, i.e. `WatchdogSec=`), or
    /// `nil` when the watchdog is off for this process.
    ///
    /// Read with `sd_watchdog_enabled(3)`: `nil` when `WATCHDOG_USEC` is unset, zero or malformed, or when
    /// `WATCHDOG_PID` is set and names another process (the variables were meant for a parent or child).
    public func watchdogTimeout() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .clampedMicroseconds(microseconds)
    }

    /// How often to send `WATCHDOG=1`: half of ``watchdogTimeout()``, as `sd_watchdog_enabled(3)` recommends,
    /// or `nil` when the watchdog is off for this process.
    public func watchdogInterval() -> Duration? {
        watchdogTimeout().map { $0 / 2 }
    }

    /// Sends newline-separated `KEY=value` assignments as one datagram.
    private func send(_ assignments: [String]) -> Outcome {
        let result = assignments.joined(separator: "\n").withCString { sd_notify(0, $0) }
        if result > 0 { return .sent }
        if result == 0 { return .notConfigured }
        return .failed(errno: Int32(clamping: result.magnitude))
    }

    /// `STATUS=` followed by `text` on a single line.
    private static func statusAssignment(_ text: String) -> String {
        var oneLine = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            oneLine.append(scalar == "\n" || scalar == "\r" || scalar == "\0" ? " " : scalar)
        }
        return "STATUS=" + String(oneLine)
    }

    /// `CLOCK_MONOTONIC` in microseconds, the clock systemd uses for `MONOTONIC_USEC=`.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        guard clock_gettime(CLOCK_MONOTONIC, &now) == 0 else { return 0 }
        return (Duration.seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)).clampedMicroseconds
    }
}

