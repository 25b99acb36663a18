/// The exporter's version: `--version` and `strongswan_exporter_build_info` read this one constant.
public enum ExporterVersion {
    /// The release version.
    public static let current = "0.1.0"
}
