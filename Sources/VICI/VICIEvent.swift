/// One event charon raised: its name (e.g. `child-updown`) and message.
public struct VICIEvent: Sendable, Hashable {
    /// The event name.
    public var name: String
    /// The event's message.
    public var message: VICIMessage

    /// Creates an event.
    public init(name: String, message: VICIMessage) {
        self.name = name
        self.message = message
    }
}
