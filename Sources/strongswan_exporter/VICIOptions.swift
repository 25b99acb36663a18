import ArgumentParser
import StrongSwanExporter

/// How to reach charon: shared by every command that talks to it.
struct VICIOptions: ParsableArguments {
    @Option(name: .customLong("vici.socket"), help: "VICI endpoint: unix:///path or tcp://host:port.")
    var viciSocket: String = "unix:///var/run/charon.vici"

    @Option(name: .customLong("vici.timeout"), help: "Timeout of one VICI command (e.g. 10s or 500ms).")
    var viciTimeout: String = "10s"

    func validate() throws {
        _ = try DurationFlag.parse(viciTimeout, flag: "--vici.timeout")
        guard viciSocket.hasPrefix("unix://") || viciSocket.hasPrefix("tcp://") else {
            throw ValidationError("--vici.socket: '\(viciSocket)' must start with unix:// or tcp://")
        }
    }

    /// Applies these flags to `configuration`.
    func apply(to configuration: inout ExporterConfiguration) throws {
        configuration.viciURI = viciSocket
        configuration.viciTimeout = try DurationFlag.parse(viciTimeout, flag: "--vici.timeout")
    }
}
