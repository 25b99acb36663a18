/// Multi-target probing (`/probe?target=URI`): which targets may be probed and how long their pollers live.
///
/// Probing is off unless ``targets`` or ``targetsFile`` names at least one source of targets; only then does
/// the HTTP server serve `/probe`.
public struct ProbeConfiguration: Sendable {
    /// Target URIs allowed on the command line (`--probe.target`, repeatable).
    public var targets: [String] = []
    /// A file of allowed target URIs, one per line with `#` comments (`--probe.targets-file`); re-read on SIGHUP.
    public var targetsFile: String?
    /// A target's poller is dropped (its connections closed) when no probe asked for it for this long.
    public var idleTimeout: Duration = .seconds(600)
    /// The most targets polled at once; a probe for one more gets 503 until an idle target is released.
    public var maxTargets: Int = 100

    /// Creates the default configuration (probing off).
    public init() {}

    /// Whether `/probe` is served.
    public var isEnabled: Bool { !targets.isEmpty || targetsFile != nil }

    /// The allow-list in force now: the command-line targets plus those of the targets file.
    public func loadAllowList() throws(ProbeConfigurationError) -> ProbeAllowList {
        var allowList = try ProbeAllowList(uris: targets)
        if let targetsFile {
            allowList.formUnion(try ProbeTargetsFile.load(path: targetsFile))
        }
        return allowList
    }
}
