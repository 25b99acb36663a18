import ArgumentParser
import StrongSwanExporter

/// `run` (the default): the long-running agent.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Poll charon and serve /metrics (the default).")

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

    @Flag(name: .customLong("events"), inversion: .prefixedNo,
          help: "Follow charon's events between polls (tunnel up/down at once, traffic that survives rekeys).")
    var followEvents = true

    func validate() throws {
        guard DurationParser.parse(pollInterval) != nil else {
            throw ValidationError("--poll.interval: '\(pollInterval)' is not a duration like 15s or 1m")
        }
        guard telemetryPath.hasPrefix("/"), telemetryPath != "/" else {
            throw ValidationError("--web.telemetry-path must start with / and not be / itself")
        }
    }

    func run() async throws {
        common.bootstrapLogging()
        var configuration = ExporterConfiguration()
        common.apply(to: &configuration)
        if !listenAddresses.isEmpty { configuration.listenAddresses = listenAddresses }
        configuration.systemdSocket = systemdSocket
        configuration.telemetryPath = telemetryPath
        configuration.webConfigFile = webConfigFile
        configuration.poller.interval = DurationParser.parse(pollInterval) ?? .seconds(15)
        configuration.followEvents = followEvents
        try await ExporterApp(configuration: configuration).run()
    }
}
