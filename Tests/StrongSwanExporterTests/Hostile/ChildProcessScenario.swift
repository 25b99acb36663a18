import Foundation
import Testing

/// Runs one test of this test binary alone, in a child process, and hands its report to the parent: for
/// measurements that the rest of the test run would blur (resident memory, which other suites running in
/// parallel in the same process would add to).
///
/// The parent test calls ``run(_:test:timeout:)``; the child half is a `@Test` enabled only in the child
/// (``isChild(_:)``), which does the work and calls ``report(_:)``. Outside a child, that half is skipped:
/// it runs in the child.
enum ChildProcessScenario {
    /// The scenario the child runs.
    static let scenarioVariable = "STRONGSWAN_EXPORTER_CHILD_SCENARIO"
    /// Where the child writes its report (JSON).
    static let reportVariable = "STRONGSWAN_EXPORTER_CHILD_REPORT"

    /// Whether this process is the child running `scenario`.
    static func isChild(_ scenario: String) -> Bool {
        ProcessInfo.processInfo.environment[scenarioVariable] == scenario
    }

    /// In the child: writes `report` for the parent.
    static func report<Report: Encodable>(_ report: Report) throws {
        guard let path = ProcessInfo.processInfo.environment[reportVariable] else {
            throw ChildScenarioError("\(reportVariable) is not set")
        }
        try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: path))
    }

    /// In the parent: runs the swift-testing test `test` (a filter: its name, or `Suite/name`) of this
    /// test binary in a child process with `scenario` set, waits for it (at most `timeout`) and returns its
    /// report. Throws when the child fails (its output is in the error), times out or reports nothing.
    static func run<Report: Decodable>(
        _ scenario: String, test: String, as: Report.Type = Report.self, timeout: Duration = .seconds(240)
    ) async throws -> Report {
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let reportPath = directory.appendingPathComponent("report.json").path
        let outputPath = directory.appendingPathComponent("output.txt")
        _ = FileManager.default.createFile(atPath: outputPath.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputPath)
        defer { try? output.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--testing-library", "swift-testing", "--filter", test]
        var environment = ProcessInfo.processInfo.environment
        environment[scenarioVariable] = scenario
        environment[reportVariable] = reportPath
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        func outputText() -> String {
            String(decoding: (try? Data(contentsOf: outputPath)) ?? Data(), as: UTF8.self)
        }
        if process.isRunning {
            process.terminate()
            throw ChildScenarioError("child scenario \(scenario) still running after \(timeout):\n\(outputText())")
        }
        guard process.terminationStatus == 0 else {
            throw ChildScenarioError("child scenario \(scenario) failed (exit \(process.terminationStatus)):\n\(outputText())")
        }
        guard let data = FileManager.default.contents(atPath: reportPath) else {
            throw ChildScenarioError("child scenario \(scenario) reported nothing (did the filter \(test) match?):\n\(outputText())")
        }
        return try JSONDecoder().decode(Report.self, from: data)
    }
}

struct ChildScenarioError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
