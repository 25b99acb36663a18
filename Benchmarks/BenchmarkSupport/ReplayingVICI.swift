import NIOCore
import StrongSwanCollectors
import VICI

/// A ``VICIQuerying`` that answers from a ``SyntheticCharon`` in memory: streamed events are decoded from
/// their wire frames exactly as the connection would decode them off the socket, so a collector run through
/// it costs the decoding and mapping of a real poll without the socket.
public struct ReplayingVICI: VICIQuerying {
    /// Raised for a command the synthetic charon does not know.
    public struct UnknownCommand: Error {
        public let command: String
    }

    public let charon: SyntheticCharon

    public init(charon: SyntheticCharon) {
        self.charon = charon
    }

    public func call(_ command: String, _ message: VICIMessage) async throws -> VICIMessage {
        switch charon.answer(command, message) {
        case .response(let response), .stream(_, _, let response): return response
        case .unknown: throw UnknownCommand(command: command)
        }
    }

    public func stream(
        _ command: String, event: String, _ message: VICIMessage, onEvent: (VICIMessage) throws -> Void
    ) async throws -> VICIMessage {
        switch charon.answer(command, message) {
        case .stream(_, let frames, let response):
            let decoder = VICIFrameDecoder()
            for var frame in frames {
                guard let body = try decoder.nextFrame(from: &frame) else { continue }
                if case .event(event, let eventMessage) = try VICIPacket.decode(body) { try onEvent(eventMessage) }
            }
            return response
        case .response(let response): return response
        case .unknown: throw UnknownCommand(command: command)
        }
    }
}
