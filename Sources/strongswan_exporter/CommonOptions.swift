import ArgumentParser
import Logging
import StrongSwanCollectors
import StrongSwanExporter

/// Flags shared by `run` and `dump`: how to reach charon, what to collect, how to log.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("vici.socket"), help: "VICI endpoint: unix:///path or tcp://host:port.")
    var viciSocket: String = "unix:///var/run/charon.vici"

    @Option(name: .customLong("vici.timeout"), help: "Timeout of one VICI command (e.g. 10s).")
    var viciTimeout: String = "10s"

    @Flag(name: .customLong("collector.version"), inversion: .prefixedNo, help: "\(VersionCollector.summary).")
    var collectorVersion = true
    @Flag(name: .customLong("collector.stats"), inversion: .prefixedNo, help: "\(StatsCollector.summary).")
    var collectorStats = true
    @Flag(name: .customLong("collector.sas"), inversion: .prefixedNo, help: "\(SAsCollector.summary).")
    var collectorSAs = true
    @Flag(name: .customLong("collector.sas.per-sa"), inversion: .prefixedNo,
          help: "Per-IKE_SA and per-CHILD_SA series (turn off on very large gateways; per-connection series remain).")
    var perSA = true
    @Flag(name: .customLong("collector.conns"), inversion: .prefixedNo, help: "\(ConnsCollector.summary).")
    var collectorConns = true
    @Flag(name: .customLong("collector.counters"), inversion: .prefixedNo, help: "\(CountersCollector.summary).")
    var collectorCounters = true
    @Flag(name: .customLong("collector.pools"), inversion: .prefixedNo, help: "\(PoolsCollector.summary).")
    var collectorPools = true
    @Flag(name: .customLong("collector.certs"), inversion: .prefixedNo, help: "\(CertsCollector.summary).")
    var collectorCerts = true

    @Option(name: .customLong("log.level"), help: "Minimum log level: debug, info, warn, error.")
    var logLevel: String = "info"
    @Option(name: .customLong("log.format"), help: "Log format: logfmt or json.")
    var logFormat: String = "logfmt"

    var enabledCollectors: Set<String> {
        var names = Set<String>()
        if collectorVersion { names.insert(VersionCollector.name) }
        if collectorStats { names.insert(StatsCollector.name) }
        if collectorSAs { names.insert(SAsCollector.name) }
        if collectorConns { names.insert(ConnsCollector.name) }
        if collectorCounters { names.insert(CountersCollector.name) }
        if collectorPools { names.insert(PoolsCollector.name) }
        if collectorCerts { names.insert(CertsCollector.name) }
        return names
    }

    func validate() throws {
        guard DurationParser.parse(viciTimeout) != nil else {
            throw ValidationError("--vici.timeout: '\(viciTimeout)' is not a duration like 10s or 500ms")
        }
        guard Self.level(logLevel) != nil else {
            throw ValidationError("--log.level: '\(logLevel)' is not one of debug, info, warn, error")
        }
        guard StructuredLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log.format: '\(logFormat)' is not one of logfmt, json")
        }
        guard viciSocket.hasPrefix("unix://") || viciSocket.hasPrefix("tcp://") else {
            throw ValidationError("--vici.socket: '\(viciSocket)' must start with unix:// or tcp://")
        }
    }

    static func level(_ text: String) -> Logger.Level? {
        switch text {
        case "debug": return .debug
        case "info": return .info
        case "warn", "warning": return .warning
        case "error": return .error
        default: return nil
        }
    }

    /// Applies these flags to `configuration`.
    func apply(to configuration: inout ExporterConfiguration) {
        configuration.viciURI = viciSocket
        configuration.viciTimeout = DurationParser.parse(viciTimeout) ?? .seconds(10)
        configuration.poller.enabledCollectors = enabledCollectors
        configuration.poller.perSA = perSA
        configuration.logLevel = Self.level(logLevel) ?? .info
        configuration.logFormat = StructuredLogHandler.Format(rawValue: logFormat) ?? .logfmt
    }

    /// Installs the log handler once for the process.
    func bootstrapLogging() {
        let level = Self.level(logLevel) ?? .info
        let format = StructuredLogHandler.Format(rawValue: logFormat) ?? .logfmt
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, format: format, level: level) }
    }
}
