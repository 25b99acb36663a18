/// A command whose results arrive as a stream of events before its response, with the event it streams.
public struct VICIStreamedCommand: Sendable, Hashable, CustomStringConvertible {
    /// The command, e.g. `list-sas`.
    public var command: String
    /// The event carrying the results, e.g. `list-sa`.
    public var event: String

    /// Describes a streamed command.
    public init(command: String, event: String) {
        self.command = command
        self.event = event
    }

    /// `list-sas` → `list-sa` events (one per IKE_SA).
    public static let listSAs = VICIStreamedCommand(command: "list-sas", event: "list-sa")
    /// `list-conns` → `list-conn` events (one per connection).
    public static let listConns = VICIStreamedCommand(command: "list-conns", event: "list-conn")
    /// `list-certs` → `list-cert` events (one per certificate).
    public static let listCerts = VICIStreamedCommand(command: "list-certs", event: "list-cert")
    /// `list-policies` → `list-policy` events (one per policy; swanctl calls it `--list-pols`).
    public static let listPolicies = VICIStreamedCommand(command: "list-policies", event: "list-policy")
    /// `initiate` → `control-log` events (pass a `loglevel`).
    public static let initiate = VICIStreamedCommand(command: "initiate", event: "control-log")
    /// `terminate` → `control-log` events (pass a `loglevel`).
    public static let terminate = VICIStreamedCommand(command: "terminate", event: "control-log")

    /// `command → event`.
    public var description: String { "\(command) → \(event)" }
}
