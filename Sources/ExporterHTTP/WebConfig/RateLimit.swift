/// The `rate_limit` section of a web config: a token bucket over all requests (exporter-toolkit semantics).
///
/// One request may pass every ``interval`` on average, with bursts of up to ``burst``; requests over the
/// limit get `429 Too Many Requests` before authentication is checked.
public struct RateLimit: Sendable, Hashable {
    /// The time between two requests on average (positive).
    public var interval: Duration
    /// How many requests may pass at once after a quiet period (at least 1).
    public var burst: Int

    /// Creates a limit.
    public init(interval: Duration, burst: Int) {
        self.interval = interval
        self.burst = burst
    }
}
