import NIOCore

/// One queued exchange on a connection: optionally register a stream event, send the request, optionally
/// unregister. Lives on the channel's event loop only.
final class VICIOperation {
    enum Step {
        case register(String)
        case request(String, VICIMessage)
        case unregister(String)
    }

    let steps: [Step]
    var index = 0
    let streamEvent: String?
    let sink: AsyncThrowingStream<VICIInbound, any Error>.Continuation
    var response: VICIMessage?
    var error: VICIError?
    var streamedBytes = 0
    let maxStreamBytes: Int

    init(command: String, message: VICIMessage, streamEvent: String?, maxStreamBytes: Int,
         sink: AsyncThrowingStream<VICIInbound, any Error>.Continuation) {
        if let streamEvent {
            steps = [.register(streamEvent), .request(command, message), .unregister(streamEvent)]
        } else {
            steps = [.request(command, message)]
        }
        self.streamEvent = streamEvent
        self.maxStreamBytes = maxStreamBytes
        self.sink = sink
    }

    /// Registration-only operations (event subscriptions).
    init(register events: [String], sink: AsyncThrowingStream<VICIInbound, any Error>.Continuation) {
        steps = events.map { .register($0) }
        streamEvent = nil
        maxStreamBytes = 0
        self.sink = sink
    }

    var step: Step? { index < steps.count ? steps[index] : nil }

    /// Ends the operation: the response (or an empty message for registrations) or the first error.
    func finish() {
        if let error {
            sink.finish(throwing: error)
        } else {
            sink.yield(.response(response ?? VICIMessage()))
            sink.finish()
        }
    }

    func fail(_ error: VICIError) {
        sink.finish(throwing: error)
    }
}
