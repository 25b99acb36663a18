import NIOCore
import StrongSwanCollectors
import TestSupport
import VICI

/// A ``VICIQuerying`` that answers from a ``SyntheticGateway`` in memory: streamed events are decoded from
/// their wire frames exactly as the connection would decode them off the socket, so a collector run through
/// it costs the decoding and mapping of a real poll without the socket. (Not a fake charon: no socket, no
/// protocol exchange; ``ScriptedCharon`` serves the same answers over VICI.)
public struct ReplayingVICI: VICIQuerying {
    /// Raised for a command the synthetic gateway does not know (or answers with anything but a response).
    public struct UnknownCommand: Error {
        public let command: String
    }

    public let gateway: SyntheticGateway

    public init(gateway: SyntheticGateway) {
        self.gateway = gateway
    }

    public func call(_ command: String, _ message: VICIMessage) async throws -> VICIMessage {
        try answer(command, message, event: nil) { _ in }
    }

    public func stream(
        _ command: String, event: String, _ message: VICIMessage, onEvent: (VICIMessage) throws -> Void
    ) async throws -> VICIMessage {
        try answer(command, message, event: event, onEvent: onEvent)
    }

    /// The response to `command`, handing the events named `event` to `onEvent` on the way.
    private func answer(
        _ command: String, _ message: VICIMessage, event: String?, onEvent: (VICIMessage) throws -> Void
    ) throws -> VICIMessage {
        switch gateway.reply(to: command, message) {
        case .response(let response):
            return response
        case .stream(let name, let events, let response):
            if name == event { try events.forEach(onEvent) }
            return response
        case .frames(let frames):
            let decoder = VICIFrameDecoder()
            for var frame in frames {
                guard let body = try decoder.nextFrame(from: &frame) else { continue }
                switch try VICIPacket.decode(body) {
                case .event(let name, let eventMessage) where name == event: try onEvent(eventMessage)
                case .commandResponse(let response): return response
                default: continue
                }
            }
            throw UnknownCommand(command: command)
        default:
            throw UnknownCommand(command: command)
        }
    }
}
