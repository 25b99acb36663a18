import Logging
import ServiceLifecycle
import StrongSwanCollectors
import VICI

/// The background poll loop: one pass over the enabled collectors per interval (or earlier when events ask
/// for it) on one persistent VICI connection, reconnecting with capped exponential backoff.
///
/// Charon's load depends only on the poll interval, never on how many scrapes arrive.
public struct Poller: Service {
    let configuration: PollerConfiguration
    let connect: VICIConnector
    let core: ExporterCore
    let trigger: PollTrigger
    let logger: Logger
    /// Called after every poll attempt, successful or not (the systemd watchdog's progress signal).
    let onPollFinished: @Sendable (ExporterCore) async -> Void

    /// Creates the poll loop.
    public init(configuration: PollerConfiguration, connect: @escaping VICIConnector, core: ExporterCore,
                trigger: PollTrigger, logger: Logger,
                onPollFinished: @escaping @Sendable (ExporterCore) async -> Void = { _ in }) {
        self.configuration = configuration
        self.connect = connect
        self.core = core
        self.trigger = trigger
        self.logger = logger
        self.onPollFinished = onPollFinished
    }

    /// Runs until cancelled or graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
    }

    func loop() async {
        var session: (any VICISession)?
        var connectedBefore = false
        var schedule = ConfigurationSchedule(interval: configuration.configInterval)
        var backoff = configuration.minBackoff
        let clock = ContinuousClock()
        do {
            while !Task.isCancelled {
                let started = clock.now
                var reachedCharon = false
                if session == nil {
                    do {
                        session = try await connect()
                        schedule.connected()
                        if connectedBefore { await core.noteReconnect() }
                        connectedBefore = true
                    } catch {
                        await core.pollFailed(
                            error: "\(error)", statuses: failedStatuses("\(error)"),
                            duration: (clock.now - started).inSeconds)
                    }
                }
                if let current = session {
                    reachedCharon = await pollOnce(current, started: started, clock: clock, schedule: &schedule)
                    if !reachedCharon {
                        await current.close()
                        session = nil
                    }
                }
                // The poll's results (every decoded model, when per-SA families are off only summarized) are
                // released by now: hand their pages back.
                HeapTrimmer.trim()
                await onPollFinished(core)
                if Task.isCancelled { break }
                let next: ContinuousClock.Instant
                if reachedCharon {
                    backoff = configuration.minBackoff
                    next = started + configuration.interval
                    // Events may ask for an early poll, but never closer than minPollSpacing.
                    await trigger.wait(until: next, clock: clock, notBefore: started + configuration.minPollSpacing)
                } else {
                    next = clock.now + min(backoff, configuration.interval)
                    backoff = min(backoff * 2, configuration.maxBackoff)
                    await trigger.wait(until: next, clock: clock, notBefore: next)
                }
            }
        }
        await session?.close()
    }

    /// One pass over the enabled collectors: the every-poll collectors always, the configuration collectors
    /// when `schedule` says so (see ``ConfigurationSchedule``). Returns false when the connection is unusable.
    func pollOnce(_ session: any VICISession, started: ContinuousClock.Instant, clock: ContinuousClock,
                  schedule: inout ConfigurationSchedule) async -> Bool {
        await core.pollStarted()
        let enabled = configuration.enabledCollectors
        let options = CollectOptions(perConnectionCounters: configuration.perConnectionCounters)
        var results = CharonState()
        var statuses: [String: CollectorStatus] = [:]
        do {
            // The change probes first (cheap: `get-conns` answers with names only), then the state.
            var probes: [String: [String]] = [:]
            for name in CollectorCatalogue.names(cadence: .configuration) where enabled.contains(name) {
                do {
                    if let answer = try await CollectorCatalogue.changeProbe(name, from: session) { probes[name] = answer }
                } catch where !Poller.isConnectionLost(error) {
                    // A charon without the probe command: the interval and the other triggers remain.
                }
            }
            for name in CollectorCatalogue.names(cadence: .everyPoll) where enabled.contains(name) {
                try await collect(name, from: session, options: options, into: &results, statuses: &statuses, clock: clock)
            }
            if await core.configurationOutdated(by: results) { schedule.request() }
            if let reason = schedule.reason(at: clock.now, probes: probes) {
                logger.debug("configuration collectors run", metadata: ["reason": "\(reason.rawValue)"])
                var succeeded = true
                for name in CollectorCatalogue.names(cadence: .configuration) where enabled.contains(name) {
                    try await collect(name, from: session, options: options, into: &results, statuses: &statuses, clock: clock)
                    succeeded = succeeded && statuses[name]?.success == true
                }
                schedule.ran(at: clock.now, probes: probes, succeeded: succeeded)
            }
        } catch {
            logger.debug("poll aborted", metadata: ["error": "\(error)"])
            for name in CollectorCatalogue.names where enabled.contains(name) && statuses[name] == nil {
                statuses[name] = CollectorStatus(success: false, durationSeconds: 0, lastSuccess: nil, lastError: "\(error)")
            }
            await core.pollFailed(error: "\(error)", statuses: statuses, duration: (clock.now - started).inSeconds)
            return false
        }
        await core.pollSucceeded(results: results, statuses: statuses, duration: (clock.now - started).inSeconds)
        return true
    }

    /// Runs one collector and records its status. Throws only when the connection was lost (the poll ends).
    private func collect(_ name: String, from session: any VICISession, options: CollectOptions,
                         into results: inout CharonState, statuses: inout [String: CollectorStatus],
                         clock: ContinuousClock) async throws {
        let collectorStart = clock.now
        do {
            try await CollectorCatalogue.collect(name, from: session, options: options, into: &results)
            statuses[name] = CollectorStatus(
                success: true, durationSeconds: (clock.now - collectorStart).inSeconds, lastSuccess: nil, lastError: nil)
        } catch {
            statuses[name] = CollectorStatus(
                success: false, durationSeconds: (clock.now - collectorStart).inSeconds, lastSuccess: nil,
                lastError: "\(error)")
            if Poller.isConnectionLost(error) {
                logger.debug("collector lost the connection", metadata: ["collector": "\(name)"])
                throw error
            }
        }
    }

    /// Whether `error` means the connection can no longer be used (as opposed to one command failing).
    static func isConnectionLost(_ error: any Error) -> Bool {
        guard let error = error as? VICIError else { return true }
        switch error.code {
        case .unknownCommand, .unknownEvent, .commandFailed, .missingKey, .invalidValue:
            return false
        default:
            return true
        }
    }

    private func failedStatuses(_ error: String) -> [String: CollectorStatus] {
        var statuses: [String: CollectorStatus] = [:]
        for name in configuration.enabledCollectors {
            statuses[name] = CollectorStatus(success: false, durationSeconds: 0, lastSuccess: nil, lastError: error)
        }
        return statuses
    }
}
