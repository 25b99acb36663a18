import Foundation
import NIOCore
import StrongSwanCollectors
import VICI

/// Replays VICI exchanges captured from a real charon with `strongswan_exporter vici COMMAND --save FILE`:
/// each fixture file holds the streamed EVENT packets and then the CMD_RESPONSE, as frames.
struct FixtureVICI: VICIQuerying {
    /// Fixture file name per command (and arguments), e.g. `"get-counters all=yes": "get-counters-all.vici"`.
    let files: [String: String]
    let directory: URL

    init(directory: URL, files: [String: String]) {
        self.directory = directory
        self.files = files
    }

    static func key(_ command: String, _ message: VICIMessage) -> String {
        ([command] + message.entries.map { entry -> String in
            if case .value(let bytes) = entry.element { return "\(entry.name)=\(String(decoding: bytes, as: UTF8.self))" }
            return entry.name
        }).joined(separator: " ")
    }

    func packets(_ command: String, _ message: VICIMessage) throws -> [VICIPacket] {
        let key = Self.key(command, message)
        guard let file = files[key] else { throw VICIError(.unknownCommand, "no fixture for '\(key)'") }
        var buffer = ByteBuffer(bytes: try Data(contentsOf: directory.appendingPathComponent(file)))
        var packets: [VICIPacket] = []
        while let length = buffer.readInteger(as: UInt32.self) {
            guard let frame = buffer.readSlice(length: Int(length)) else { throw VICIError(.truncated, "fixture \(file)") }
            packets.append(try VICIPacket.decode(frame))
        }
        return packets
    }

    func call(_ command: String, _ message: VICIMessage) async throws -> VICIMessage {
        for packet in try packets(command, message) {
            if case .commandResponse(let response) = packet { return response }
        }
        throw VICIError(.truncated, "fixture for \(command) has no response")
    }

    func stream(_ command: String, event: String, _ message: VICIMessage, onEvent: (VICIMessage) throws -> Void)
        async throws -> VICIMessage
    {
        for packet in try packets(command, message) {
            switch packet {
            case .event(_, let message): try onEvent(message)
            case .commandResponse(let response): return response
            default: break
            }
        }
        throw VICIError(.truncated, "fixture for \(command) has no response")
    }
}
