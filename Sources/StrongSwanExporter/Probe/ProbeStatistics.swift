import PrometheusExposition

/// The probe manager's counts, rendered into the exporter's own `/metrics`.
public struct ProbeStatistics: Sendable, Hashable {
    /// Targets being polled now.
    public var targets: Int
    /// Targets on the allow-list.
    public var allowedTargets: Int
    /// Probes by result: `success`, `failure` (served, charon not reached) and the ``ProbeRefusal`` raw values.
    public var requests: [String: UInt64]
    /// Targets released so far (idle, no longer allowed, shutdown).
    public var released: UInt64

    /// Creates statistics.
    public init(targets: Int, allowedTargets: Int, requests: [String: UInt64], released: UInt64) {
        self.targets = targets
        self.allowedTargets = allowedTargets
        self.requests = requests
        self.released = released
    }

    /// Every result label, in rendering order.
    public static let results = ["success", "failure"] + ProbeRefusal.allCases.map(\.rawValue)

    /// Adds `strongswan_exporter_probe_*` families to `metrics`.
    public func render(into metrics: inout MetricSet) {
        if var family = MetricFamily.declared("strongswan_exporter_probe_targets", "Probe targets being polled now.", .gauge)
        {
            family.add(Double(targets))
            metrics.add(family)
        }
        if var family = MetricFamily.declared("strongswan_exporter_probe_allowed_targets", "Targets on the probe allow-list.", .gauge)
        {
            family.add(Double(allowedTargets))
            metrics.add(family)
        }
        if var family = MetricFamily.declared("strongswan_exporter_probe_requests_total", "Probes by result: success, failure (charon not reached) or why the probe was refused.", .counter, ["result"])
        {
            for result in Self.results { family.add(Double(requests[result] ?? 0), [result]) }
            metrics.add(family)
        }
        if var family = MetricFamily.declared("strongswan_exporter_probe_targets_released_total", "Probe targets whose pollers were stopped (idle, no longer allowed, shutdown).", .counter)
        {
            family.add(Double(released))
            metrics.add(family)
        }
    }
}
