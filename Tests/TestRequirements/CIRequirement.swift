import Foundation
import Testing
import XCTest

/// What a test does when something it needs from outside the package (the lab, root, a tool such as
/// promtool, python3's `vici` or systemd-socket-activate) is missing: on a developer's machine it is skipped
/// with the reason; under CI (`CI=true`), which must run every test, it fails with the reason.
///
/// XCTest cases use ``require(_:_:file:line:)`` (an `XCTSkip` elsewhere); Swift Testing tests use
/// ``requireOrCancel(_:_:sourceLocation:)`` (the test is cancelled, which its report shows as skipped).
public enum CIRequirement {
    /// Whether this run is CI's (`CI=true`).
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The error to throw from an XCTest case when `missing` is missing: a failure under CI, an `XCTSkip`
    /// (at `file`, `line`) elsewhere.
    public static func missing(_ missing: String, file: StaticString = #filePath, line: UInt = #line) -> any Error {
        isCI
            ? Missing(description: "CI=true, and this test must run there: \(missing) is missing")
            : XCTSkip("\(missing) is missing (under CI=true this test fails)", file: file, line: line)
    }

    /// In an XCTest case: returns when `available`; otherwise throws ``missing(_:file:line:)``.
    public static func require(
        _ available: Bool, _ missing: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        guard !available else { return }
        throw Self.missing(missing(), file: file, line: line)
    }

    /// In an XCTest case: returns when the file at `path` is executable; otherwise throws
    /// ``missing(_:file:line:)``. `package` names what provides it.
    public static func requireExecutable(
        _ path: String, from package: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        try require(FileManager.default.isExecutableFile(atPath: path), "\(path) (\(package))", file: file, line: line)
    }

    /// In a Swift Testing test: returns when `available`; otherwise fails the test under CI or cancels it
    /// elsewhere, saying that `missing` is missing.
    public static func requireOrCancel(
        _ available: Bool, _ missing: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        guard !available else { return }
        if isCI {
            throw Missing(description: "CI=true, and this test must run there: \(missing()) is missing")
        }
        try Test.cancel("\(missing()) is missing (under CI=true this test fails)", sourceLocation: sourceLocation)
    }

    /// In a Swift Testing test: returns when the file at `path` is executable (see
    /// ``requireOrCancel(_:_:sourceLocation:)``); `package` names what provides it.
    public static func requireExecutableOrCancel(
        _ path: String, from package: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try requireOrCancel(
            FileManager.default.isExecutableFile(atPath: path), "\(path) (\(package))", sourceLocation: sourceLocation)
    }

    /// The failure thrown under CI.
    public struct Missing: Error, CustomStringConvertible {
        /// What was missing.
        public let description: String

        /// Creates the failure.
        public init(description: String) { self.description = description }
    }
}
