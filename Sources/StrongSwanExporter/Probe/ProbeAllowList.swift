import VICI

/// The VICI endpoints that `/probe` may connect to. A probe for anything else is refused before any
/// connection is attempted (and before any name is resolved).
///
/// Targets are compared after parsing (``VICIEndpoint``), with TCP host names compared case-insensitively:
/// `tcp://GW.example:4502` matches an allowed `tcp://gw.example:4502`; unix socket paths must match exactly
/// (`unix:///run/a/../b.vici` does not match `unix:///run/b.vici`).
public struct ProbeAllowList: Sendable, Hashable {
    /// The allowed endpoints, in canonical form (see ``canonical(_:)``).
    public private(set) var endpoints: Set<VICIEndpoint>

    /// An allow-list of `endpoints`.
    public init<S: Sequence>(endpoints: S) where S.Element == VICIEndpoint {
        self.endpoints = Set(endpoints.map(Self.canonical))
    }

    /// Parses target URIs (`unix:///path`, `tcp://host:port`); fails on the first that does not parse.
    public init(uris: [String]) throws(ProbeConfigurationError) {
        var endpoints: [VICIEndpoint] = []
        for uri in uris {
            do {
                endpoints.append(try VICIEndpoint(parsing: uri))
            } catch {
                throw ProbeConfigurationError("--probe.target: \(error.message)")
            }
        }
        self.init(endpoints: endpoints)
    }

    /// Whether `endpoint` may be probed.
    public func contains(_ endpoint: VICIEndpoint) -> Bool {
        endpoints.contains(Self.canonical(endpoint))
    }

    /// Adds `other` endpoints.
    public mutating func formUnion<S: Sequence>(_ other: S) where S.Element == VICIEndpoint {
        endpoints.formUnion(other.map(Self.canonical))
    }

    /// The number of allowed endpoints.
    public var count: Int { endpoints.count }

    /// The form in which endpoints are compared and keyed: TCP host names lowercased.
    public static func canonical(_ endpoint: VICIEndpoint) -> VICIEndpoint {
        switch endpoint {
        case .unix:
            return endpoint
        case .tcp(let host, let port):
            return .tcp(host: host.lowercased(), port: port)
        }
    }
}
