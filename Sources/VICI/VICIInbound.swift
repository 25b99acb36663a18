/// What a command delivers to its caller: streamed events, then the response.
enum VICIInbound: Sendable {
    /// A streamed event (e.g. one `list-sa`).
    case event(name: String, message: VICIMessage)
    /// The command's response; the last element.
    case response(VICIMessage)
}
