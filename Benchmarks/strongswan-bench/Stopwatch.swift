/// Repeats a piece of work and keeps how long each repetition took.
struct Stopwatch {
    /// The durations of the repetitions, in seconds, in the order they ran.
    private(set) var seconds: [Double] = []

    /// Runs `body` `repetitions` times, timing each run.
    mutating func measure(repetitions: Int, _ body: () async throws -> Void) async rethrows {
        let clock = ContinuousClock()
        for _ in 0..<repetitions {
            let start = clock.now
            try await body()
            let elapsed = clock.now - start
            seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
    }

    /// The fastest repetition.
    var min: Double { seconds.min() ?? 0 }

    /// The median repetition.
    var median: Double {
        let sorted = seconds.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
