import Synchronization

/// A token bucket enforcing a ``RateLimit`` across all connections.
final class RequestRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    private let perToken: Double
    private let capacity: Double
    private let bucket: Mutex<Bucket>

    init(_ limit: RateLimit) {
        let components = limit.interval.components
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        self.perToken = max(seconds, 1e-9)
        self.capacity = Double(max(limit.burst, 1))
        self.bucket = Mutex(Bucket(tokens: self.capacity, last: .now))
    }

    /// Takes a token if one is available.
    func allow(now: ContinuousClock.Instant = .now) -> Bool {
        self.bucket.withLock { bucket in
            let elapsed = bucket.last.duration(to: now).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            if seconds > 0 {
                bucket.tokens = min(self.capacity, bucket.tokens + seconds / self.perToken)
                bucket.last = now
            }
            guard bucket.tokens >= 1 else { return false }
            bucket.tokens -= 1
            return true
        }
    }
}
