import Foundation
import XCTest

/// What a test does when something it needs from outside the package (the lab, a tool such as promtool or
/// systemd-socket-activate) is missing: on a developer's machine it is skipped (XCTSkip, with the reason);
/// under CI (`CI=true`), which must run every test, it fails with the reason.
enum CIRequirement {
    /// Whether this run is CI's (`CI=true`).
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The error to throw when `missing` is missing: a failure under CI, an XCTSkip (at `file`, `line`)
    /// elsewhere.
    static func missing(_ missing: String, file: StaticString = #filePath, line: UInt = #line) -> any Error {
        isCI
            ? Missing(description: "CI=true, and this test must run there: \(missing) is missing")
            : XCTSkip("\(missing) is missing (under CI=true this test fails)", file: file, line: line)
    }

    /// Returns when `available`; otherwise throws ``missing(_:file:line:)``.
    static func require(
        _ available: Bool, _ missing: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        guard !available else { return }
        throw Self.missing(missing(), file: file, line: line)
    }

    /// Returns when the file at `path` is executable; otherwise throws ``missing(_:file:line:)``. `package`
    /// names what provides it.
    static func requireExecutable(
        _ path: String, from package: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        try require(FileManager.default.isExecutableFile(atPath: path), "\(path) (\(package))", file: file, line: line)
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }
}
