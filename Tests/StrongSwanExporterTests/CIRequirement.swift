import Foundation
import Testing

/// What a test does when something it needs from outside the package (a tool such as promtool) is missing:
/// on a developer's machine it is cancelled, which the test report shows as skipped, with the reason; under
/// CI (`CI=true`), which must run every test, it fails with the reason.
enum CIRequirement {
    /// Whether this run is CI's (`CI=true`).
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Returns when `available`; otherwise fails the test under CI or skips (cancels) it elsewhere,
    /// saying that `missing` is missing.
    static func require(
        _ available: Bool, _ missing: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        guard !available else { return }
        if isCI {
            throw Missing(description: "CI=true, and this test must run there: \(missing()) is missing")
        }
        try Test.cancel("\(missing()) is missing (under CI=true this test fails)", sourceLocation: sourceLocation)
    }

    /// Returns when the file at `path` is executable (see ``require(_:_:sourceLocation:)``); `package` names
    /// what provides it.
    static func requireExecutable(
        _ path: String, from package: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try require(FileManager.default.isExecutableFile(atPath: path), "\(path) (\(package))", sourceLocation: sourceLocation)
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }
}
