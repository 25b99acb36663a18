import PrometheusExposition
import VICI

/// A change worth one log line (tunnel up/down, rekey).
public struct TunnelChange: Sendable, Hashable {
    /// A human-readable summary, e.g. `tunnel down`.
    public var summary: String
    /// Structured fields: `conn`, `child`, `remote_host`, `remote_id`, `ike_id`, `child_id`, and where they
    /// apply `old_ike_id`, `old_child_id`, `old_remote_host`, `old_remote_port`, `remote_port` and the
    /// final counts of an ended CHILD_SA (`bytes_in`, `bytes_out`, `packets_in`, `packets_out`).
    public var metadata: [String: String]

    /// Creates a change record.
    public init(summary: String, metadata: [String: String]) {
        self.summary = summary
        self.metadata = metadata
    }
}

/// Event-driven tunnel history: transitions, rekeys, IKE_SA events and traffic per tunnel that survives
/// rekeys, restarts of CHILD_SAs and of charon. Pure logic: the exporter feeds it polls and events.
///
/// ## Tunnels
/// A tunnel is a CHILD_SA configuration of a connection, `(conn, child)`. It is *up* while at least one of
/// its CHILD_SAs is in an up state (``SAStates/childUp``): it goes down when its last up CHILD_SA goes and
/// up when the first one comes. A rekey (a new CHILD_SA installed before the old one goes) is therefore no
/// transition.
///
/// ## Traffic
/// Every CHILD_SA the ledger hears of, from a poll or an event, gets a record keyed by its `uniqueid` that
/// remembers the counts already added to its tunnel's totals. A newer sighting adds only what grew, so an
/// SA reported by an event and again by a poll (e.g. the old SA still listed as `DELETED` after its
/// `child-rekey`) counts once, whatever the order. Ended SAs contribute their final counts (from the `old`
/// section of `child-rekey`, from `child-updown` down, or their last polled counts when they vanished without
/// an event); their records (tombstones) stay until no poll can list them any more, then are dropped
/// without changing the totals. Totals therefore never decrease while the exporter runs.
///
/// ## Identity
/// charon numbers SAs afresh after a restart (uniqueids start at 1 again). A record only matches a
/// sighting with the same tunnel and, where both are known, the same SPIs; a mismatch means a different
/// SA: the old record ends and a new one starts.
///
/// ## Races between polls and events
/// A `list-sas` snapshot can be older than an event already applied. Ended records are never revived by a
/// poll. A live record missing from a poll is ended only if no event touched it after the previous poll
/// completed (before that, the snapshot might predate the event that created it).
///
/// ## Losing charon
/// ``daemonLost(at:)`` suspends the live records (their counts stay in the totals; a tunnel with a
/// suspended SA still counts as up). The next poll revives those it lists unchanged (same SPIs: charon was
/// only unreachable) and ends the others as of the loss, so a restart reads as a down at the loss and an up
/// when the new SA is seen. An event that reuses a suspended SA's uniqueid with other SPIs proves the
/// restart earlier: all suspended records end as of the loss at once.
///
/// ## Time
/// The first poll after creation is a baseline: the tunnels' states it finds are no transitions (and the
/// last change stays unknown until one is seen). Events are always transitions. Times are the `at`
/// arguments: the exporter's wall clock when the poll ended or the event arrived.
///
/// ## Bounds
/// Live records are bounded by charon's SAs (a poll ends what charon no longer lists). Ended records are
/// dropped once a poll that started after their end no longer lists them, after
/// ``Limits/endedRetention`` in any case, and beyond ``Limits/maxEndedSAs`` oldest first. Tunnels and
/// connections that are neither configured nor active are forgotten after ``Limits/idleRetention``.
public struct TunnelLedger: Sendable {
    /// The VICI events the exporter follows.
    public static let eventNames = ["ike-updown", "child-updown", "ike-rekey", "child-rekey", "ike-update"]

