/// The answer to the `version` command.
public struct VICIVersion: Sendable, Hashable {
    /// The IKE daemon's name, normally `charon`.
    public var daemon: String
    /// The strongSwan version, e.g. `5.9.8`.
    public var version: String
    /// The operating system name (`uname -s`), if the daemon could determine it.
    public var sysname: String?
    /// The operating system release (`uname -r`), if known.
    public var release: String?
    /// The hardware identifier (`uname -m`), if known.
    public var machine: String?

    /// Creates a version value.
    public init(daemon: String, version: String, sysname: String? = nil, release: String? = nil, machine: String? = nil) {
        self.daemon = daemon
        self.version = version
        self.sysname = sysname
        self.release = release
        self.machine = machine
    }

    /// Reads a `version` response; throws ``VICIError/Code/missingKey`` or ``VICIError/Code/invalidValue``
    /// if `daemon` or `version` is absent or not UTF-8.
    public init(_ message: VICIMessage) throws(VICIError) {
        self.init(daemon: try message.requireString("daemon"), version: try message.requireString("version"),
                  sysname: message.string("sysname"), release: message.string("release"),
                  machine: message.string("machine"))
    }
}
