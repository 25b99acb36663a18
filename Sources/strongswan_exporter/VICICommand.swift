import ArgumentParser
import Foundation
import NIOCore
import StrongSwanExporter
import VICI

/// `vici`: run any VICI command and print the response tree (like `swanctl --raw`); the way test fixtures
/// are captured from a real daemon.
struct VICICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vici",
        abstract: "Run one VICI command against charon and print the response (and streamed events).",
        discussion: """
            Arguments are key=value pairs; a.b=value nests into section a; repeating a key makes a list. \
            Example: strongswan_exporter vici list-sas --stream list-sa; strongswan_exporter vici get-counters all=yes
            """)

    @Option(name: .customLong("vici.socket"), help: "VICI endpoint: unix:///path or tcp://host:port.")
    var viciSocket: String = "unix:///var/run/charon.vici"

    @Option(name: .customLong("vici.timeout"), help: "Idle timeout of the command (e.g. 10s).")
    var viciTimeout: String = "10s"

    @Option(name: .customLong("stream"), help: "Event to register for and print while the command runs (e.g. list-sa).")
    var stream: String?

    @Flag(name: .customLong("pretty"), help: "Indented output instead of one line per message.")
    var pretty = false

    @Option(name: .customLong("save"),
            help: "Also write the streamed events and the response, as VICI frames (EVENT packets, then CMD_RESPONSE), to this file: a test fixture.")
    var save: String?

    @Argument(help: "The command, e.g. version, stats, list-sas.")
    var command: String

    @Argument(help: "Arguments as key=value.")
    var arguments: [String] = []

    func run() async throws {
        var message = VICIMessage()
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "=") else {
                throw ValidationError("'\(argument)' is not key=value")
            }
            let path = argument[..<equals].split(separator: ".").map(String.init)
            guard !path.isEmpty, path.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 255 }) else {
                throw ValidationError("'\(argument)': bad key")
            }
            Self.insert(String(argument[argument.index(after: equals)...]), at: path[...], into: &message)
        }
        let endpoint = try VICIEndpoint(uri: viciSocket)
        let client = try await VICIClient.connect(to: endpoint, timeout: DurationParser.parse(viciTimeout) ?? .seconds(10))
        let pretty = self.pretty
        let streamName = stream
        var frames = ByteBuffer()
        do {
            let response = try await client.stream(command, event: stream, message) { event in
                print("\(streamName ?? "") event:\n" + VICIPrinter.render(event, pretty: pretty))
                try VICIPacket.event(name: streamName ?? "", message: event).encodeFrame(into: &frames)
            }
            print("\(command) reply:\n" + VICIPrinter.render(response, pretty: pretty))
            try VICIPacket.commandResponse(response).encodeFrame(into: &frames)
            if let save {
                guard FileManager.default.createFile(atPath: save, contents: Data(frames.readableBytesView)) else {
                    throw ValidationError("cannot write \(save)")
                }
            }
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    }

    static func insert(_ value: String, at path: ArraySlice<String>, into message: inout VICIMessage) {
        guard let key = path.first else { return }
        if path.count == 1 {
            switch message[key] {
            case .value(let existing)?: message[key] = .list([existing, Array(value.utf8)])
            case .list(var items)?: items.append(Array(value.utf8)); message[key] = .list(items)
            default: message[key] = .value(value)
            }
            return
        }
        var section = message.section(key) ?? VICIMessage()
        insert(value, at: path.dropFirst(), into: &section)
        message[key] = .section(section)
    }
}

/// Renders a message like `swanctl --raw` (`{key=value sec {…} list=[a b]}`) or indented.
enum VICIPrinter {
    static func render(_ message: VICIMessage, pretty: Bool, indent: String = "") -> String {
        if !pretty {
            return "{" + message.entries.map { entry -> String in
                switch entry.element {
                case .value(let bytes): return "\(entry.name)=\(text(bytes))"
                case .list(let items): return "\(entry.name)=[" + items.map(text).joined(separator: " ") + "]"
                case .section(let section): return "\(entry.name) " + render(section, pretty: false)
                }
            }.joined(separator: " ") + "}"
        }
        var lines: [String] = []
        for entry in message.entries {
            switch entry.element {
            case .value(let bytes): lines.append("\(indent)\(entry.name) = \(text(bytes))")
            case .list(let items):
                lines.append("\(indent)\(entry.name) = [")
                for item in items { lines.append("\(indent)  \(text(item))") }
                lines.append("\(indent)]")
            case .section(let section):
                lines.append("\(indent)\(entry.name) {")
                let inner = render(section, pretty: true, indent: indent + "  ")
                if !inner.isEmpty { lines.append(inner) }
                lines.append("\(indent)}")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func text(_ bytes: [UInt8]) -> String {
        if let string = String(validating: bytes, as: UTF8.self),
           string.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }) {
            return string
        }
        return "0x" + bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}