    /// Memory bounds of the ledger.
    public struct Limits: Sendable, Hashable {
        /// At most this many ended CHILD_SAs are remembered (oldest dropped first).
        public var maxEndedSAs: Int
        /// Seconds after which an ended CHILD_SA that no poll lists any more is forgotten even if no poll
        /// confirmed its absence.
        public var endedRetention: Double
        /// Seconds after which an unconfigured tunnel or connection without SAs and without activity is
        /// forgotten (its series disappear).
        public var idleRetention: Double

        /// Creates limits. With the defaults, ended CHILD_SAs take at most roughly 10 MB (some 200 bytes each),
        /// however long the exporter runs; normally polls keep only those of the last two polls.
        public init(maxEndedSAs: Int = 50_000, endedRetention: Double = 600, idleRetention: Double = 86_400) {
            self.maxEndedSAs = maxEndedSAs
            self.endedRetention = endedRetention
            self.idleRetention = idleRetention
        }
    }

    struct TunnelKey: Hashable, Sendable {
        var conn: String
        var child: String
    }

    struct TunnelStats: Sendable {
        var traffic = TrafficCounts()
        var wentUp: UInt64 = 0
        var wentDown: UInt64 = 0
        var rekeys: UInt64 = 0
        var lastChange: Double?
        /// Records of this tunnel that count as up.
        var upSAs = 0
        /// Records (of any status) of this tunnel.
        var records = 0
        var lastActivity: Double?

        var isPristine: Bool { traffic.isZero && wentUp == 0 && wentDown == 0 && rekeys == 0 && lastChange == nil }
    }

    enum SAStatus: Sendable {
        /// Reported by charon (or by an event) and not ended.
        case live
        /// Live when charon was lost; awaiting the next poll.
        case suspended
        /// Gone; kept to deduplicate later sightings.
        case ended
    }

    struct SARecord: Sendable {
        var tunnel: TunnelKey
        var spiIn: String
        var spiOut: String
        /// The counts already added to the tunnel's totals.
        var traffic: TrafficCounts
        var status: SAStatus
        /// Whether the SA's last known state is an up state.
        var upState: Bool
        var eventAt: Double?
        var seenAt: Double?
        var endedAt: Double?

        var countsAsUp: Bool { status != .ended && upState }
        var lastTouched: Double { max(endedAt ?? -.infinity, seenAt ?? -.infinity, eventAt ?? -.infinity) }
    }

    struct IKEEventCounts: Sendable {
        var up: UInt64 = 0
        var down: UInt64 = 0
        var rekey: UInt64 = 0
        var update: UInt64 = 0
        var lastActivity: Double?
    }

    enum IKEEventKind { case up, down, rekey, update }

    /// The name charon gives an IKE_SA before it has a config (a responder before IKE_AUTH).
    static let unnamed = "(unnamed)"
    /// CHILD_SA states in which charon sends traffic counters.
    static let statsStates: Set<String> = ["INSTALLED", "REKEYING", "REKEYED", "DELETING", "DELETED"]
    /// CHILD_SA states of an SA on its way out.
    static let endingStates: Set<String> = ["DELETING", "DELETED", "DESTROYING"]

    /// The memory bounds in force.
    public let limits: Limits

    private var configuredTunnels: [TunnelKey] = []
    private var configuredTunnelSet: Set<TunnelKey> = []
    private var configuredConns: [String] = []
    private var configuredConnSet: Set<String> = []
    private(set) var tunnels: [TunnelKey: TunnelStats] = [:]
    private var tunnelOrder: [TunnelKey] = []
    private(set) var ikeEvents: [String: IKEEventCounts] = [:]
    private var connOrder: [String] = []
    private(set) var records = DenseStringMap<SARecord>()
    private(set) var endedCount = 0
    private var previousPollAt: Double?
    private var baselined = false
    private var lostAt: Double?
    private var lastSweepAt: Double?

