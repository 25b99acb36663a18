import NIOCore
import VICI

/// What a ``ScriptedCharon`` does with one command request: charon's answers (plain or streamed), and the
/// misbehaviour a real daemon cannot be made to show on demand (raw bytes, silence, a hang-up, delays).
public indirect enum CharonReply: Sendable {
    /// A CMD_RESPONSE carrying `message`.
    case response(VICIMessage)
    /// A streamed command: its `events`, sent only to a client that registered `event` (as charon does), then
    /// a CMD_RESPONSE carrying `response`.
    case stream(event: String, events: [VICIMessage], response: VICIMessage)
    /// Complete wire frames, in order (captured from charon, or encoded once up front for speed). EVENT frames
    /// go only to a client that registered their event, as charon does.
    case frames([ByteBuffer])
    /// CMD_UNKNOWN.
    case unknown
    /// These bytes, as they are (they need not be a frame, or a well-formed one).
    case raw([UInt8])
    /// Nothing: the request stays unanswered and the connection open.
    case silence
    /// Closes the connection.
    case close
    /// `reply`, `delay` after the request arrived. The connection keeps reading meanwhile, so the replies to
    /// later requests may overtake this one (as they never would with charon).
    case delayed(Duration, CharonReply)
    /// Each reply in turn (a ``delayed(_:_:)`` one holds back those after it).
    case sequence([CharonReply])
    /// EVENT `name` with `message` to every client of the server that registered `name` (charon raising an
    /// event while it handles a command).
    case push(event: String, message: VICIMessage)
}
