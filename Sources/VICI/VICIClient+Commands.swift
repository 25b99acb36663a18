/// Typed wrappers for the commands the exporter uses. They return the response message (collectors do their
/// own mapping); a response with `success = no` becomes ``VICIError/Code/commandFailed`` with its `errmsg`.
extension VICIClient {
    /// `version`: daemon, version, sysname, release, machine.
    public func version() async throws(VICIError) -> VICIMessage { try Self.checked("version", await call("version")) }

    /// `stats`: uptime, workers, queues, IKE_SA counts, plugins, memory.
    public func stats() async throws(VICIError) -> VICIMessage { try Self.checked("stats", await call("stats")) }

    /// `list-sas`: each IKE_SA is handed to `onEvent` as a `list-sa` event.
    public func listSAs(_ filter: VICIMessage = VICIMessage(), onEvent: (VICIMessage) throws -> Void) async throws(VICIError) {
        _ = try Self.checked("list-sas", await stream("list-sas", event: "list-sa", filter, onEvent: onEvent))
    }

    /// `list-conns`: each connection is handed to `onEvent` as a `list-conn` event.
    public func listConns(_ filter: VICIMessage = VICIMessage(), onEvent: (VICIMessage) throws -> Void) async throws(VICIError) {
        _ = try Self.checked("list-conns", await stream("list-conns", event: "list-conn", filter, onEvent: onEvent))
    }

    /// `list-certs`: each certificate is handed to `onEvent` as a `list-cert` event.
    public func listCerts(_ filter: VICIMessage = VICIMessage(), onEvent: (VICIMessage) throws -> Void) async throws(VICIError) {
        _ = try Self.checked("list-certs", await stream("list-certs", event: "list-cert", filter, onEvent: onEvent))
    }

    /// `get-pools` (with `leases = yes` when `leases` is true).
    public func getPools(leases: Bool = false) async throws(VICIError) -> VICIMessage {
        var message = VICIMessage()
        if leases { message["leases"] = .value("yes") }
        return try Self.checked("get-pools", await call("get-pools", message))
    }

    /// `get-counters`: global counters, one connection's (`name`) or all connections' (`all`).
    public func getCounters(name: String? = nil, all: Bool = false) async throws(VICIError) -> VICIMessage {
        var message = VICIMessage()
        if let name { message["name"] = .value(name) }
        if all { message["all"] = .value("yes") }
        return try Self.checked("get-counters", await call("get-counters", message))
    }

    /// `reset-counters`: global counters, one connection's (`name`) or all (`all`).
    public func resetCounters(name: String? = nil, all: Bool = false) async throws(VICIError) {
        var message = VICIMessage()
        if let name { message["name"] = .value(name) }
        if all { message["all"] = .value("yes") }
        _ = try Self.checked("reset-counters", await call("reset-counters", message))
    }

    /// Throws ``VICIError/Code/commandFailed`` when `response` says `success = no`.
    public static func checked(_ command: String, _ response: VICIMessage) throws(VICIError) -> VICIMessage {
        if response.bool("success") == false {
            throw VICIError(.commandFailed, "\(command): \(response.string("errmsg") ?? "failed without a message")")
        }
        return response
    }
}