    /// Creates an empty ledger with the default ``Limits``.
    public init() { self.limits = Limits() }

    /// Creates an empty ledger with the given memory bounds.
    public init(limits: Limits) { self.limits = limits }

    /// How many CHILD_SAs the ledger currently remembers (live, suspended and ended).
    public var trackedSACount: Int { records.count }

    /// How many of the remembered CHILD_SAs have ended.
    public var endedSACount: Int { endedCount }

    // MARK: - Configuration

    /// Records the configured tunnels from `list-conns`: they are rendered even before anything happened
    /// to them (counters at 0).
    public mutating func configure(_ conns: [ConnectionConfig]) {
        configuredTunnels = []
        configuredTunnelSet = []
        configuredConns = []
        configuredConnSet = []
        for conn in conns {
            if configuredConnSet.insert(conn.name).inserted { configuredConns.append(conn.name) }
            ensureConn(conn.name)
            for child in conn.children {
                let key = TunnelKey(conn: conn.name, child: child.name)
                if configuredTunnelSet.insert(key).inserted { configuredTunnels.append(key) }
                ensureTunnel(key)
            }
        }
    }

    // MARK: - Polls

    /// Records a complete poll of `list-sas` that ended at `now`.
    public mutating func observe(poll sas: [IKESA], at now: Double) {
        let previous = previousPollAt
        // Where each listed CHILD_SA is (IKE_SA index, CHILD_SA index): positions, not copies of the models.
        var listed: [String: (ike: Int, child: Int)] = [:]
        listed.reserveCapacity(sas.reduce(0) { $0 + $1.childSAs.count })
        for (i, ike) in sas.enumerated() {
            for (j, child) in ike.childSAs.enumerated() where !child.uniqueID.isEmpty {
                listed[child.uniqueID] = (i, j)
            }
        }

        // Phase 1: settle what was live when charon was lost, as of the loss.
        let suspended = records.filter { $0.value.status == .suspended }.map(\.key)
        if !suspended.isEmpty || lostAt != nil {
            let lossTime = lostAt ?? now
            var batch = Batch()
            for uid in suspended {
                guard let record = records[uid] else { continue }
                let sighting = listed[uid].map { (ike: sas[$0.ike], child: sas[$0.ike].childSAs[$0.child]) }
                if let sighting, Self.sameSA(record, TunnelKey(conn: sighting.ike.name, child: sighting.child.name), sighting.child) {
                    update(uid, at: now, batch: &batch) { $0.status = .live }
                } else {
                    end(uid, at: lossTime, batch: &batch)
                }
            }
            commit(batch, at: lossTime, counting: baselined)
            lostAt = nil
        }

        // Phase 2: the poll's view; only the net change of each tunnel is a transition.
        var batch = Batch()
        for ike in sas {
            for child in ike.childSAs where !child.uniqueID.isEmpty {
                sight(child, of: TunnelKey(conn: ike.name, child: child.name), viaEvent: false, ends: false, at: now,
                      batch: &batch)
            }
        }
        for (uid, record) in records where listed[uid] == nil {
            switch record.status {
            case .live, .suspended:
                // Created or confirmed by an event after the previous poll ended: this poll's snapshot may
                // predate it.
                if let eventAt = record.eventAt, previous.map({ eventAt >= $0 }) ?? true { continue }
                end(uid, at: now, batch: &batch)
            case .ended:
                // Absent from a poll that started after the previous one ended, which was after the SA was
                // last reported: charon has forgotten it (uniqueids are not reused while it runs).
                if let previous, record.lastTouched < previous { forget(uid) }
            }
        }
        commit(batch, at: now, counting: baselined)
        baselined = true
        previousPollAt = now
        sweep(at: now)
    }

