import Foundation
import Testing

/// Tests that change process-global state (environment variables read by libsystemd) live in extensions of
/// this suite: `.serialized` runs them one at a time, including the suites nested in it.
@Suite(.serialized)
enum ProcessEnvironmentSuite {}

/// Environment variables set (or unset, for `nil`) until ``restore()`` puts the previous values back.
struct EnvironmentOverride {
    private var saved: [String: String?] = [:]

    init(_ overrides: [String: String?]) {
        for (name, value) in overrides {
            saved[name] = getenv(name).map { String(cString: $0) }
            Self.set(name, value)
        }
    }

    func restore() {
        for (name, value) in saved {
            Self.set(name, value)
        }
    }

    private static func set(_ name: String, _ value: String?) {
        if let value {
            setenv(name, value, 1)
        } else {
            unsetenv(name)
        }
    }
}

/// Runs `body` with the environment variables in `overrides` set (or unset, for `nil`), then restores them.
func withEnvironment<T>(_ overrides: [String: String?], _ body: () throws -> T) rethrows -> T {
    let override = EnvironmentOverride(overrides)
    defer { override.restore() }
    return try body()
}

/// Runs `body` with the environment variables in `overrides` set (or unset, for `nil`), then restores them.
func withEnvironment<T>(_ overrides: [String: String?], _ body: () async throws -> T) async rethrows -> T {
    let override = EnvironmentOverride(overrides)
    defer { override.restore() }
    return try await body()
}

/// All the variables the systemd integration reads, unset: the starting point of every environment test, so
/// that a test run under systemd (which may set NOTIFY_SOCKET or WATCHDOG_USEC for the runner) is not confused.
let clearSystemdEnvironment: [String: String?] = [
    "NOTIFY_SOCKET": nil, "WATCHDOG_USEC": nil, "WATCHDOG_PID": nil,
    "LISTEN_FDS": nil, "LISTEN_PID": nil, "LISTEN_FDNAMES": nil,
]

/// `clearSystemdEnvironment` with `overrides` applied on top.
func systemdEnvironment(_ overrides: [String: String?]) -> [String: String?] {
    clearSystemdEnvironment.merging(overrides) { _, new in new }
}
