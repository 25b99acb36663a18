import NIOHTTP1

/// What ``ProbeTargetManager/probe(target:firstPollTimeout:)`` answers: a body to serve, or why not.
public enum ProbeOutcome: Sendable {
    /// The target's metrics (possibly `strongswan_up 0` / `probe_success 0`).
    case served(ScrapeBody, reachedCharon: Bool)
    /// The probe was refused; no connection was attempted.
    case refused(ProbeRefusal)
}

/// Why a probe was refused. None of these ever opens a connection.
public enum ProbeRefusal: String, Sendable, CaseIterable {
    /// No `target` parameter, several, or one that is not a `unix://` or `tcp://` URI.
    case invalidTarget = "invalid_target"
    /// The target is not on the allow-list.
    case notAllowed = "not_allowed"
    /// As many targets as `--probe.max-targets` are being polled already.
    case targetLimit = "target_limit"
    /// The exporter is shutting down.
    case shuttingDown = "shutting_down"

    /// The HTTP status of the refusal: 400 for the client's mistakes, 503 for the exporter's limits.
    public var status: HTTPResponseStatus {
        switch self {
        case .invalidTarget, .notAllowed: return .badRequest
        case .targetLimit, .shuttingDown: return .serviceUnavailable
        }
    }

    /// The plain-text body of the refusal.
    public var message: String {
        switch self {
        case .invalidTarget: return "Bad Request: exactly one target=unix:///path or target=tcp://host:port is required\n"
        case .notAllowed: return "Bad Request: target is not allowed (--probe.target, --probe.targets-file)\n"
        case .targetLimit: return "Service Unavailable: too many probe targets (--probe.max-targets)\n"
        case .shuttingDown: return "Service Unavailable: shutting down\n"
        }
    }
}