    /// Records that charon went away (a poll could not reach it): live CHILD_SAs are suspended until the
    /// next successful poll shows which of them still exist. Their counts stay in the totals.
    public mutating func daemonLost(at now: Double) {
        if lostAt == nil { lostAt = now }
        for (uid, record) in records where record.status == .live {
            records[uid]?.status = .suspended
        }
    }

    // MARK: - Events

    /// Applies one event received at `now`; returns the changes worth logging (one per up, down, rekey and
    /// per change of a named IKE_SA's endpoints).
    public mutating func apply(event name: String, message: VICIMessage, at now: Double) -> [TunnelChange] {
        var changes: [TunnelChange] = []
        for event in TunnelEvent.parse(name: name, message: message) {
            switch event {
            case .ikeUp(let ike):
                countIKE(ike.name, .up, at: now)
                changes.append(TunnelChange(summary: "IKE_SA up", metadata: Self.metadata(ike)))
            case .ikeDown(let ike):
                // The CHILD_SAs follow with their own child-updown events (and their final counts).
                countIKE(ike.name, .down, at: now)
                changes.append(TunnelChange(summary: "IKE_SA down", metadata: Self.metadata(ike)))
            case .childUp(let ike, let child):
                let key = TunnelKey(conn: ike.name, child: child.name)
                var batch = Batch()
                sightOrNote(child, of: key, ends: false, at: now, batch: &batch)
                let transitions = commit(batch, at: now, counting: true)
                changes.append(TunnelChange(summary: transitions[key] == true ? "tunnel up" : "CHILD_SA up",
                                            metadata: Self.metadata(ike, child)))
            case .childDown(let ike, let child):
                let key = TunnelKey(conn: ike.name, child: child.name)
                var batch = Batch()
                sightOrNote(child, of: key, ends: true, at: now, batch: &batch)
                let transitions = commit(batch, at: now, counting: true)
                var metadata = Self.metadata(ike, child)
                Self.addTraffic(of: child, to: &metadata)
                changes.append(TunnelChange(summary: transitions[key] == false ? "tunnel down" : "CHILD_SA down",
                                            metadata: metadata))
            case .childRekey(let ike, let old, let new):
                let key = TunnelKey(conn: ike.name, child: new.name.isEmpty ? old.name : new.name)
                var batch = Batch()
                // The new SA first: the tunnel never has zero up SAs in between.
                sightOrNote(new, of: TunnelKey(conn: ike.name, child: new.name), ends: false, at: now, batch: &batch)
                sightOrNote(old, of: TunnelKey(conn: ike.name, child: old.name), ends: true, at: now, batch: &batch)
                commit(batch, at: now, counting: true)
                ensureTunnel(key)
                tunnels[key]?.rekeys &+= 1
                tunnels[key]?.lastActivity = now
                var metadata = Self.metadata(ike, new)
                metadata["old_child_id"] = old.uniqueID
                Self.addTraffic(of: old, to: &metadata)
                changes.append(TunnelChange(summary: "CHILD_SA rekeyed", metadata: metadata))
            case .ikeRekey(let old, let new):
                countIKE(new.name.isEmpty ? old.name : new.name, .rekey, at: now)
                var metadata = Self.metadata(new)
                metadata["old_ike_id"] = old.uniqueID
                changes.append(TunnelChange(summary: "IKE_SA rekeyed", metadata: metadata))
            case .ikeUpdate(let ike, let endpoints):
                // Responders report their NAT port float before the IKE_SA has a config: not a connection's
                // event, and not worth a log line each.
                guard ike.name != Self.unnamed else { continue }
                countIKE(ike.name, .update, at: now)
                var metadata = Self.metadata(ike)
                metadata["old_remote_host"] = ike.remoteHost
                metadata["old_remote_port"] = ike.remotePort
                if !endpoints.remoteHost.isEmpty { metadata["remote_host"] = endpoints.remoteHost }
                if !endpoints.remotePort.isEmpty { metadata["remote_port"] = endpoints.remotePort }
                changes.append(TunnelChange(summary: "IKE_SA endpoints changed", metadata: metadata))
            }
        }
        if endedCount > limits.maxEndedSAs { trimEnded() }
        if let lastSweepAt, now - lastSweepAt < 60 { return changes }
        sweep(at: now)
        return changes
    }

