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
        var backoff = configuration.minBackoff
        let clock = ContinuousClock()
        do {
            while !Task.isCancelled {
                let started = clock.now
                var reachedCharon = false
                if session == nil {
                    do {
                        session = try await connect()
                        if connectedBefore { await core.noteReconnect() }
                        connectedBefore = true
                    } catch {
                        await core.pollFailed(
                            error: "\(error)", statuses: failedStatuses("\(error)"),
                            duration: (clock.now - started).inSeconds)
                    }
                }
                if let current = session {
                    reachedCharon = await pollOnce(current, started: started, clock: clock)
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

    /// One pass over the enabled collectors. Returns false when the connection is unusable.
    func pollOnce(_ session: any VICISession, started: ContinuousClock.Instant, clock: ContinuousClock) async -> Bool {
        await core.pollStarted()
        var results = CharonState()
        var statuses: [String: CollectorStatus] = [:]
        for name in CollectorCatalogue.names where configuration.enabledCollectors.contains(name) {
            let collectorStart = clock.now
            do {
                try await CollectorCatalogue.collect(name, from: session, into: &results)
                statuses[name] = CollectorStatus(
                    success: true, durationSeconds: (clock.now - collectorStart).inSeconds, lastSuccess: nil, lastError: nil)
            } catch {
                statuses[name] = CollectorStatus(
                    success: false, durationSeconds: (clock.now - collectorStart).inSeconds, lastSuccess: nil,
                    lastError: "\(error)")
                if Poller.isConnectionLost(error) {
                    logger.debug("poll aborted", metadata: ["collector": "\(name)", "error": "\(error)"])
                    for other in CollectorCatalogue.names
                    where configuration.enabledCollectors.contains(other) && statuses[other] == nil {
                        statuses[other] = CollectorStatus(success: false, durationSeconds: 0, lastSuccess: nil, lastError: "\(error)")
                    }
                    await core.pollFailed(error: "\(error)", statuses: statuses, duration: (clock.now - started).inSeconds)
                    return false
                }
            }
        }
        await core.pollSucceeded(results: results, statuses: statuses, duration: (clock.now - started).inSeconds)
        return true
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
