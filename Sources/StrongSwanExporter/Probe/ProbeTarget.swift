import Logging
import NIOCore
import PrometheusExposition
import VICI

/// One probed daemon: its own ``Poller``, ``ExporterCore`` and ``SnapshotStore`` (and ``EventFollower`` when
/// events are followed), running in one task from creation until ``stop()``, which closes its connections.
final class ProbeTarget: Sendable {
    /// The daemon.
    let endpoint: VICIEndpoint
    /// The latest rendering of the target's metrics.
    let store: SnapshotStore
    /// Poll progress: `probe_success` and the first-poll wait.
    let status: ProbePollStatus
    private let task: Task<Void, Never>

    private init(endpoint: VICIEndpoint, store: SnapshotStore, status: ProbePollStatus, task: Task<Void, Never>) {
        self.endpoint = endpoint
        self.store = store
        self.status = status
        self.task = task
    }

    /// Starts polling `endpoint` at once (the first poll starts immediately).
    static func start(
        endpoint: VICIEndpoint, poller configuration: PollerConfiguration, connectors: ProbeConnectors, logger: Logger
    ) -> ProbeTarget {
        var logger = logger
        logger[metadataKey: "target"] = "\(endpoint)"
        let store = SnapshotStore()
        let status = ProbePollStatus()
        let core = ExporterCore(configuration: configuration, store: store, logger: logger)
        let trigger = PollTrigger()
        let poller = Poller(
            configuration: configuration, connect: connectors.session(endpoint), core: core, trigger: trigger,
            logger: logger,
            onPollFinished: { core in status.record(reachedCharon: await core.up) })
        let follower = connectors.events.map { subscribe in
            EventFollower(subscribe: subscribe(endpoint), core: core, trigger: trigger, logger: logger)
        }
        let task = Task {
            // `strongswan_up 0` until the first poll says otherwise.
            await core.publish()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await poller.loop() }
                if let follower { group.addTask { await follower.loop() } }
            }
            status.finish()
        }
        return ProbeTarget(endpoint: endpoint, store: store, status: status, task: task)
    }

    /// Stops the pipeline and returns once its connections are closed.
    func stop() async {
        task.cancel()
        await task.value
        status.finish()
    }

    /// The body of a probe: the target's exposition followed by `probe_success`.
    func scrapeBody() -> ScrapeBody {
        let snapshot = store.snapshot
        var suffix = MetricSet()
        if var success = MetricFamily.declared("probe_success", "1 if the target's latest poll reached charon over VICI (same as strongswan_up), else 0.", .gauge)
        {
            success.add(status.reachedCharon ? 1 : 0)
            suffix.add(success)
        }
        var suffixBytes: [UInt8] = []
        suffix.encode(into: &suffixBytes)
        return ScrapeBody(
            lazyIdentity: { snapshot?.identity ?? ByteBuffer() }, gzip: snapshot?.gzip, suffix: ByteBuffer(bytes: suffixBytes))
    }
}
