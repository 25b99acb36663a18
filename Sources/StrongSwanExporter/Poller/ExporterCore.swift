import ErrorNotify
import Logging
import PrometheusExposition
import StrongSwanCollectors
import VICI

/// The exporter's mirrored view of charon and everything it renders: the collected models, collector
/// statuses, event-driven tunnel history and the exporter's own poll metrics. Each change re-renders the
/// exposition once and publishes it to the ``SnapshotStore``; scrapes never touch this actor.
public actor ExporterCore {
    let configuration: PollerConfiguration
    let store: SnapshotStore
    let logger: Logger
    let wallClock: @Sendable () -> Double

    private(set) var state = CharonState()
    private(set) var up = false
    private(set) var statuses: [String: CollectorStatus] = [:]
    private(set) var lastPollTimestamp: Double?
    private(set) var lastPollDuration: Double?
    private(set) var pollsSucceeded: UInt64 = 0
    private(set) var pollsFailed: UInt64 = 0
    private(set) var reconnects: UInt64 = 0
    private(set) var eventsReceived: [String: UInt64] = [:]
    private(set) var droppedDuplicates = 0
    /// Whether the current outage (failed polls since the last successful one) has been logged.
    private var outageLogged = false
    /// Collectors whose failure has been logged and whose recovery has not.
    private var loggedCollectorFailures: Set<String> = []
    /// Event-driven tunnel history (transitions, rekeys, traffic that survives rekeys).
    private(set) var ledger = TunnelLedger()
    /// Events applied while a poll is running: its `list-sas` snapshot may predate them, so they are applied
    /// again to the polled list. Bounded; on overflow the next poll is relied on instead.
    private var eventsDuringPoll: [(name: String, message: VICIMessage)]?
    static let maxEventsDuringPoll = 1_000
    /// The configuration collectors' families, rendered again only when their model changes.
    private var renderCache = RenderCache()
    /// Set when an event named a connection or tunnel the configuration models do not know: the next poll
    /// runs the configuration collectors.
    private var configurationRequested = false
    /// Whether charon's error-notify socket is followed (`--error-notify`): then the failure families and
    /// `strongswan_error_notify_up` are rendered.
    let followsFailures: Bool
    /// Failures and notices from charon's error-notify socket.
    private(set) var failures = FailureLedger()
    /// Whether the error-notify socket is connected.
    private(set) var errorNotifyUp = false
    /// Whether the bound of connection names outside the configuration has been logged.
    private var failureNamesBoundLogged = false

    /// Creates the core. `wallClock` returns unix time in seconds (injectable for tests). `followsFailures`:
    /// an ``ErrorNotifyFollower`` feeds this core (the failure families are rendered).
    public init(configuration: PollerConfiguration, store: SnapshotStore, logger: Logger,
                followsFailures: Bool = false,
                wallClock: @escaping @Sendable () -> Double = { UnixTime.now() }) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        self.followsFailures = followsFailures
        self.wallClock = wallClock
    }

    /// Marks the start of a poll (events from now on are re-applied to its SA list).
    public func pollStarted() {
        eventsDuringPoll = []
    }

    /// Records a completed poll that reached charon: the collectors that succeeded replace their models; the
    /// failed ones keep their previous model and are marked failed.
    public func pollSucceeded(results: CharonState, statuses: [String: CollectorStatus], duration: Double) {
        let now = wallClock()
        for (name, status) in statuses {
            var status = status
            if status.success { status.lastSuccess = now } else { status.lastSuccess = self.statuses[name]?.lastSuccess }
            // One line when a collector starts failing while charon answers, one when it recovers; a poll that
            // could not reach charon (`pollFailed`) is reported by its own line and logs nothing per collector.
            if !status.success, !loggedCollectorFailures.contains(name) {
                logger.warning("collector failed", metadata: ["collector": "\(name)", "error": "\(status.lastError ?? "")"])
                loggedCollectorFailures.insert(name)
            } else if status.success, loggedCollectorFailures.remove(name) != nil {
                logger.info("collector recovered", metadata: ["collector": "\(name)"])
            }
            self.statuses[name] = status
        }
        let succeeded = Set(statuses.filter { $0.value.success }.map { $0.key })
        if let sas = results.sas?.full { ledger.observe(poll: sas, at: now) }
        CollectorCatalogue.adopt(results, succeeded: succeeded, context: renderContext(now: now), into: &state)
        if results.sas != nil {
            // The poll's list may predate the events that arrived while it ran: apply them again.
            for event in eventsDuringPoll ?? [] { state.patchSAs(event: event.name, message: event.message) }
        }
        eventsDuringPoll = nil
        if let conns = results.conns {
            ledger.configure(conns)
            failures.configure(connections: conns.map(\.name))
        }
        if !up { logger.info("charon reachable", metadata: ["version": "\(state.version?.version ?? "?")"]) }
        up = true
        outageLogged = false
        pollsSucceeded &+= 1
        lastPollTimestamp = now
        lastPollDuration = duration
        publish()
    }

    /// Records a poll that could not reach charon (or lost it mid-poll): `strongswan_up` turns 0 and charon's
    /// series are withheld until it is back; exporter-lifetime counters stay.
    public func pollFailed(error: String, statuses: [String: CollectorStatus], duration: Double) {
        eventsDuringPoll = nil
        // Once per outage, including one that starts with the exporter (charon not there, or talking nonsense,
        // from the first poll on): later failed polls of the same outage log nothing.
        if !outageLogged {
            logger.error("charon unreachable", metadata: ["error": "\(error)"])
            outageLogged = true
        }
        up = false
        state = CharonState()
        ledger.daemonLost(at: wallClock())
        for (name, status) in statuses {
            var status = status
            status.lastSuccess = self.statuses[name]?.lastSuccess
            self.statuses[name] = status
        }
        pollsFailed &+= 1
        lastPollTimestamp = wallClock()
        lastPollDuration = duration
        publish()
    }

    /// Whether the configuration collectors should run on this poll because something showed their models
    /// out of date: an event since the last call (the request is cleared), or this poll's fresh models (e.g.
    /// an SA of a connection `list-conns` did not list).
    public func configurationOutdated(by fresh: CharonState) -> Bool {
        defer { configurationRequested = false }
        return configurationRequested
            || CollectorCatalogue.configurationOutdated(state, enabled: configuration.enabledCollectors, by: fresh)
    }

    /// Counts a (re)connection to charon after the first.
    public func noteReconnect() { reconnects &+= 1 }

    /// Applies one VICI event (ike-updown, child-updown, child-rekey, ike-rekey, ike-update) to the cached
    /// model at once, logs it, and re-renders (at most once per ``eventPublishSpacing``).
    public func apply(event name: String, message: VICIMessage) {
        eventsReceived[name, default: 0] &+= 1
        let now = wallClock()
        let changes = ledger.apply(event: name, message: message, at: now)
        for change in changes {
            logger.info("\(change.summary)", metadata: change.metadata.mapValues { .string($0) })
        }
        if up {
            state.patchSAs(event: name, message: message)
            if !configurationRequested,
               CollectorCatalogue.configurationOutdated(state, enabled: configuration.enabledCollectors, byEvent: name,
                                                        message: message) {
                configurationRequested = true
            }
        }
        if let count = eventsDuringPoll?.count {
            if count < ExporterCore.maxEventsDuringPoll {
                eventsDuringPoll?.append((name, message))
            } else {
                eventsDuringPoll = nil
            }
        }
        publishSoon()
    }

    /// Notes whether the error-notify socket is connected (`strongswan_error_notify_up`).
    public func errorNotify(connected: Bool) {
        guard connected != errorNotifyUp else { return }
        errorNotifyUp = connected
        publishSoon()
    }

    /// Counts records from charon's error-notify socket, logs one line per failure (with the peer's identity
    /// and address, which no label carries), and re-renders (at most once per ``eventPublishSpacing``).
    public func record(errorNotify records: [ErrorNotifyRecord]) {
        guard !records.isEmpty else { return }
        let now = wallClock()
        for record in records {
            let outcome = failures.record(record, at: now)
            switch record.alert {
            case .failure(let reason):
                logger.warning("charon reported a failure", metadata: [
                    "conn": "\(record.connection)", "reason": "\(reason.rawValue)", "peer_id": "\(record.peerIdentity)",
                    "peer_address": "\(record.peerAddress)", "type": "\(record.type)", "message": "\(record.message)",
                ])
            case .notice(let notice):
                logger.debug("charon reported a notice", metadata: [
                    "conn": "\(record.connection)", "notice": "\(notice.rawValue)", "peer_id": "\(record.peerIdentity)",
                    "peer_address": "\(record.peerAddress)", "message": "\(record.message)",
                ])
            }
            if outcome == .countedWithoutConnection, !failureNamesBoundLogged {
                failureNamesBoundLogged = true
                logger.warning("error-notify names more connections than are configured plus the bound; further ones are counted in strongswan_failures_total only", metadata: [
                    "bound": "\(FailureLedger.maxUnconfiguredConnections)", "conn": "\(record.connection)",
                ])
            }
            // A connection the configuration models lack (loaded since): the next poll refreshes them.
            if up, outcome == .counted, !record.connection.isEmpty, !configurationRequested,
               state.conns != nil, !failures.isConfigured(record.connection) {
                configurationRequested = true
            }
        }
        publishSoon()
    }

    /// Shortest time between two renderings caused by events: a burst of events is rendered once per spacing
    /// instead of once per event (each rendering re-encodes and re-compresses the whole exposition).
    static let eventPublishSpacing: Duration = .milliseconds(50)
    private var lastPublish: ContinuousClock.Instant?
    private var publishPending = false

    /// Publishes now if nothing was published within ``eventPublishSpacing``, else once that spacing is over
    /// (every change applied meanwhile is in that one rendering).
    private func publishSoon() {
        let now = ContinuousClock.now
        guard let last = lastPublish, now - last < ExporterCore.eventPublishSpacing else {
            publish()
            return
        }
        guard !publishPending else { return }
        publishPending = true
        let delay = ExporterCore.eventPublishSpacing - (now - last)
        Task {
            try? await Task.sleep(for: delay)
            self.publishIfPending()
        }
    }

    private func publishIfPending() {
        if publishPending { publish() }
    }

    /// The context collectors retain and render models with.
    private func renderContext(now: Double) -> RenderContext {
        RenderContext(now: now, perSA: configuration.perSA, perConnectionCounters: configuration.perConnectionCounters)
    }

    /// The one-line summary systemd shows in `STATUS=`.
    public func statusLine() -> String {
        guard up else { return "charon unreachable" }
        let ikeSAs = state.stats?.ikeSAsTotal.map(String.init) ?? state.sas.map { String($0.count) } ?? "?"
        let tunnels = state.sas?.tunnelCounts(in: ledger) ?? ledger.tunnelCounts(sas: [SASummary]())
        let ms = (lastPollDuration ?? 0) * 1000
        let rounded = Double(Int(ms * 10)) / 10
        return "charon \(state.version?.version ?? "?") up, \(ikeSAs) IKE_SAs, \(tunnels.up)/\(tunnels.configured) tunnels up, poll \(rounded) ms"
    }

    /// Renders everything into a new snapshot and publishes it, then trims the heap if the rendering was
    /// large. (After a poll the ``Poller`` trims once the poll's results are released too.)
    func publish() {
        lastPublish = ContinuousClock.now
        publishPending = false
        let size = renderAndPublish()
        // The metric set and the previous snapshot are released by now.
        HeapTrimmer.trim(afterRendering: size)
    }

    /// Renders and publishes a snapshot; returns its size in bytes.
    private func renderAndPublish() -> Int {
        let now = wallClock()
        var metrics = MetricSet()
        var upFamily = MetricFamily.declared("strongswan_up", "1 if the last poll reached charon over VICI, else 0.", .gauge)
        upFamily?.add(up ? 1 : 0)
        if let upFamily { metrics.add(upFamily) }
        if up {
            CollectorCatalogue.render(
                state, enabled: configuration.enabledCollectors, context: renderContext(now: lastPollTimestamp ?? now),
                cache: &renderCache, into: &metrics)
        }
        ledger.render(perConnectionEvents: configuration.perConnectionCounters, into: &metrics)
        if followsFailures {
            var notifyUp = MetricFamily.declared(
                "strongswan_error_notify_up", "1 while the exporter is connected to charon's error-notify socket, else 0.",
                .gauge)
            notifyUp?.add(errorNotifyUp ? 1 : 0)
            if let notifyUp { metrics.add(notifyUp) }
            failures.render(into: &metrics)
        }
        // Counted before the self-metrics render it, so every rendering (and `dump`'s only one) reports its
        // own drops, not the previous rendering's.
        droppedDuplicates = metrics.droppedSampleCount
        renderSelfMetrics(into: &metrics)
        // The text stays resident only while scrapes without gzip read it (see IdentityText).
        let snapshot = Snapshot(rendering: metrics, renderedAt: now,
                                keepingIdentity: store.snapshot?.identityWasRead ?? false)
        store.publish(snapshot)
        return snapshot.byteCount
    }

    private func renderSelfMetrics(into metrics: inout MetricSet) {
        func gauge(_ name: String, _ help: String, _ labels: [String] = []) -> MetricFamily? {
            .declared(name, help, .gauge, labels)
        }
        func counter(_ name: String, _ help: String, _ labels: [String] = []) -> MetricFamily? {
            .declared(name, help, .counter, labels)
        }
        var build = gauge("strongswan_exporter_build_info", "The exporter's version (always 1).", ["version"])
        build?.add(1, [ExporterVersion.current])
        var success = gauge(
            "strongswan_exporter_collector_success", "1 if the collector succeeded in the latest poll.", ["collector"])
        var duration = gauge(
            "strongswan_exporter_collector_duration_seconds", "How long the collector took in the latest poll.",
            ["collector"])
        var lastSuccess = gauge(
            "strongswan_exporter_collector_last_success_timestamp_seconds",
            "Unix time of the collector's latest success: the age of the data it contributes.", ["collector"])
        for name in CollectorCatalogue.names where configuration.enabledCollectors.contains(name) {
            let status = statuses[name]
            success?.add(status?.success == true && up ? 1 : 0, [name])
            if let status {
                duration?.add(status.durationSeconds, [name])
                if let last = status.lastSuccess { lastSuccess?.add(last, [name]) }
            }
        }
        var lastPoll = gauge("strongswan_exporter_last_poll_timestamp_seconds", "Unix time at which the latest poll ended.")
        if let lastPollTimestamp { lastPoll?.add(lastPollTimestamp) }
        var pollDuration = gauge("strongswan_exporter_poll_duration_seconds", "Wall time of the latest poll.")
        if let lastPollDuration { pollDuration?.add(lastPollDuration) }
        var polls = counter("strongswan_exporter_polls_total", "Polls by result.", ["result"])
        polls?.add(Double(pollsSucceeded), ["success"])
        polls?.add(Double(pollsFailed), ["failure"])
        var reconnectFamily = counter(
            "strongswan_exporter_vici_reconnects_total", "Connections to charon's VICI socket after the first.")
        reconnectFamily?.add(Double(reconnects))
        var events = counter("strongswan_exporter_events_total", "VICI events received, by event name.", ["event"])
        for name in TunnelLedger.eventNames { events?.add(Double(eventsReceived[name] ?? 0), [name]) }
        var dropped = gauge(
            "strongswan_exporter_duplicate_series_dropped",
            "Series dropped from this rendering because an identical series was already present (should be 0).")
        dropped?.add(Double(droppedDuplicates))
        for family in [build, success, duration, lastSuccess, lastPoll, pollDuration, polls, reconnectFamily, events, dropped] {
            if let family, !family.isEmpty { metrics.add(family) }
        }
    }
}
