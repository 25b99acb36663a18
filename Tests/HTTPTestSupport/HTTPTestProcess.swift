import Foundation

/// Runs command-line tools (gzip, python3, openssl) for the HTTP tests.
public enum HTTPTestProcess {
    /// A command that exited non-zero.
    public struct Failure: Error, CustomStringConvertible {
        /// The command line.
        public var command: [String]
        /// Its exit status.
        public var status: Int32
        /// Its standard output and error.
        public var output: String
        /// The command, status and output.
        public var description: String { "\(self.command.joined(separator: " ")) exited \(self.status): \(self.output)" }
    }

    /// Runs `arguments` (the first is looked up on PATH), feeding `input` on standard input; returns standard output.
    public static func run(_ arguments: [String], input: [UInt8] = [], directory: URL? = nil) async throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let inputFile = FileManager.default.temporaryDirectory.appendingPathComponent("http-test-in-\(UUID().uuidString)")
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("http-test-out-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: inputFile)
            try? FileManager.default.removeItem(at: outputFile)
        }
        try Data(input).write(to: inputFile)
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let inputHandle = try FileHandle(forReadingFrom: inputFile)
        let outputHandle = try FileHandle(forWritingTo: outputFile)
        defer {
            try? inputHandle.close()
            try? outputHandle.close()
        }
        process.standardInput = inputHandle
        process.standardOutput = outputHandle
        process.standardError = outputHandle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { process in
                continuation.resume(returning: process.terminationStatus)
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let output = try Data(contentsOf: outputFile)
        guard status == 0 else {
            throw Failure(command: arguments, status: status, output: String(decoding: output, as: UTF8.self))
        }
        return Array(output)
    }
}
