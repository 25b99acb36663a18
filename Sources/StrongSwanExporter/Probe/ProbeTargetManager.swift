import Logging
import ServiceLifecycle
import Synchronization
import VICI

/// The per-target pollers behind `/probe`: checks each probe against the allow-list, creates a target's
/// pipeline (``Poller`` + ``ExporterCore`` + ``SnapshotStore``, and an ``EventFollower`` when events are
/// followed) on its first probe, serves later probes from that pipeline's latest snapshot, and stops pipelines
/// (closing their connections) that no probe asked for during the idle timeout.
///
/// A refused probe (not a valid URI, not allowed, over the target cap, shutting down) never creates a pipeline,
/// so it never opens a connection or resolves a name. Charon's load per target depends on the poll interval only.
///
/// Locking: one mutex guards the allow-list, the target table (with each target's last use) and the counters;
/// it is never held across a suspension point. Lookup-or-create happens under it, so concurrent first probes of
/// one target share one pipeline. Stopping a pipeline (cancel, wait for its connections to close) happens
/// after the target was removed from the table, outside the lock.
///
/// As a `Service`, it sweeps idle targets periodically and stops every pipeline on graceful shutdown.
public final class ProbeTargetManager<C: Clock>: Service, Sendable where C.Duration == Duration {
    private struct Entry {
        let target: ProbeTarget
        var lastUsed: C.Instant
    }

    private struct State {
        var allowList: ProbeAllowList
        var targets: [VICIEndpoint: Entry] = [:]
        var shuttingDown = false
        var requests: [String: UInt64] = [:]
        var released: UInt64 = 0
    }

    private enum Decision {
        case existing(ProbeTarget)
        case created(ProbeTarget)
        case refused(ProbeRefusal)
    }

    let poller: PollerConfiguration
    let connectors: ProbeConnectors
    /// A target is released when its last probe is at least this old.
    public let idleTimeout: Duration
    /// The most targets polled at once.
    public let maxTargets: Int
    /// The longest a probe waits for a new target's first poll.
    public let firstPollTimeout: Duration
    let clock: C
    let logger: Logger
    private let state: Mutex<State>

    /// Creates the manager; no target is polled until it is probed.
    ///
    /// - Parameters:
    ///   - allowList: the targets that may be probed.
    ///   - poller: the poll settings of every target (interval, collectors).
    ///   - connectors: how pipelines connect (and whether they follow events).
    ///   - idleTimeout: how long a target lives without probes.
    ///   - maxTargets: the cap on targets polled at once (at least 1).
    ///   - firstPollTimeout: the longest a probe waits for a new target's first poll (`--vici.timeout`).
    ///   - clock: the clock of idle times, sweeps and the first-poll wait.
    public init(
        allowList: ProbeAllowList, poller: PollerConfiguration, connectors: ProbeConnectors, idleTimeout: Duration,
        maxTargets: Int, firstPollTimeout: Duration, clock: C, logger: Logger
    ) {
        self.poller = poller
        self.connectors = connectors
        self.idleTimeout = idleTimeout
        self.maxTargets = max(1, maxTargets)
        self.firstPollTimeout = firstPollTimeout
        self.clock = clock
        self.logger = logger
        self.state = Mutex(State(allowList: allowList))
    }

    /// How often idle targets are looked for: a quarter of the idle timeout, between 100 ms and 30 s (a target
    /// is released between `idleTimeout` and `idleTimeout + sweepInterval` after its last probe).
    public var sweepInterval: Duration {
        max(.milliseconds(100), min(idleTimeout / 4, .seconds(30)))
    }

