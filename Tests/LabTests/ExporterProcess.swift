import Foundation
import PrometheusExposition
import XCTest

/// The real `strongswan_exporter run` binary, started against the lab for a test and stopped with SIGTERM.
final class ExporterProcess {
    let process = Process()
    let port: Int
    let stderrFile: URL

    init(lab: LabEnvironment, arguments: [String]) throws {
        port = Int.random(in: 30_000...60_000)
        stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("exporter-\(port).log")
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: lab.exporter)
        process.arguments = ["run", "--vici.socket", lab.gwVICI, "--web.listen-address", "127.0.0.1:\(port)"] + arguments
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Ready when the first poll reached charon.
        try waitFor("first successful poll", timeout: 30) { (try? self.scrape())?.value("strongswan_up") == 1 }
    }

    /// One scrape, parsed strictly (a duplicate series fails the parse). Throws on any non-200 answer.
    func scrape(path: String = "/metrics") throws -> ParsedExposition {
        let (status, output, errors) = try LabEnvironment.run(
            "/usr/bin/curl", ["-sS", "--max-time", "5", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
        guard status == 0 else { throw LabError("curl failed: \(errors)") }
        var text = String(decoding: output, as: UTF8.self)
        guard let newline = text.lastIndex(of: "\n") else { throw LabError("no status from curl") }
        let code = text[text.index(after: newline)...]
        text = String(text[..<newline])
        guard code == "200" else { throw LabError("HTTP \(code)") }
        return try ExpositionParser().parse(text)
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` seconds pass; returns the seconds it took.
    @discardableResult
    func waitFor(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws -> Double {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if try condition() { return Date().timeIntervalSince(start) }
            guard process.isRunning else { throw LabError("exporter exited while waiting for \(what): \(log)") }
            usleep(20_000)
        }
        throw LabError("timed out after \(timeout) s waiting for \(what)")
    }

    var log: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    deinit { _ = stop() }
}
