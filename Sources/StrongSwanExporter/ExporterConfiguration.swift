import Logging
import StrongSwanCollectors

/// Everything the agent needs, assembled from the command line.
public struct ExporterConfiguration: Sendable {
    /// The VICI endpoint URI: `unix:///var/run/charon.vici` or `tcp://host:port`.
    public var viciURI: String = "unix:///var/run/charon.vici"
    /// Per-command timeout on the VICI connection.
    public var viciTimeout: Duration = .seconds(10)
    /// Addresses to listen on (`:9814`, `127.0.0.1:9814`, `[::1]:9814`).
    public var listenAddresses: [String] = [":9814"]
    /// Serve on sockets inherited from systemd (socket activation) instead of binding.
    public var systemdSocket: Bool = false
    /// Path of the metrics endpoint.
    public var telemetryPath: String = "/metrics"
    /// Path of the exporter-toolkit web config file (TLS, basic auth), if any.
    public var webConfigFile: String?
    /// Poller settings (interval, collectors, per-SA switch).
    public var poller: PollerConfiguration = PollerConfiguration(enabledCollectors: Set(CollectorCatalogue.names))
    /// Whether to follow VICI events between polls (for `--vici.socket` and for every probe target).
    public var followEvents: Bool = true
    /// Multi-target probing (`/probe`); off unless targets are allowed.
    public var probe: ProbeConfiguration = ProbeConfiguration()
    /// Minimum log level.
    public var logLevel: Logger.Level = .info
    /// Log line format.
    public var logFormat: StructuredLogHandler.Format = .logfmt

    /// Creates the default configuration.
    public init() {}
}
