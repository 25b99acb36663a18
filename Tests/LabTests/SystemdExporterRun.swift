import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `strongswan_exporter run` (or a wrapper that execs it in place: `sh -c '… exec'`,
/// `systemd-socket-activate`) started with an explicit environment, as systemd would start it.
final class SystemdExporterRun {
    let pid: pid_t
    let logPath: String
    /// When it was spawned (``SystemdClock``).
    let started: Double
    private var exitStatus: Int32?

    init(_ executable: String, _ arguments: [String], environment extra: [String: String]) throws {
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("systemd-run-\(UUID().uuidString).log").path
        var environment = SystemdChild.cleanEnvironment()
        environment.merge(extra) { _, new in new }
        started = SystemdClock.now()
        pid = try SystemdChild.spawn(executable, arguments, environment: environment, logPath: logPath)
    }

    var isRunning: Bool {
        if exitStatus != nil { return false }
        exitStatus = Subprocess.exitStatus(of: pid, wait: false)
        return exitStatus == nil
    }

    var log: String { String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self) }

    /// Waits up to `timeout` seconds for the process to exit on its own; its exit status, or nil.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = SystemdClock.now() + timeout
        while isRunning {
            guard SystemdClock.now() < deadline else { return nil }
            usleep(10_000)
        }
        return exitStatus
    }

    /// Sends `signal` and waits (at most `timeout` seconds, then SIGKILL); returns the exit status
    /// (128 + n for death by signal n).
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Double = 30) -> Int32 {
        guard isRunning else { return exitStatus ?? -1 }
        kill(pid, signal)
        if let status = waitForExit(timeout: timeout) { return status }
        kill(pid, SIGKILL)
        exitStatus = Subprocess.exitStatus(of: pid, wait: true) ?? -1
        return exitStatus ?? -1
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            _ = Subprocess.exitStatus(of: pid, wait: true)
        }
        unlink(logPath)
    }
}