    /// Applies one event to a polled SA list so that the next rendering reflects it without a poll:
    /// `child-updown` adds/replaces or removes the CHILD_SA (by uniqueid), `ike-updown` adds the IKE_SA or
    /// removes it with its CHILD_SAs, `child-rekey` replaces the old CHILD_SA by the new one, `ike-rekey`
    /// gives the IKE_SA its new identity keeping its CHILD_SAs, `ike-update` its new endpoints.
    public static func patch<Entry: SAListEntry>(_ sas: inout [Entry], event name: String, message: VICIMessage) {
        for event in TunnelEvent.parse(name: name, message: message) {
            SAListPatch.apply(event, to: &sas)
        }
    }

    // MARK: - Rendering

    /// Renders the event-driven families: transitions, rekeys, last change and traffic per tunnel, and with
    /// `perConnectionEvents` the IKE_SA events per connection (four series per connection: opt-in with the
    /// per-connection counters). Configured tunnels and connections are always present (0 before anything
    /// happened); seen but unconfigured ones follow.
    public func render(perConnectionEvents: Bool = true, into metrics: inout MetricSet) {
        var transitions = family(
            "strongswan_tunnel_transitions_total",
            "Times the tunnel went up (its first CHILD_SA installed) or down (its last one gone) while the exporter ran; a rekey is no transition.",
            .counter, ["conn", "child", "to"])
        var rekeys = family(
            "strongswan_tunnel_rekeys_total", "CHILD_SA rekeys of the tunnel (child-rekey events) while the exporter ran.",
            .counter, ["conn", "child"])
        var lastChange = family(
            "strongswan_tunnel_last_change_timestamp_seconds",
            "Unix time of the tunnel's latest up or down transition seen by the exporter (absent until one is seen).",
            .gauge, ["conn", "child"])
        var bytes = family(
            "strongswan_tunnel_bytes_total",
            "Bytes carried by the tunnel's CHILD_SAs, those that ended (rekeyed, deleted) while the exporter ran included.",
            .counter, ["conn", "child", "direction"])
        var packets = family(
            "strongswan_tunnel_packets_total",
            "Packets carried by the tunnel's CHILD_SAs, those that ended (rekeyed, deleted) while the exporter ran included.",
            .counter, ["conn", "child", "direction"])
        var ikeFamily = family(
            "strongswan_connection_ike_sa_events_total",
            "IKE_SA events of the connection while the exporter ran: up, down, rekey, update (endpoints changed).",
            .counter, ["conn", "event"])

        for key in renderedTunnels() {
            let stats = tunnels[key] ?? TunnelStats()
            // The tunnel's labels escaped once for its eight series.
            let labels = LabelValuePrefix(key.conn, key.child)
            transitions.add(Double(stats.wentUp), labels, "up")
            transitions.add(Double(stats.wentDown), labels, "down")
            rekeys.add(Double(stats.rekeys), labels)
            if let time = stats.lastChange { lastChange.add(time, labels) }
            bytes.add(Double(stats.traffic.bytesIn), labels, "in")
            bytes.add(Double(stats.traffic.bytesOut), labels, "out")
            packets.add(Double(stats.traffic.packetsIn), labels, "in")
            packets.add(Double(stats.traffic.packetsOut), labels, "out")
        }
        for conn in perConnectionEvents ? renderedConns() : [] {
            let counts = ikeEvents[conn] ?? IKEEventCounts()
            ikeFamily.add(Double(counts.up), [conn, "up"])
            ikeFamily.add(Double(counts.down), [conn, "down"])
            ikeFamily.add(Double(counts.rekey), [conn, "rekey"])
            ikeFamily.add(Double(counts.update), [conn, "update"])
        }
        for family in [transitions, rekeys, lastChange, bytes, packets, ikeFamily] { metrics.addNonEmpty(family) }
    }

