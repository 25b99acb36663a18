import Foundation
import NIOCore
import VICI

/// Answers of the lab's real charon 5.9.8, captured as VICI wire frames (`Tests/StrongSwanCollectorsTests/
/// Fixtures/lab`, one file per command: 4-byte big-endian length prefixes, each followed by one packet), for a
/// ``ScriptedCharon`` that answers like the daemon does.
public enum LabCaptures {
    /// Why a capture could not be used.
    public struct LoadError: Error, CustomStringConvertible {
        /// What went wrong, with the file.
        public let description: String
    }

    /// The capture files by reply key (the command with its arguments, as the collectors send them; see
    /// ``CharonScript/key(_:_:)``).
    public static let files = [
        "version": "version.vici", "stats": "stats.vici", "list-sas": "list-sas.vici", "list-conns": "list-conns.vici",
        "list-policies trap=yes": "list-policies-trap.vici", "get-counters all=yes": "get-counters-all.vici",
        "get-counters": "get-counters.vici", "get-pools": "get-pools.vici", "list-certs": "list-certs.vici",
        "get-conns": "get-conns.vici", "list-authorities": "list-authorities.vici",
        caLookup: "list-certs-subject-second-ca.vici",
    ]

    /// The reply key of the authorities collector's look-up of the lab authority's CA certificate (`list-certs`
    /// filtered by the subject `list-authorities` names).
    public static let caLookup = "list-certs type=X509 subject=C=CH, O=strongswan-lab, CN=strongswan-lab Second CA"

    /// The capture directory in the source tree (found from this file: tests and benchmarks run from it).
    public static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("StrongSwanCollectorsTests/Fixtures/lab").path
    }

    /// The complete frames of `file` under `directory`, in order.
    public static func frames(_ file: String, in directory: String = LabCaptures.directory) throws -> [ByteBuffer] {
        let path = directory + "/" + file
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(description: "cannot read \(path)") }
        var buffer = ByteBuffer(bytes: data)
        var frames: [ByteBuffer] = []
        while let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
              let frame = buffer.readSlice(length: 4 + Int(length)) {
            frames.append(frame)
        }
        guard buffer.readableBytes == 0 else {
            throw LoadError(description: "\(path): \(buffer.readableBytes) trailing bytes after the last frame")
        }
        return frames
    }

    /// Every capture as a reply (``CharonReply/frames(_:)``), by reply key.
    public static func replies(in directory: String = LabCaptures.directory) throws -> [String: CharonReply] {
        var replies: [String: CharonReply] = [:]
        for (key, file) in files { replies[key] = .frames(try frames(file, in: directory)) }
        return replies
    }

    /// The message bytes (after the name) of the first EVENT in the capture of `key`.
    public static func firstEventMessage(_ key: String, in directory: String = LabCaptures.directory) throws -> [UInt8] {
        guard let file = files[key] else { throw LoadError(description: "no capture for \(key)") }
        for var frame in try frames(file, in: directory) {
            guard frame.readInteger(as: UInt32.self) != nil else { continue }
            if case .event(let name, _) = try VICIPacket.decode(frame) {
                return Array(frame.readableBytesView.dropFirst(2 + name.utf8.count))
            }
        }
        throw LoadError(description: "no event in \(file)")
    }
}
