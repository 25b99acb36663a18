import Foundation
import NIOCore
import VICI

/// Reads files of VICI wire frames captured from the lab's charon (the test fixtures): each file is a
/// sequence of 4-byte big-endian length prefixes, each followed by one packet.
public enum CapturedFrames {
    /// Why a capture could not be used.
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The raw bytes of the file at `path`.
    public static func bytes(at path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read \(path)")
        }
        return [UInt8](data)
    }

    /// The packets of the file at `path`, in order.
    public static func packets(at path: String) throws -> [VICIPacket] {
        var buffer = ByteBuffer(bytes: try bytes(at: path))
        let decoder = VICIFrameDecoder()
        var packets: [VICIPacket] = []
        while let frame = try decoder.nextFrame(from: &buffer) {
            packets.append(try VICIPacket.decode(frame))
        }
        guard buffer.readableBytes == 0 else {
            throw LoadError(description: "\(path): \(buffer.readableBytes) trailing bytes after the last frame")
        }
        return packets
    }

    /// The messages of the `event` packets named `name` in the file at `path`.
    public static func events(named name: String, at path: String) throws -> [VICIMessage] {
        try packets(at: path).compactMap { packet in
            if case .event(name, let message) = packet { return message }
            return nil
        }
    }

    /// The message of the first CMD_RESPONSE in the file at `path`.
    public static func response(at path: String) throws -> VICIMessage {
        for packet in try packets(at: path) {
            if case .commandResponse(let message) = packet { return message }
        }
        throw LoadError(description: "\(path): no CMD_RESPONSE")
    }
}
