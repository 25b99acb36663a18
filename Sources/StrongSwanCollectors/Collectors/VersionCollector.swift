import PrometheusExposition
import VICI

/// `version`: which daemon, which strongSwan, which system.
public enum VersionCollector: CharonCollector {
    public static let name = "version"
    public static let summary = "strongswan_info from `version`"

    public static func collect(from vici: some VICIQuerying) async throws -> DaemonVersion {
        DaemonVersion(message: try await vici.call("version", VICIMessage()))
    }

    public static func render(_ model: DaemonVersion, context: RenderContext, into metrics: inout MetricSet) {
        var info = family(
            "strongswan_info", "strongSwan daemon and system identity (always 1).", .gauge,
            ["daemon", "version", "sysname", "release", "machine"])
        info.add(1, [model.daemon, model.version, model.sysname, model.release, model.machine])
        metrics.addNonEmpty(info)
    }
}
