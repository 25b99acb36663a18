import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// charon's own error-notify client (`/usr/lib/ipsec/error-notify`, via `lab.sh error-notify ROLE`) reading
/// one lab daemon's socket: the independent account of what charon reported, one line per record
/// (`TYPE NAME ID IP MESSAGE`, empty fields as empty strings).
final class ErrorNotifyTool {
    let pid: pid_t
    let outputPath: String
    let errorPath: String
    let role: String
    private var stopped = false

    init(lab: LabEnvironment, role: String) throws {
        self.role = role
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("error-notify-\(role)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        outputPath = base.path + ".out"
        errorPath = base.path + ".err"
        pid = try Subprocess.start(lab.script, ["error-notify", role], logPath: errorPath, outputPath: outputPath)
        try waitConnected()
    }

    /// Waits until the tool is blocked reading its connected socket: its process is `error-notify` (lab.sh and
    /// the wrappers exec into it), holds a socket, and sleeps (in read(); it connects right after socket()).
    private func waitConnected() throws {
        let start = Date()
        while Date().timeIntervalSince(start) < 30 {
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            let state = stat.split(separator: ")").last?.split(separator: " ").first.map(String.init)
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            let socket = fds.contains { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)"))?.hasPrefix("socket:") == true }
            if comm == "error-notify", socket, state == "S" { return }
            if Subprocess.exitStatus(of: pid, wait: false) != nil {
                throw LabError("lab.sh error-notify \(role) exited: \(errors)")
            }
            usleep(20_000)
        }
        throw LabError("lab.sh error-notify \(role) did not connect within 30 s: \(errors)")
    }

    private var errors: String {
        String(decoding: FileManager.default.contents(atPath: errorPath) ?? Data(), as: UTF8.self)
    }

    /// The lines printed so far.
    var lines: [String] {
        let text = String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// The type numbers of the lines printed so far.
    var types: [Int32] { lines.compactMap { $0.split(separator: " ", maxSplits: 1).first.flatMap { Int32($0) } } }

    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGTERM)
        _ = Subprocess.exitStatus(of: pid, wait: true)
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: errorPath)
    }

    deinit { stop() }
}