    /// How many configured tunnels have an up CHILD_SA in `sas`, and how many tunnels are configured.
    public func tunnelCounts<Entry: SAListEntry>(sas: [Entry]) -> (up: Int, configured: Int) {
        var up = Set<TunnelKey>()
        for sa in sas {
            for child in sa.childSAs where SAStates.childUp.contains(child.state) {
                up.insert(TunnelKey(conn: sa.name, child: child.name))
            }
        }
        return (configuredTunnels.filter(up.contains).count, configuredTunnels.count)
    }

    // MARK: - Records

    /// Tunnels whose up state may change within one step, with their state before it.
    struct Batch {
        var wasUp: [TunnelKey: Bool] = [:]
        var order: [TunnelKey] = []
    }

    private func isUp(_ key: TunnelKey) -> Bool { (tunnels[key]?.upSAs ?? 0) > 0 }

    private mutating func note(_ key: TunnelKey, in batch: inout Batch) {
        ensureTunnel(key)
        if batch.wasUp[key] == nil {
            batch.wasUp[key] = isUp(key)
            batch.order.append(key)
        }
    }

    /// Records the transitions of the batch's tunnels (their up state now against before), if `counting`;
    /// returns them (true: went up).
    @discardableResult
    private mutating func commit(_ batch: Batch, at time: Double, counting: Bool) -> [TunnelKey: Bool] {
        var result: [TunnelKey: Bool] = [:]
        for key in batch.order {
            guard let was = batch.wasUp[key] else { continue }
            let now = isUp(key)
            guard was != now else { continue }
            result[key] = now
            guard counting else { continue }
            if now { tunnels[key]?.wentUp &+= 1 } else { tunnels[key]?.wentDown &+= 1 }
            tunnels[key]?.lastChange = time
            tunnels[key]?.lastActivity = time
        }
        return result
    }

    /// Whether a record and a sighting are the same CHILD_SA: same tunnel and, where both are known, same
    /// SPIs (charon reuses uniqueids after a restart).
    static func sameSA(_ record: SARecord, _ key: TunnelKey, _ child: ChildSA) -> Bool {
        record.tunnel == key
            && (record.spiIn.isEmpty || child.spiIn.isEmpty || record.spiIn == child.spiIn)
            && (record.spiOut.isEmpty || child.spiOut.isEmpty || record.spiOut == child.spiOut)
    }

    private mutating func sightOrNote(_ child: ChildSA, of key: TunnelKey, ends: Bool, at now: Double,
                                      batch: inout Batch) {
        if child.uniqueID.isEmpty {
            note(key, in: &batch)
        } else {
            sight(child, of: key, viaEvent: true, ends: ends, at: now, batch: &batch)
        }
    }

