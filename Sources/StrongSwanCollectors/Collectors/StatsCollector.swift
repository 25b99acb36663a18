import PrometheusExposition
import VICI

/// `stats`: uptime, worker threads, job queues, IKE_SA totals, plugins and memory.
public enum StatsCollector: CharonCollector {
    public static let name = "stats"
    public static let summary = "daemon load from `stats`: workers, job queues, IKE_SA totals, plugins, memory"
    public static let commands = ["stats"]

    public static func collect(from vici: some VICIQuerying) async throws -> DaemonStats {
        DaemonStats(message: try await vici.call("stats", VICIMessage()))
    }

    public static func render(_ model: DaemonStats, context: RenderContext, into metrics: inout MetricSet) {
        metrics.addGauge("strongswan_start_time_seconds", "Unix time at which charon started.", model.startTime)
        metrics.addGauge("strongswan_worker_threads", "Worker threads of charon's thread pool.", model.workersTotal)
        metrics.addGauge("strongswan_worker_threads_idle", "Idle worker threads.", model.workersIdle)
        var active = family(
            "strongswan_worker_threads_active", "Worker threads busy with jobs, by job priority.", .gauge,
            ["priority"])
        var queued = family("strongswan_job_queue_jobs", "Jobs waiting in charon's queues, by priority.", .gauge, ["priority"])
        for priority in DaemonStats.priorities {
            active.add(model.workersActive[priority], [priority])
            queued.add(model.queues[priority], [priority])
        }
        metrics.addNonEmpty(active)
        metrics.addNonEmpty(queued)
        metrics.addGauge("strongswan_jobs_scheduled", "Jobs scheduled for timed execution.", model.scheduled)
        metrics.addGauge("strongswan_ike_sas", "IKE_SAs charon holds, in any state.", model.ikeSAsTotal)
        metrics.addGauge(
            "strongswan_ike_sas_half_open", "Half-open IKE_SAs (IKE_SA_INIT done, not yet authenticated).",
            model.ikeSAsHalfOpen)

        var plugins = family("strongswan_plugin_info", "A plugin charon has loaded (always 1).", .gauge, ["plugin"])
        for plugin in model.plugins { plugins.add(1, [plugin]) }
        metrics.addNonEmpty(plugins)

        metrics.addGauge("strongswan_memory_heap_bytes", "Heap memory in use (leak-detective builds only).", model.memTotal)
        metrics.addGauge(
            "strongswan_memory_heap_allocations", "Heap allocation blocks (leak-detective builds only).", model.memAllocs)
        var mallinfo = family(
            "strongswan_memory_mallinfo_bytes",
            "charon's mallinfo(): sbrk = non-mmapped arena, mmap = mmapped, used = allocated, free = available.",
            .gauge, ["kind"])
        for kind in ["sbrk", "mmap", "used", "free"] { mallinfo.add(model.mallinfo[kind], [kind]) }
        for (kind, value) in model.mallinfo.sorted(by: { $0.key < $1.key }) where !["sbrk", "mmap", "used", "free"].contains(kind) {
            mallinfo.add(value, [kind])
        }
        metrics.addNonEmpty(mallinfo)
    }
}

extension CharonState {
    /// charon's `stats` answer, when the `stats` collector has it.
    public var stats: DaemonStats? { self[StatsCollector.self] }
}
