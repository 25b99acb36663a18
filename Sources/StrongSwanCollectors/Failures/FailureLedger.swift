import ErrorNotify
import PrometheusExposition

/// The failures and notices charon reported on its error-notify socket while the exporter ran, counted by
/// reason and by connection, and the families that show them.
///
/// Cardinality stays bounded by configuration: reasons and notices are closed vocabularies, connections are
/// the configured ones plus at most ``maxUnconfiguredConnections`` names charon reported that the
/// configuration does not list (a connection from another backend, or one unloaded since); failures naming
/// further connections are counted charon-wide only. No label carries a peer identity or address.
public struct FailureLedger: Sendable {
    /// The most connection names outside the configuration that get per-connection series.
    public static let maxUnconfiguredConnections = 1_024

    /// Failures of one connection.
    struct ConnectionFailures: Sendable {
        var total: UInt64 = 0
        var byReason: [FailureReason: UInt64] = [:]
        /// Reasons in the order first seen (rendering order).
        var reasonOrder: [FailureReason] = []
        var last: (reason: FailureReason, timestamp: Double)?
    }

    private var byReason = [UInt64](repeating: 0, count: FailureReason.allCases.count)
    private var notices = [UInt64](repeating: 0, count: IKENotice.allCases.count)
    private var configured: [String] = []
    private var configuredSet: Set<String> = []
    private var connections: [String: ConnectionFailures] = [:]
    /// Connections with failures, in the order first seen.
    private var failedOrder: [String] = []
    private var unconfiguredTracked = 0

    /// Creates an empty ledger.
    public init() {}

    /// Sets the configured connections (`list-conns`, in charon's order): each gets its failure counter from
    /// 0, so that `increase()` sees its very first failure.
    public mutating func configure(connections names: [String]) {
        configured = []
        configuredSet = []
        for name in names where configuredSet.insert(name).inserted { configured.append(name) }
        unconfiguredTracked = failedOrder.reduce(0) { $0 + (configuredSet.contains($1) ? 0 : 1) }
    }

    /// Whether `connection` is one of the configured connections.
    public func isConfigured(_ connection: String) -> Bool { configuredSet.contains(connection) }

    /// What ``record(_:at:)`` did with a record.
    public enum Outcome: Sendable, Equatable {
        /// Counted (charon-wide, and for its connection when it names one).
        case counted
        /// Counted charon-wide only: it names a connection beyond the bound of unconfigured names.
        case countedWithoutConnection
        /// A notice, counted.
        case notice
    }

    /// Counts one record received at unix time `now`.
    @discardableResult
    public mutating func record(_ record: ErrorNotifyRecord, at now: Double) -> Outcome {
        switch record.alert {
        case .notice(let notice):
            notices[notice.index] &+= 1
            return .notice
        case .failure(let reason):
            byReason[reason.index] &+= 1
            let name = record.connection
            guard !name.isEmpty else { return .counted }
            if connections[name] == nil {
                if !configuredSet.contains(name) {
                    guard unconfiguredTracked < Self.maxUnconfiguredConnections else { return .countedWithoutConnection }
                    unconfiguredTracked += 1
                }
                connections[name] = ConnectionFailures()
                failedOrder.append(name)
            }
            connections[name]?.count(reason, at: now)
            return .counted
        }
    }

    /// Failures counted for `reason`, charon-wide.
    public func failures(_ reason: FailureReason) -> UInt64 { byReason[reason.index] }

    /// Failures counted for `connection`, by reason (empty if none).
    public func failures(of connection: String) -> [FailureReason: UInt64] { connections[connection]?.byReason ?? [:] }

    /// Notices counted of one kind.
    public func notices(_ notice: IKENotice) -> UInt64 { notices[notice.index] }

    /// Renders the failure and notice families.
    public func render(into metrics: inout MetricSet) {
        var total = family(
            "strongswan_failures_total",
            "Failures charon reported on its error-notify socket while the exporter ran, by reason (every reason listed from 0; those naming no connection included).",
            .counter, ["reason"])
        for reason in FailureReason.allCases { total.add(Double(byReason[reason.index]), [reason.rawValue]) }
        var perConnection = family(
            "strongswan_connection_failures_total",
            "Failures charon reported for the connection while the exporter ran, all reasons (every configured connection listed from 0).",
            .counter, ["conn"])
        var perReason = family(
            "strongswan_connection_failures_by_reason_total",
            "Failures charon reported for the connection while the exporter ran, by reason (a series appears at the connection's first failure of that reason).",
            .counter, ["conn", "reason"])
        var last = family(
            "strongswan_connection_last_failure_timestamp_seconds",
            "Unix time of the connection's latest failure reported by charon; reason is that failure's (one series per connection that failed).",
            .gauge, ["conn", "reason"])
        let unconfigured = failedOrder.filter { !configuredSet.contains($0) }
        for name in configured + unconfigured {
            let failures = connections[name]
            perConnection.add(Double(failures?.total ?? 0), [name])
            guard let failures else { continue }
            let labels = LabelValuePrefix([name])
            for reason in failures.reasonOrder {
                perReason.add(Double(failures.byReason[reason] ?? 0), labels, reason.rawValue)
            }
            if let latest = failures.last { last.add(latest.timestamp, labels, latest.reason.rawValue) }
        }
        var noticeFamily = family(
            "strongswan_ike_notices_total",
            "Notices charon reported on its error-notify socket while the exporter ran: IKE retransmissions sent, answered after retransmission, received; narrowed traffic selectors.",
            .counter, ["notice"])
        for notice in IKENotice.allCases { noticeFamily.add(Double(notices[notice.index]), [notice.rawValue]) }
        for family in [total, perConnection, perReason, last, noticeFamily] { metrics.addNonEmpty(family) }
    }
}

extension FailureLedger.ConnectionFailures {
    mutating func count(_ reason: FailureReason, at now: Double) {
        total &+= 1
        if let count = byReason[reason] {
            byReason[reason] = count &+ 1
        } else {
            byReason[reason] = 1
            reasonOrder.append(reason)
        }
        last = (reason, now)
    }
}
