import StrongSwanCollectors
import VICI

/// The library's client is the poller's session: `call` and `close` match as they are; `stream` adapts the
/// optional event name.
extension VICIClient: VICISession {
    public func stream(
        _ command: String, event: String, _ message: VICIMessage, onEvent: (VICIMessage) throws -> Void
    ) async throws -> VICIMessage {
        let optionalEvent: String? = .some(event)
        return try await stream(command, event: optionalEvent, message, onEvent: onEvent)
    }
}
