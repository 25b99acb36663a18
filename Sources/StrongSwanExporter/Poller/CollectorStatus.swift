/// How a collector fared in the latest poll.
public struct CollectorStatus: Sendable, Hashable {
    /// Whether it succeeded in the latest poll.
    public var success: Bool
    /// How long it took, in seconds.
    public var durationSeconds: Double
    /// Unix time of its latest success, if any: the age of the data it contributes.
    public var lastSuccess: Double?
    /// The latest error, for logs and the landing page.
    public var lastError: String?

    /// Creates a status.
    public init(success: Bool, durationSeconds: Double, lastSuccess: Double?, lastError: String?) {
        self.success = success
        self.durationSeconds = durationSeconds
        self.lastSuccess = lastSuccess
        self.lastError = lastError
    }
}
