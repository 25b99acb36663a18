/// Outbound user events that tell ``HTTPConnectionGuard`` where a connection is in its request cycle.
enum HTTPConnectionEvent: Sendable {
    /// A complete request head was decoded and handed to the server.
    case requestHeadReceived
    /// The server is writing the end of a response; the connection is idle from now on.
    case responseCompleted
    /// Graceful shutdown began: close the connection now if it is idle.
    case shutdownRequested
}
