import Logging
import NIOCore
import StrongSwanCollectors
import VICI

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
    public var poller: PollerConfiguration = PollerConfiguration(enabledCollectors: CollectorCatalogue.enabledByDefault)
    /// Whether to follow VICI events between polls (for `--vici.socket` and for every probe target).
    public var followEvents: Bool = true
    /// charon's error-notify socket (`--error-notify.socket`), followed for failure reasons; `nil` when
    /// switched off (`--no-error-notify`).
    public var errorNotifyURI: String? = "unix:///var/run/charon.enfy"
    /// Multi-target probing (`/probe`); off unless targets are allowed.
    public var probe: ProbeConfiguration = ProbeConfiguration()
    /// Minimum log level.
    public var logLevel: Logger.Level = .info
    /// Log line format.
    public var logFormat: StructuredLogHandler.Format = .logfmt

    /// Creates the default configuration.
    public init() {}

    /// The most wire bytes of events a subscription buffers (for `--vici.socket` and every probe target).
    /// Events wait there only while the cache applies earlier ones. 16 MiB is some 13,000 real child-updown
    /// events; a burst beyond it ends the subscription, which is re-established, and the full poll that
    /// follows resynchronises. Decoded, hostile events can take several times their wire size, so the
    /// library's 64 MiB default would allow hundreds of MiB.
    public static let maxBufferedEventBytes = 16 * 1024 * 1024

    /// How long connecting to charon may take: `--vici.timeout`, at most 5 s.
    public var viciConnectTimeout: Duration { min(viciTimeout, .seconds(5)) }

    /// The settings of every command connection to charon (`--vici.socket`, each probe target, `vici`).
    public var viciConnection: VICIConnection.Configuration {
        var settings = VICIConnection.Configuration()
        settings.commandTimeout = TimeAmount(viciTimeout)
        settings.connectTimeout = TimeAmount(viciConnectTimeout)
        return settings
    }

    /// The settings of every event subscription to charon (`--vici.socket` and each probe target).
    public var viciEvents: VICIEventStream.Configuration {
        var settings = VICIEventStream.Configuration()
        settings.connection = viciConnection
        settings.maxBufferedBytes = Self.maxBufferedEventBytes
        return settings
    }
}
