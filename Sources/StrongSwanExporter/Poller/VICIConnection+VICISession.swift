import StrongSwanCollectors
import VICI

/// The VICI library's connection is the poller's session.
extension VICIConnection: VICISession {
    public func call(_ command: String, _ message: VICIMessage) async throws -> VICIMessage {
        try await call(command, message, timeout: nil, checkSuccess: true)
    }

    public func stream(
        _ command: String, event: String, _ message: VICIMessage, onEvent: (VICIMessage) throws -> Void
    ) async throws -> VICIMessage {
        try await stream(VICIStreamedCommand(command: command, event: event), message, timeout: nil) { event in
            try onEvent(event)
        }
    }
}
