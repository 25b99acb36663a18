import VICI

/// What a collector needs from a VICI connection: a plain command and a streamed command.
///
/// The exporter's connection conforms to it; tests replay captured fixtures through it. Collectors never
/// see sockets.
public protocol VICIQuerying: Sendable {
    /// Runs `command` with `message` and returns the response message.
    func call(_ command: String, _ message: VICIMessage) async throws -> VICIMessage

    /// Runs a streamed `command`, handing each `event` message to `onEvent` as it arrives (without keeping
    /// them), and returns the final response message.
    func stream(
        _ command: String, event: String, _ message: VICIMessage,
        onEvent: (VICIMessage) throws -> Void
    ) async throws -> VICIMessage
}
