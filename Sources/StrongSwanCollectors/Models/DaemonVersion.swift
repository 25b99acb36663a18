import VICI

/// charon's answer to `version`.
public struct DaemonVersion: Sendable, Hashable {
    /// IKE daemon name, e.g. `charon`.
    public var daemon: String
    /// strongSwan version, e.g. `5.9.8`.
    public var version: String
    /// Operating system name.
    public var sysname: String
    /// Operating system release.
    public var release: String
    /// Hardware identifier.
    public var machine: String

    /// Creates a version record.
    public init(daemon: String, version: String, sysname: String, release: String, machine: String) {
        self.daemon = daemon
        self.version = version
        self.sysname = sysname
        self.release = release
        self.machine = machine
    }

    /// Maps a `version` response. Missing keys become empty strings.
    public init(message: VICIMessage) {
        self.init(
            daemon: message.string("daemon") ?? "",
            version: message.string("version") ?? "",
            sysname: message.string("sysname") ?? "",
            release: message.string("release") ?? "",
            machine: message.string("machine") ?? ""
        )
    }
}