    /// Answers one probe of `uri`: refuses it, or serves the target's latest metrics, first waiting (at most
    /// `firstPollTimeout`, or `deadline` when shorter) for the target's first poll if it has not finished yet.
    public func probe(target uri: String, deadline: Duration? = nil) async -> ProbeOutcome {
        guard let endpoint = try? VICIEndpoint(parsing: uri) else { return refuseInvalidRequest() }
        let key = ProbeAllowList.canonical(endpoint)
        let now = clock.now
        let decision: Decision = state.withLock { state in
            let decision: Decision
            if state.shuttingDown {
                decision = .refused(.shuttingDown)
            } else if !state.allowList.contains(key) {
                decision = .refused(.notAllowed)
            } else if let entry = state.targets[key] {
                state.targets[key]?.lastUsed = now
                decision = .existing(entry.target)
            } else if state.targets.count >= maxTargets {
                decision = .refused(.targetLimit)
            } else {
                let target = ProbeTarget.start(endpoint: key, poller: poller, connectors: connectors, logger: logger)
                state.targets[key] = Entry(target: target, lastUsed: now)
                decision = .created(target)
            }
            if case .refused(let refusal) = decision { state.requests[refusal.rawValue, default: 0] &+= 1 }
            return decision
        }
        let target: ProbeTarget
        switch decision {
        case .refused(let refusal):
            logger.debug("probe refused", metadata: ["target": "\(uri)", "reason": "\(refusal.rawValue)"])
            return .refused(refusal)
        case .created(let created):
            logger.info("probe target started", metadata: ["target": "\(key)"])
            target = created
        case .existing(let existing):
            target = existing
        }
        let wait = deadline.map { min($0, firstPollTimeout) } ?? firstPollTimeout
        await target.status.waitForFirstPoll(timeout: wait, clock: clock)
        let reached = target.status.reachedCharon
        state.withLock { $0.requests[reached ? "success" : "failure", default: 0] &+= 1 }
        return .served(target.scrapeBody(), reachedCharon: reached)
    }

    /// Counts and refuses a probe without a single `target` parameter.
    public func refuseInvalidRequest() -> ProbeOutcome {
        state.withLock { $0.requests[ProbeRefusal.invalidTarget.rawValue, default: 0] &+= 1 }
        return .refused(.invalidTarget)
    }

    /// Replaces the allow-list (a re-read targets file); targets no longer allowed are released at once.
    public func replaceAllowList(_ allowList: ProbeAllowList) async {
        let dropped = state.withLock { state in
            state.allowList = allowList
            return Self.remove(from: &state) { key, _ in !allowList.contains(key) }
        }
        await stop(dropped, reason: "no longer allowed")
    }

    /// Releases every target whose last probe is at least ``idleTimeout`` old; returns how many.
    @discardableResult
    public func releaseIdle() async -> Int {
        let now = clock.now
        let idleTimeout = self.idleTimeout
        let idle = state.withLock { state in
            Self.remove(from: &state) { _, entry in entry.lastUsed.duration(to: now) >= idleTimeout }
        }
        await stop(idle, reason: "idle")
        return idle.count
    }

    /// Refuses new probes and stops every target's pipeline.
    public func shutdown() async {
        let all = state.withLock { state in
            state.shuttingDown = true
            return Self.remove(from: &state) { _, _ in true }
        }
        await stop(all, reason: "shutdown")
    }

    /// Sweeps idle targets every ``sweepInterval`` until graceful shutdown or cancellation, then stops all.
    public func run() async throws {
        let clock = self.clock
        let interval = sweepInterval
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await clock.sleep(for: interval) } catch { break }
                await self.releaseIdle()
            }
        }
        await shutdown()
    }

    /// Counts for the exporter's own metrics.
    public var statistics: ProbeStatistics {
        state.withLock { state in
            ProbeStatistics(
                targets: state.targets.count, allowedTargets: state.allowList.count, requests: state.requests,
                released: state.released)
        }
    }

    /// The endpoints being polled now (canonical form).
    public var activeTargets: Set<VICIEndpoint> {
        state.withLock { Set($0.targets.keys) }
    }

    private static func remove(
        from state: inout State, where shouldRemove: (VICIEndpoint, Entry) -> Bool
    ) -> [ProbeTarget] {
        var removed: [ProbeTarget] = []
        for (key, entry) in state.targets where shouldRemove(key, entry) {
            removed.append(entry.target)
            state.targets[key] = nil
        }
        state.released &+= UInt64(removed.count)
        return removed
    }

    private func stop(_ targets: [ProbeTarget], reason: String) async {
        guard !targets.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            for target in targets {
                group.addTask { await target.stop() }
            }
        }
        for target in targets {
            logger.info("probe target released", metadata: ["target": "\(target.endpoint)", "reason": "\(reason)"])
        }
    }
}
