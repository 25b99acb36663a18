import BenchmarkSupport
import Foundation
import Logging
import NIOCore
import PrometheusExposition
import StrongSwanCollectors
import StrongSwanExporter
import VICI

/// The benchmark phases for one synthetic gateway, each timed and allocation-counted separately.
struct PhaseSuite {
    let charon: SyntheticGateway
    let repetitions: Int
    let only: String?

    /// Inputs computed once and shared by the phases (each phase's own output is checked, not discarded).
    private let stream: ByteBuffer
    private let messages: [VICIMessage]

    init(charon: SyntheticGateway, repetitions: Int, only: String?) {
        self.charon = charon
        self.repetitions = repetitions
        self.only = only
        var stream = ByteBuffer()
        stream.reserveCapacity(charon.listSABytes)
        for frame in charon.listSAFrames {
            var frame = frame
            stream.writeBuffer(&frame)
        }
        self.stream = stream
        messages = (try? Self.decodeAll(stream)) ?? []
    }

    static func decodeAll(_ stream: ByteBuffer) throws -> [VICIMessage] {
        var buffer = stream
        let decoder = VICIFrameDecoder()
        var messages: [VICIMessage] = []
        while let frame = try decoder.nextFrame(from: &buffer) {
            guard case .event(_, let message) = try VICIPacket.decode(frame) else { continue }
            messages.append(message)
        }
        return messages
    }

    func run() async throws {
        let n = charon.saCount
        guard messages.count == n else { throw BenchError("decoded \(messages.count) list-sa messages, expected \(n)") }
        let megabytes = Double(charon.listSABytes) / 1_000_000

        // As the connection decodes a stream: one frame at a time, each message handed on and dropped.
        try await phase("VICI decode, streamed (frames → messages, each dropped)",
                        unit: .megabytesPerSecond(megabytes)) {
            var buffer = stream
            let decoder = VICIFrameDecoder()
            var decoded = 0
            while let frame = try decoder.nextFrame(from: &buffer) {
                guard case .event(_, let message) = try VICIPacket.decode(frame), !message.isEmpty else { continue }
                decoded += 1
            }
            guard decoded == n else { throw BenchError("decode lost messages") }
        }

        // All messages kept (as a client that collects a whole stream before using it would).
        try await phase("VICI decode, collected (frames → [messages])", unit: .megabytesPerSecond(megabytes)) {
            let decoded = try Self.decodeAll(stream)
            guard decoded.count == n else { throw BenchError("decode lost messages") }
        }

        try await phase("VICI encode (messages → frames)", unit: .megabytesPerSecond(megabytes)) {
            var buffer = ByteBuffer()
            buffer.reserveCapacity(charon.listSABytes)
            for message in messages { try VICIPacket.event(name: "list-sa", message: message).encodeFrame(into: &buffer) }
            guard buffer.readableBytes == charon.listSABytes else { throw BenchError("encode changed the size") }
        }

        var sas: [IKESA] = []
        try await phase("map messages → SA models", unit: .sasPerSecond) {
            var models: [IKESA] = []
            models.reserveCapacity(n)
            for message in messages { models.append(contentsOf: IKESA.all(in: message)) }
            guard models.count == n else { throw BenchError("mapped \(models.count) SAs") }
            sas = models
        }

        var state = CharonState()
        let vici = ReplayingVICI(gateway: charon)
        for name in CollectorCatalogue.names { try await CollectorCatalogue.collect(name, from: vici, into: &state) }
        state.sas = .full(sas)
        let enabled = Set(CollectorCatalogue.names)
        let now = Date().timeIntervalSince1970
        for perSA in [true, false] {
            var metrics = MetricSet()
            try await phase("models → metric families (per-SA \(perSA ? "on" : "off"))", unit: .sasPerSecond) {
                var set = MetricSet()
                CollectorCatalogue.render(state, enabled: enabled, context: RenderContext(now: now, perSA: perSA),
                                          into: &set)
                guard set.sampleCount > 0 else { throw BenchError("nothing rendered") }
                metrics = set
            }
            var exposition: [UInt8] = []
            try await phase("families → text exposition (per-SA \(perSA ? "on" : "off"))",
                            unit: .sasPerSecond) {
                var bytes: [UInt8] = []
                metrics.encode(into: &bytes)
                exposition = bytes
            }
            var compressed = 0
            let identity = ByteBuffer(bytes: exposition)
            try await phase("gzip the exposition (per-SA \(perSA ? "on" : "off"))",
                            unit: .megabytesPerSecond(Double(exposition.count) / 1_000_000)) {
                let gzip = try GzipPrefix(compressing: identity)
                compressed = gzip.bytes.readableBytes + gzip.completion(suffix: ByteBuffer()).readableBytes
            }
            if !exposition.isEmpty { print("| exposition per-SA \(perSA ? "on" : "off") | \(n) | \(metrics.sampleCount) samples | "
                  + "\(Self.kib(exposition.count)) raw | \(Self.kib(compressed)) gzip | | | |") }
        }

        for perSA in [true, false] {
            // One core across the repetitions, as in the agent: its tunnel ledger is warm after the first poll.
            var configuration = PollerConfiguration(enabledCollectors: enabled)
            configuration.perSA = perSA
            let store = SnapshotStore()
            let core = ExporterCore(configuration: configuration, store: store,
                                    logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
            try await phase("whole poll in process: decode + map + render + gzip (per-SA \(perSA ? "on" : "off"))",
                            unit: .sasPerSecond) {
                var results = CharonState()
                var statuses: [String: CollectorStatus] = [:]
                for name in CollectorCatalogue.names {
                    try await CollectorCatalogue.collect(name, from: vici, into: &results)
                    statuses[name] = CollectorStatus(success: true, durationSeconds: 0, lastSuccess: nil, lastError: nil)
                }
                await core.pollSucceeded(results: results, statuses: statuses, duration: 0)
                guard let snapshot = store.snapshot, snapshot.gzip != nil else { throw BenchError("no snapshot") }
            }
        }
    }

    enum Unit {
        case megabytesPerSecond(Double)
        case sasPerSecond
    }

    private func phase(_ name: String, unit: Unit, _ body: () async throws -> Void) async throws {
        if let only, !only.split(separator: ",").contains(where: { name.contains($0) }) { return }
        // One untimed warm-up run, counted for allocations.
        let allocations = try await AllocationCounter.count(body)
        var stopwatch = Stopwatch()
        try await stopwatch.measure(repetitions: repetitions, body)
        let n = charon.saCount
        let throughput: String
        switch unit {
        case .megabytesPerSecond(let megabytes): throughput = String(format: "%.0f MB/s", megabytes / stopwatch.median)
        case .sasPerSecond: throughput = String(format: "%.0f SAs/s", Double(n) / stopwatch.median)
        }
        let perRun = allocations.map { String($0.allocations) } ?? "n/a"
        let perSA = allocations.map { String(format: "%.1f", Double($0.allocations) / Double(n)) } ?? "n/a"
        let retained = allocations.map { String(format: "%.0f", Double($0.retainedBytes) / Double(n)) } ?? "n/a"
        print("| \(name) | \(n) | \(Self.ms(stopwatch.min)) | \(Self.ms(stopwatch.median)) | \(throughput) | \(perRun) | \(perSA) | \(retained) |")
    }

    static func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }
    static func kib(_ bytes: Int) -> String { String(format: "%.1f KiB", Double(bytes) / 1024) }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
