import PrometheusExposition
import VICI

/// `version`: which daemon, which strongSwan, which system.
public enum VersionCollector: CharonCollector {
    public static let name = "version"
    public static let summary = "strongswan_info from `version`"
    public static let commands = ["version"]
    /// Configuration: runs on the configuration clock (and after every reconnect).
    public static let cadence = CollectorCadence.configuration

    /// Maps the answer leniently: a missing key becomes an empty label value rather than a failed collector.
    public static func collect(from vici: some VICIQuerying) async throws -> VICIVersion {
        let message = try await vici.call("version", VICIMessage())
        return VICIVersion(
            daemon: message.string("daemon") ?? "", version: message.string("version") ?? "",
            sysname: message.string("sysname"), release: message.string("release"), machine: message.string("machine"))
    }

    public static func render(_ model: VICIVersion, context: RenderContext, into metrics: inout MetricSet) {
        var info = family(
            "strongswan_info", "strongSwan daemon and system identity (always 1).", .gauge,
            ["daemon", "version", "sysname", "release", "machine"])
        info.add(1, [model.daemon, model.version, model.sysname ?? "", model.release ?? "", model.machine ?? ""])
        metrics.addNonEmpty(info)
    }
}

extension CharonState {
    /// charon's `version` answer, when the `version` collector has it.
    public var version: VICIVersion? { self[VersionCollector.self] }
}
