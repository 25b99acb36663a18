import Foundation
import PrometheusExposition
import PrometheusExpositionTesting
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The real `strongswan_exporter run` binary, started against the lab for a test and stopped with SIGTERM.
final class ExporterProcess {
    let pid: pid_t
    let port: Int
    let logPath: String
    private var exitStatus: Int32?

    /// Starts the exporter against gw's charon (or `vici`: the peer's).
    init(lab: LabEnvironment, vici: String? = nil, arguments: [String]) throws {
        // The kernel's pick of a free port: a random one in the ephemeral range can collide with the local port
        // of a connection (seen once under CI: "Address already in use").
        port = try SystemdChild.freePort()
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("exporter-\(port).log").path
        pid = try Subprocess.start(
            lab.exporter,
            ["run", "--vici.socket", vici ?? lab.gwVICI, "--web.listen-address", "127.0.0.1:\(port)"] + arguments,
            logPath: logPath)
        // Ready when the first poll reached charon.
        try waitFor("first successful poll", timeout: 30) { (try? self.scrape())?.value("strongswan_up") == 1 }
    }

    /// One scrape, parsed strictly (a duplicate series fails the parse). Throws on any non-200 answer.
    func scrape(path: String = "/metrics") throws -> ParsedExposition {
        let (status, body) = try TinyHTTP.get(port: port, path: path)
        guard status == 200 else { throw LabError("HTTP \(status)") }
        return try ExpositionParser().parse(Array(body))
    }

    var isRunning: Bool {
        if exitStatus != nil { return false }
        exitStatus = Subprocess.exitStatus(of: pid, wait: false)
        return exitStatus == nil
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` seconds pass; returns the seconds it took.
    @discardableResult
    func waitFor(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws -> Double {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if try condition() { return Date().timeIntervalSince(start) }
            guard isRunning else { throw LabError("exporter exited while waiting for \(what): \(log)") }
            usleep(20_000)
        }
        throw LabError("timed out after \(timeout) s waiting for \(what)")
    }

    /// Scrapes every 20 ms until a scrape satisfies `condition` or `timeout` seconds pass; returns that scrape,
    /// so that what else it shows is read from the same rendering.
    func firstScrape(_ what: String, timeout: Double, where condition: (ParsedExposition) -> Bool) throws -> ParsedExposition {
        var seen: ParsedExposition?
        try waitFor(what, timeout: timeout) {
            let scrape = try self.scrape()
            guard condition(scrape) else { return false }
            seen = scrape
            return true
        }
        guard let seen else { throw LabError("no scrape kept while waiting for \(what)") }
        return seen
    }

    var log: String { String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self) }

    /// Sends SIGTERM and waits (at most 30 s, then SIGKILL); returns the exit status.
    func stop() -> Int32 {
        if let exitStatus { return exitStatus }
        kill(pid, SIGTERM)
        for _ in 0..<1500 {
            if let status = Subprocess.exitStatus(of: pid, wait: false) {
                exitStatus = status
                return status
            }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        exitStatus = Subprocess.exitStatus(of: pid, wait: true) ?? -1
        return exitStatus ?? -1
    }

    deinit { _ = stop() }
}
