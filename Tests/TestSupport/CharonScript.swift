import VICI

/// How a ``ScriptedCharon`` plays charon: a reply per command (``replies``, then ``answer``, else
/// CMD_UNKNOWN), registration of the events charon knows, and hooks that run before (or after) the default
/// handling so a test can misbehave exactly where it wants.
///
/// Every hook runs on the connection's event loop; a hook returning `true` means "handled": the default is
/// skipped.
public struct CharonScript: Sendable {
    /// Handles every packet by itself (``init(handler:)``).
    public typealias Handler = @Sendable (_ packet: VICIPacket, _ session: CharonSession) -> Void
    /// Handles a whole packet before anything else.
    public typealias PacketHook = @Sendable (_ packet: VICIPacket, _ session: CharonSession) -> Bool
    /// Handles a command request before the reply tables.
    public typealias CommandHook = @Sendable (_ name: String, _ message: VICIMessage, _ session: CharonSession) -> Bool
    /// Handles an EVENT_REGISTER before the default confirmation.
    public typealias RegisterHook = @Sendable (_ event: String, _ session: CharonSession) -> Bool

    /// The events charon 5.9 raises (registration is confirmed for these, EVENT_UNKNOWN otherwise).
    public static let charonEvents: Set<String> = [
        "list-sa", "list-conn", "list-cert", "list-policy", "list-authority", "ike-updown", "ike-rekey", "ike-update",
        "child-updown", "child-rekey", "log", "control-log",
    ]

    /// Replies by ``key(_:_:)`` (the command with its key/value arguments, e.g. `get-counters all=yes`) or
    /// by command name alone; the full key wins.
    public var replies: [String: CharonReply]
    /// Consulted for commands ``replies`` has no entry for.
    public var answer: (@Sendable (_ command: String, _ message: VICIMessage) -> CharonReply?)?
    /// The events whose registration is confirmed; `nil` confirms every name.
    public var knownEvents: Set<String>?
    /// A client connected.
    public var onConnect: @Sendable (_ session: CharonSession) -> Void = { _ in }
    /// Any packet arrived (before the default handling).
    public var onPacket: PacketHook = { _, _ in false }
    /// A command request arrived (before the reply tables).
    public var onCommand: CommandHook = { _, _, _ in false }
    /// An EVENT_REGISTER arrived (before the default confirmation).
    public var onRegister: RegisterHook = { _, _ in false }
    /// After the default handling of an EVENT_REGISTER (the confirmation is sent).
    public var afterRegister: @Sendable (_ event: String, _ session: CharonSession) -> Void = { _, _ in }
    /// After the reply from the tables to `command` was written (after its delay, if any).
    public var onReplied: @Sendable (_ command: String, _ session: CharonSession) -> Void = { _, _ in }

    /// A script answering `replies` (then `answer`) and confirming `knownEvents`.
    public init(
        replies: [String: CharonReply] = [:], knownEvents: Set<String>? = CharonScript.charonEvents,
        answer: (@Sendable (_ command: String, _ message: VICIMessage) -> CharonReply?)? = nil
    ) {
        self.replies = replies
        self.knownEvents = knownEvents
        self.answer = answer
    }

    /// A script that leaves every packet to `handler` (nothing is answered unless it answers).
    public init(handler: @escaping Handler) {
        self.init(replies: [:])
        onPacket = { packet, session in
            handler(packet, session)
            return true
        }
    }

    /// The reply tables' answer to `command` with `message` (no hooks).
    public func reply(to command: String, _ message: VICIMessage) -> CharonReply {
        replies[Self.key(command, message)] ?? replies[command] ?? answer?(command, message) ?? .unknown
    }

    /// Handles `packet` as charon would (hooks first); returns `false` for a packet no daemon expects from a
    /// client (a response, an event…), which the server answers by closing the connection.
    @discardableResult
    public func handle(_ packet: VICIPacket, _ session: CharonSession) -> Bool {
        if onPacket(packet, session) { return true }
        switch packet {
        case .commandRequest(let name, let message):
            if onCommand(name, message, session) { return true }
            session.perform(reply(to: name, message)) { onReplied(name, session) }
        case .eventRegister(let name):
            if onRegister(name, session) { return true }
            if knownEvents?.contains(name) ?? true {
                session.registered.insert(name)
                session.send(.eventConfirm)
            } else {
                session.send(.eventUnknown)
            }
            afterRegister(name, session)
        case .eventUnregister(let name):
            session.send(session.registered.remove(name) != nil ? .eventConfirm : .eventUnknown)
        default:
            return false
        }
        return true
    }

    /// `name` followed by `message`'s key/value arguments as `key=value` (sections and lists by name only),
    /// separated by spaces: the key of ``replies``.
    public static func key(_ name: String, _ message: VICIMessage) -> String {
        ([name] + message.entries.map { entry -> String in
            if case .value(let bytes) = entry.element { return "\(entry.name)=\(String(decoding: bytes, as: UTF8.self))" }
            return entry.name
        }).joined(separator: " ")
    }
}