    /// Records a sighting of a CHILD_SA in a poll or an event; `ends` says the event reports its end.
    private mutating func sight(_ child: ChildSA, of key: TunnelKey, viaEvent: Bool, ends: Bool, at now: Double,
                                batch: inout Batch) {
        let uid = child.uniqueID
        let traffic = Self.statsStates.contains(child.state) ? TrafficCounts(child) : nil
        let ending = ends || Self.endingStates.contains(child.state)
        if let record = records[uid], !Self.sameSA(record, key, child) {
            // Another SA under a reused uniqueid: charon restarted, and the old SA is over (its counts stay
            // in its tunnel's totals). If charon was lost, nothing suspended survived the restart.
            if record.status == .suspended { resolveSuspended(at: now, batch: &batch) }
            end(uid, at: now, batch: &batch)
            forget(uid)
        }
        if records[uid] != nil {
            update(uid, at: now, batch: &batch) { record in
                if let traffic { record.traffic = traffic }
                if record.spiIn.isEmpty { record.spiIn = child.spiIn }
                if record.spiOut.isEmpty { record.spiOut = child.spiOut }
                if viaEvent { record.eventAt = now } else { record.seenAt = now }
                guard record.status != .ended else { return }  // never revived
                record.status = .live
                record.upState = SAStates.childUp.contains(child.state)
                if ending {
                    record.status = .ended
                    record.endedAt = now
                }
            }
        } else {
            note(key, in: &batch)
            let record = SARecord(
                tunnel: key, spiIn: child.spiIn, spiOut: child.spiOut, traffic: traffic ?? TrafficCounts(),
                status: ending ? .ended : .live, upState: SAStates.childUp.contains(child.state),
                eventAt: viaEvent ? now : nil, seenAt: viaEvent ? nil : now, endedAt: ending ? now : nil)
            tunnels[key]?.traffic.add(record.traffic)
            tunnels[key]?.records += 1
            tunnels[key]?.lastActivity = now
            if record.countsAsUp { tunnels[key]?.upSAs += 1 }
            if record.status == .ended { endedCount += 1 }
            records[uid] = record
        }
    }

    /// Ends every suspended record as of the loss of charon, recording the resulting down transitions then,
    /// and rebases `batch` (a step in progress) on the result.
    private mutating func resolveSuspended(at now: Double, batch: inout Batch) {
        let lossTime = lostAt ?? now
        var resolution = Batch()
        for (uid, record) in records where record.status == .suspended {
            end(uid, at: lossTime, batch: &resolution)
        }
        commit(resolution, at: lossTime, counting: true)
        lostAt = nil
        for key in batch.order { batch.wasUp[key] = isUp(key) }
    }

    /// Changes a record, adding what its counts grew by to its tunnel (counts never go down) and keeping the
    /// tunnel's up count and the ended count right.
    private mutating func update(_ uid: String, at now: Double, batch: inout Batch, _ change: (inout SARecord) -> Void) {
        // One lookup of the uid for reading and writing back (nothing below adds or removes records).
        guard let position = records.position(of: uid) else { return }
        var record = records[position: position]
        let before = record
        note(before.tunnel, in: &batch)
        change(&record)
        record.tunnel = before.tunnel
        let growth = before.traffic.growth(to: record.traffic)
        record.traffic = before.traffic.merged(with: record.traffic)
        if !growth.isZero {
            tunnels[record.tunnel]?.traffic.add(growth)
            tunnels[record.tunnel]?.lastActivity = now
        }
        if before.countsAsUp != record.countsAsUp { tunnels[record.tunnel]?.upSAs += record.countsAsUp ? 1 : -1 }
        if (before.status == .ended) != (record.status == .ended) { endedCount += record.status == .ended ? 1 : -1 }
        records[position: position] = record
    }

    private mutating func end(_ uid: String, at time: Double, batch: inout Batch) {
        update(uid, at: time, batch: &batch) { record in
            guard record.status != .ended else { return }
            record.status = .ended
            record.endedAt = time
        }
    }

    /// Drops a record; its counts stay in its tunnel's totals.
    private mutating func forget(_ uid: String) {
        guard let record = records.removeValue(forKey: uid) else { return }
        tunnels[record.tunnel]?.records -= 1
        if record.countsAsUp { tunnels[record.tunnel]?.upSAs -= 1 }
        if record.status == .ended { endedCount -= 1 }
    }

    /// Drops the oldest ended records beyond the limit (down to 90 % of it, so that trimming is rare).
    private mutating func trimEnded() {
        let keep = limits.maxEndedSAs - limits.maxEndedSAs / 10
        let ended = records.filter { $0.value.status == .ended }
            .sorted { $0.value.lastTouched < $1.value.lastTouched }
        for (uid, _) in ended.prefix(max(0, ended.count - keep)) { forget(uid) }
    }

