import Foundation
import TestRequirements

/// Runs `openssl` (the independent reader the certificate tests compare with) in a scratch directory.
struct OpenSSLTool {
    /// A command that exited non-zero.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let directory: URL

    /// A fresh scratch directory; throws ``CIRequirement/missing(_:file:line:)`` when openssl is absent.
    init() throws {
        try CIRequirement.requireExecutable("/usr/bin/openssl", from: "Debian's openssl")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Runs `openssl arguments…` and returns its standard output (standard error is in the failure).
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = directory.appendingPathComponent("stdout-\(UUID().uuidString)")
        let error = directory.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: error.path, contents: nil)
        let outputHandle = try FileHandle(forWritingTo: output)
        let errorHandle = try FileHandle(forWritingTo: error)
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try outputHandle.close()
        try errorHandle.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: error, encoding: .utf8)) ?? ""
            throw Failure(description: "openssl \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(message)")
        }
        return text
    }

    /// The bytes of `file` in the scratch directory.
    func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(file)))
    }

    /// Writes `text` to `file` in the scratch directory.
    func write(_ file: String, _ text: String) throws {
        try text.write(to: directory.appendingPathComponent(file), atomically: true, encoding: .utf8)
    }

    /// A self-signed EC certificate `name.crt` (and `name.key`) with `subject` (`openssl req -subj` syntax).
    func selfSigned(_ name: String, subject: String, extraArguments: [String] = []) throws {
        try run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", "\(name).key", "-out", "\(name).crt", "-subj", subject, "-days", "2", "-utf8",
                 "-addext", "basicConstraints=critical,CA:TRUE"] + extraArguments)
        try run(["x509", "-in", "\(name).crt", "-outform", "DER", "-out", "\(name).der"])
    }

    /// `openssl x509 -noout -FIELD -nameopt RFC2253,-esc_msb` without its `FIELD=` prefix.
    func rfc2253(_ field: String, of certificate: String) throws -> String {
        let line = try run(["x509", "-in", certificate, "-noout", "-\(field)", "-nameopt", "RFC2253,-esc_msb"])
            .trimmingCharacters(in: .newlines)
        return line.hasPrefix("\(field)=") ? String(line.dropFirst(field.count + 1)) : line
    }
}
