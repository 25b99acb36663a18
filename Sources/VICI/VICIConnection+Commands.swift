import NIOCore

/// Typed wrappers for the commands the exporter uses. They return the raw ``VICIMessage`` (the collectors do
/// their own mapping) except where a tiny typed value is obviously useful. Every other command is available
/// through ``VICIConnection/call(_:_:timeout:checkSuccess:)`` and ``VICIConnection/stream(_:_:timeout:)``.
extension VICIConnection {
    /// `version`: daemon and system version information.
    public func version(timeout: TimeAmount? = nil) async throws(VICIError) -> VICIVersion {
        try VICIVersion(try await call("version", timeout: timeout))
    }

    /// `stats`: daemon statistics (uptime, workers, queues, IKE_SA counts, plugins, mallinfo).
    public func stats(timeout: TimeAmount? = nil) async throws(VICIError) -> VICIMessage {
        try await call("stats", timeout: timeout)
    }

    /// `get-pools`: the virtual IP pools loaded over VICI. Pass `leases = yes` in `request` to include
    /// leases, `name` to select one pool.
    public func getPools(_ request: VICIMessage = VICIMessage(), timeout: TimeAmount? = nil) async throws(VICIError) -> VICIMessage {
        try await call("get-pools", request, timeout: timeout)
    }

    /// `get-counters`: IKE event counters; global ones by default (in a section named `""` inside
    /// `counters`), `name` for one connection, `all = yes` for all connections. `success = no` fails with
    /// ``VICIError/Code/commandFailed`` (e.g. the counters plugin is not loaded).
    public func getCounters(_ request: VICIMessage = VICIMessage(), timeout: TimeAmount? = nil) async throws(VICIError) -> VICIMessage {
        try await call("get-counters", request, timeout: timeout)
    }

    /// `reset-counters`: resets global counters, those of `name`, or all (`all = yes`).
    public func resetCounters(_ request: VICIMessage = VICIMessage(), timeout: TimeAmount? = nil) async throws(VICIError) {
        _ = try await call("reset-counters", request, timeout: timeout)
    }

    /// `list-sas`: one `list-sa` event per IKE_SA, streamed. Filters: `ike`, `ike-id`, `noblock` (any value
    /// enables non-blocking mode).
    public func listSAs(_ request: VICIMessage = VICIMessage(), timeout: TimeAmount? = nil) -> VICICommandEvents {
        stream(.listSAs, request, timeout: timeout)
    }

    /// `list-conns`: one `list-conn` event per loaded connection, streamed. Filter: `ike`.
    public func listConns(_ request: VICIMessage = VICIMessage(), timeout: TimeAmount? = nil) -> VICICommandEvents {
        stream(.listConns, request, timeout: timeout)
    }

    /// `list-certs`: one `list-cert` event per certificate (`data` is DER), streamed. Filters: `type`,
    /// `flag`, `subject`.
    public func listCerts(_ request: VICIMessage = VICIMessage(), timeout: TimeAmount? = nil) -> VICICommandEvents {
        stream(.listCerts, request, timeout: timeout)
    }

    /// `list-policies`: one `list-policy` event per policy, streamed. Set `trap`, `drop` and/or `pass` in
    /// `request`, otherwise nothing is listed.
    public func listPolicies(_ request: VICIMessage = VICIMessage(), timeout: TimeAmount? = nil) -> VICICommandEvents {
        stream(.listPolicies, request, timeout: timeout)
    }

    /// Any streamed command given by name: registers `event`, sends `command`, streams the events.
    public func stream(_ command: String, event: String, _ message: VICIMessage = VICIMessage(),
                       timeout: TimeAmount? = nil) -> VICICommandEvents {
        stream(VICIStreamedCommand(command: command, event: event), message, timeout: timeout)
    }
}
