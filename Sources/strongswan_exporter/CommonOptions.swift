import ArgumentParser
import Logging
import StrongSwanCollectors
import StrongSwanExporter

/// Flags shared by `run` and `dump`: how to reach charon, what to collect, how to log.
struct CommonOptions: ParsableArguments {
    @OptionGroup var vici: VICIOptions

    @Flag(name: .customLong("collector.sas.per-sa"), inversion: .prefixedNo,
          help: "Per-IKE_SA and per-CHILD_SA series keyed by ike_id/child_id, peer addresses and identities in their *_info labels (opt-in: about 14 series per SA, new ones at every rekey; the per-connection and per-tunnel series are there either way).")
    var perSA = false

    @Flag(name: .customLong("collector.counters.per-conn"), inversion: .prefixedNo,
          help: "Per-connection IKE counters: messages by exchange, rekeys, invalid messages (get-counters all=yes) and IKE_SA events (opt-in: about 25 series per connection; the global counters are there either way).")
    var perConnectionCounters = false

    @Option(name: .customLong("log.level"), help: "Minimum log level: debug, info, warn, error.")
    var logLevel: String = "info"
    @Option(name: .customLong("log.format"), help: "Log format: logfmt or json.")
    var logFormat: String = "logfmt"

    /// `--[no-]collector.NAME` switches (listed in the command's help from the catalogue).
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var collectorSwitches: [String] = []

    func validate() throws {
        _ = try CollectorSwitches.enabled(applying: collectorSwitches)
        guard Self.level(logLevel) != nil else {
            throw ValidationError("--log.level: '\(logLevel)' is not one of debug, info, warn, error")
        }
        guard StructuredLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log.format: '\(logFormat)' is not one of logfmt, json")
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
    func apply(to configuration: inout ExporterConfiguration) throws {
        try vici.apply(to: &configuration)
        configuration.poller.enabledCollectors = try CollectorSwitches.enabled(applying: collectorSwitches)
        configuration.poller.perSA = perSA
        configuration.poller.perConnectionCounters = perConnectionCounters
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
