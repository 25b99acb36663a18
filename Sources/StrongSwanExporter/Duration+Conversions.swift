import NIOCore

extension Duration {
    /// This duration in seconds, as a `Double` (for `*_seconds` metrics and log lines).
    var inSeconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// This duration in whole microseconds (rounded down), clamped to `0...UInt64.max`.
    ///
    /// systemd speaks microseconds (`EXTEND_TIMEOUT_USEC=`, `MONOTONIC_USEC=`, `WATCHDOG_USEC`); a negative
    /// duration becomes 0 and an absurdly large one saturates instead of trapping.
    var clampedMicroseconds: UInt64 {
        guard self > .zero else { return 0 }
        let (seconds, attoseconds) = self.components
        let (wholeSeconds, overflow) = UInt64(clamping: seconds).multipliedReportingOverflow(by: 1_000_000)
        guard !overflow else { return .max }
        let fraction = UInt64(clamping: attoseconds / 1_000_000_000_000)
        let (total, carry) = wholeSeconds.addingReportingOverflow(fraction)
        return carry ? .max : total
    }

    /// A duration of `microseconds`, saturating at `Int64.max` microseconds (about 292,000 years).
    static func clampedMicroseconds(_ microseconds: UInt64) -> Duration {
        .microseconds(Int64(clamping: microseconds))
    }
}

extension TimeAmount {
    /// A Swift `Duration` as a NIO `TimeAmount` (saturating; sub-second parts kept to the nanosecond).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = .nanoseconds(overflow ? Int64.max : nanos &+ attoseconds / 1_000_000_000)
    }
}
