import Logging
import ServiceLifecycle
import StrongSwanCollectors
import VICI

/// Follows charon's events on a second, long-lived connection: each event updates the cached model at once
/// (a tunnel that goes down reads 0 on the next scrape) and asks the poller for an early poll. Resubscribes
/// with capped backoff when charon goes away, and asks for a full poll after every (re)subscription so that
/// nothing that happened while unsubscribed is missed.
public struct EventFollower: Service {
    let subscribe: @Sendable ([String]) async throws -> VICIEventStream
    let core: ExporterCore
    let trigger: PollTrigger
    let logger: Logger
    let minBackoff: Duration
    let maxBackoff: Duration

    /// Creates the follower.
    public init(subscribe: @escaping @Sendable ([String]) async throws -> VICIEventStream, core: ExporterCore,
                trigger: PollTrigger,
                logger: Logger, minBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(30)) {
        self.subscribe = subscribe
        self.core = core
        self.trigger = trigger
        self.logger = logger
        self.minBackoff = minBackoff
        self.maxBackoff = maxBackoff
    }

    /// Runs until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    func loop() async {
        let clock = ContinuousClock()
        var backoff = minBackoff
        var everSubscribed = false
        // Whether the current run of failures (lost subscription, failed attempts) has been logged.
        var failureLogged = false
        while !Task.isCancelled {
            var subscription: VICIEventStream?
            var subscribedAt: ContinuousClock.Instant?
            var delivered = false
            var failure: (any Error)?
            do {
                let events = try await subscribe(TunnelLedger.eventNames)
                subscription = events
                // After a subscription that was lost, or attempts whose failure was logged (charon missing at start).
                if everSubscribed || failureLogged { logger.info("event subscription restored") }
                everSubscribed = true
                subscribedAt = clock.now
                trigger.fire()
                try await withTaskCancellationHandler {
                    for try await event in events {
                        // After close() the stream still hands out what it had buffered (up to thousands of
                        // events under a flood, each applied and rendered): stop at once instead.
                        if Task.isCancelled { break }
                        delivered = true
                        await core.apply(event: event.name, message: event.message)
                        trigger.fire()
                    }
                } onCancel: {
                    Task { await events.close() }
                }
            } catch {
                failure = error
            }
            await subscription?.close()
            if Task.isCancelled { break }
            // Only a subscription that proved itself (delivered an event, or stood for the longest backoff)
            // resets the backoff: a peer that accepts the registrations and hangs up at once is retried ever
            // more slowly, not every `minBackoff` forever.
            if let subscribedAt, delivered || clock.now - subscribedAt >= maxBackoff {
                backoff = minBackoff
                failureLogged = false
            }
            if let failure {
                if subscribedAt != nil {
                    logger.warning("event subscription lost", metadata: ["error": "\(failure)"])
                    failureLogged = true
                } else if !failureLogged {
                    // Attempts that fail before a subscription stands are logged once per run of failures.
                    logger.warning("event subscription failed", metadata: ["error": "\(failure)"])
                    failureLogged = true
                }
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, maxBackoff)
        }
    }
}
