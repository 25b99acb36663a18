import ArgumentParser
import StrongSwanExporter
import VICI

/// `run` (the default): the long-running agent.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Poll charon and serve /metrics, and /probe for allowed targets (the default).",
        discussion: CollectorSwitches.help)

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("web.listen-address"),
            help: "Address to listen on, e.g. :9814, 127.0.0.1:9814, [::1]:9814 (repeatable).")
    var listenAddresses: [String] = []

    @Flag(name: .customLong("web.systemd-socket"),
          help: "Require sockets from systemd (socket activation); they are used automatically whenever LISTEN_FDS is set.")
    var systemdSocket = false

    @Option(name: .customLong("web.telemetry-path"), help: "Path under which to expose metrics.")
    var telemetryPath: String = "/metrics"

    @Option(name: .customLong("web.config.file"),
            help: "Path to a web config file (exporter-toolkit format) enabling TLS and/or basic auth.")
    var webConfigFile: String?

    @Option(name: .customLong("poll.interval"), help: "Time between two polls of charon (e.g. 15s).")
    var pollInterval: String = "15s"

    @Option(name: .customLong("poll.config-interval"),
            help: "Time between two runs of the configuration queries (list-conns, list-policies, list-certs, list-authorities, version) when no change is seen; a change in the loaded connections (get-conns, every poll), an SA or event of an unknown connection, and a reconnect run them at once.")
    var configInterval: String = "5m"

    @Flag(name: .customLong("events"), inversion: .prefixedNo,
          help: "Follow charon's events between polls (tunnel up/down at once, traffic that survives rekeys).")
    var followEvents = true

    @Flag(name: .customLong("error-notify"), inversion: .prefixedNo,
          help: "Follow charon's error-notify socket: failures by reason and connection (authentication, proposals, traffic selectors, timeouts, certificates, pools), one log line each.")
    var followErrorNotify = true

    @Option(name: .customLong("error-notify.socket"),
            help: "charon's error-notify socket (its error-notify plugin), unix:///path or tcp://host:port.")
    var errorNotifySocket: String = "unix:///var/run/charon.enfy"

    @Option(name: .customLong("probe.target"),
            help: "Allow /probe?target=URI for this VICI endpoint, unix:///path or tcp://host:port (repeatable).")
    var probeTargets: [String] = []

    @Option(name: .customLong("probe.targets-file"),
            help: "File of allowed probe target URIs, one per line, # comments; re-read on SIGHUP.")
    var probeTargetsFile: String?

    @Option(name: .customLong("probe.idle-timeout"),
            help: "Stop polling a probe target (closing its connections) after this long without a probe.")
    var probeIdleTimeout: String = "10m"

    @Option(name: .customLong("probe.max-targets"), help: "The most probe targets polled at once.")
    var probeMaxTargets: Int = 100

    func validate() throws {
        for target in probeTargets {
            do {
                _ = try VICIEndpoint(parsing: target)
            } catch {
                throw ValidationError("--probe.target: \(error.message)")
            }
        }
        do {
            _ = try VICIEndpoint(parsing: errorNotifySocket)
        } catch {
            throw ValidationError("--error-notify.socket: \(error.message)")
        }
        _ = try DurationFlag.parse(probeIdleTimeout, flag: "--probe.idle-timeout")
        guard probeMaxTargets >= 1 else {
            throw ValidationError("--probe.max-targets must be at least 1")
        }
        _ = try DurationFlag.parse(pollInterval, flag: "--poll.interval")
        _ = try DurationFlag.parse(configInterval, flag: "--poll.config-interval")
        guard telemetryPath.hasPrefix("/"), telemetryPath != "/" else {
            throw ValidationError("--web.telemetry-path must start with / and not be / itself")
        }
    }

    func run() async throws {
        common.bootstrapLogging()
        var configuration = ExporterConfiguration()
        try common.apply(to: &configuration)
        if !listenAddresses.isEmpty { configuration.listenAddresses = listenAddresses }
        configuration.systemdSocket = systemdSocket
        configuration.telemetryPath = telemetryPath
        configuration.webConfigFile = webConfigFile
        configuration.poller.interval = try DurationFlag.parse(pollInterval, flag: "--poll.interval")
        configuration.poller.configInterval = try DurationFlag.parse(configInterval, flag: "--poll.config-interval")
        configuration.followEvents = followEvents
        configuration.errorNotifyURI = followErrorNotify ? errorNotifySocket : nil
        configuration.probe.targets = probeTargets
        configuration.probe.targetsFile = probeTargetsFile
        configuration.probe.idleTimeout = try DurationFlag.parse(probeIdleTimeout, flag: "--probe.idle-timeout")
        configuration.probe.maxTargets = probeMaxTargets
        try await ExporterApp(configuration: configuration).run()
    }
}