    /// Forgets old ended records and idle unconfigured tunnels and connections.
    private mutating func sweep(at now: Double) {
        lastSweepAt = now
        for (uid, record) in records where record.status == .ended && record.lastTouched + limits.endedRetention < now {
            forget(uid)
        }
        if endedCount > limits.maxEndedSAs { trimEnded() }
        let retention = limits.idleRetention
        let idle = { (last: Double?) in last.map { $0 + retention < now } ?? true }
        // Every configured tunnel and connection has an entry (``configure(_:)`` ensures them and only this sweep
        // removes entries, unconfigured ones), so equal counts mean there is nothing unconfigured to look at: the
        // common case, which then costs no hashing of every tunnel and connection per poll.
        var removedTunnels = false
        if tunnels.count > configuredTunnelSet.count {
            for (key, stats) in tunnels where !configuredTunnelSet.contains(key) && stats.records == 0 && stats.upSAs == 0 {
                if stats.isPristine || idle(stats.lastActivity) {
                    tunnels[key] = nil
                    removedTunnels = true
                }
            }
        }
        if removedTunnels { tunnelOrder.removeAll { tunnels[$0] == nil } }
        guard ikeEvents.count > configuredConnSet.count else { return }
        let connsWithTunnels = Set(tunnels.keys.map(\.conn))
        var removedConns = false
        for (conn, counts) in ikeEvents where !configuredConnSet.contains(conn) && !connsWithTunnels.contains(conn) {
            if idle(counts.lastActivity) {
                ikeEvents[conn] = nil
                removedConns = true
            }
        }
        if removedConns { connOrder.removeAll { ikeEvents[$0] == nil } }
    }

    // MARK: - Tunnels and connections

    private mutating func ensureTunnel(_ key: TunnelKey) {
        if tunnels[key] == nil {
            tunnels[key] = TunnelStats()
            tunnelOrder.append(key)
        }
        ensureConn(key.conn)
    }

    private mutating func ensureConn(_ conn: String) {
        if ikeEvents[conn] == nil {
            ikeEvents[conn] = IKEEventCounts()
            connOrder.append(conn)
        }
    }

    private mutating func countIKE(_ conn: String, _ kind: IKEEventKind, at now: Double) {
        guard conn != Self.unnamed, !conn.isEmpty else { return }
        ensureConn(conn)
        switch kind {
        case .up: ikeEvents[conn]?.up &+= 1
        case .down: ikeEvents[conn]?.down &+= 1
        case .rekey: ikeEvents[conn]?.rekey &+= 1
        case .update: ikeEvents[conn]?.update &+= 1
        }
        ikeEvents[conn]?.lastActivity = now
    }

    /// Configured tunnels in charon's order, then the others in the order first seen.
    private func renderedTunnels() -> [TunnelKey] {
        configuredTunnels + tunnelOrder.filter { !configuredTunnelSet.contains($0) && tunnels[$0] != nil }
    }

    /// Configured connections in charon's order, then the others in the order first seen.
    private func renderedConns() -> [String] {
        configuredConns + connOrder.filter { !configuredConnSet.contains($0) && ikeEvents[$0] != nil }
    }

    // MARK: - Log metadata

    private static func metadata(_ ike: IKESA, _ child: ChildSA? = nil) -> [String: String] {
        var metadata = ["conn": ike.name, "remote_host": ike.remoteHost, "remote_id": ike.remoteID, "ike_id": ike.uniqueID]
        if let child {
            metadata["child"] = child.name
            metadata["child_id"] = child.uniqueID
        }
        return metadata
    }

    private static func addTraffic(of child: ChildSA, to metadata: inout [String: String]) {
        guard statsStates.contains(child.state) else { return }
        metadata["bytes_in"] = String(child.bytesIn)
        metadata["bytes_out"] = String(child.bytesOut)
        metadata["packets_in"] = String(child.packetsIn)
        metadata["packets_out"] = String(child.packetsOut)
    }
}
