import NIOCore
import NIOPosix
@testable import VICI

/// An in-process VICI server on a unix socket in a fresh temporary directory, for behaviour a real daemon
/// cannot be made to show on demand (hanging, closing mid-frame, interleaving events at chosen moments).
///
/// Every packet it receives is recorded in order (``nextPacket()``); what it answers is decided by a script
/// that runs on the connection's event loop.
final class FakeVICIServer {
    /// Decides what to do with a received packet; runs on the connection's event loop.
    typealias Script = @Sendable (VICIPacket, FakeSession) -> Void

    let directory: String
    let path: String
    var endpoint: VICIEndpoint { .unix(path: path) }
    private let serverChannel: any Channel
    private var packets: AsyncStream<VICIPacket>.AsyncIterator
    private var sessions: AsyncStream<FakeSessionHandle>.AsyncIterator

    init(script: @escaping Script) async throws {
        var template = Array("/tmp/vici-test-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }
        }
        guard created != nil else { throw VICIError(.connectFailed, "mkdtemp failed") }
        directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        path = directory + "/charon.vici"
        let (packetStream, packetContinuation) = AsyncStream.makeStream(of: VICIPacket.self)
        let (sessionStream, sessionContinuation) = AsyncStream.makeStream(of: FakeSessionHandle.self)
        packets = packetStream.makeAsyncIterator()
        sessions = sessionStream.makeAsyncIterator()
        serverChannel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(VICIFrameDecoder(maxFrameLength: .max)))
                    try channel.pipeline.syncOperations.addHandler(
                        FakeServerHandler(script: script, packets: packetContinuation, sessions: sessionContinuation))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true)
            .get()
    }

    /// The next packet any client sent (waits for it).
    func nextPacket() async -> VICIPacket? {
        await packets.next()
    }

    /// Packets received until (and including) the first one matching `predicate`.
    func packets(until predicate: (VICIPacket) -> Bool) async -> [VICIPacket] {
        var seen: [VICIPacket] = []
        while let packet = await packets.next() {
            seen.append(packet)
            if predicate(packet) { break }
        }
        return seen
    }

    /// The next client connection (waits for it).
    func nextSession() async -> FakeSessionHandle? {
        await sessions.next()
    }

    func stop() async {
        try? await serverChannel.close()
        unlink(path)
        rmdir(directory)
    }
}

/// A server-side connection as seen by a script (event loop only).
final class FakeSession {
    let context: ChannelHandlerContext
    /// Events this client registered (maintained by ``FakeCharon``).
    var registered = Set<String>()
    /// Free-form state for scripts.
    var state: [String: Int] = [:]

    init(context: ChannelHandlerContext) {
        self.context = context
    }

    func send(_ packet: VICIPacket, flush: Bool = true) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        // Test scripts only send encodable packets; a failure shows up as a missing answer.
        try? packet.encodeFrame(into: &buffer, options: VICICodingOptions(maxFrameLength: .max))
        sendRaw(buffer, flush: flush)
    }

    func sendRaw(_ bytes: [UInt8], flush: Bool = true) {
        sendRaw(context.channel.allocator.buffer(bytes: bytes), flush: flush)
    }

    func sendRaw(_ buffer: ByteBuffer, flush: Bool = true) {
        if flush {
            context.writeAndFlush(NIOAny(buffer), promise: nil)
        } else {
            context.write(NIOAny(buffer), promise: nil)
        }
    }

    func close() {
        context.close(promise: nil)
    }
}

/// A handle on a server-side connection for the test's own task.
struct FakeSessionHandle: Sendable {
    let channel: any Channel

    func send(_ packets: [VICIPacket]) {
        var buffer = channel.allocator.buffer(capacity: 256)
        for packet in packets {
            try? packet.encodeFrame(into: &buffer, options: VICICodingOptions(maxFrameLength: .max))
        }
        channel.writeAndFlush(buffer, promise: nil)
    }

    func close() async {
        try? await channel.close()
    }
}

private final class FakeServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let script: FakeVICIServer.Script
    let packets: AsyncStream<VICIPacket>.Continuation
    let sessions: AsyncStream<FakeSessionHandle>.Continuation
    var session: FakeSession?

    init(script: @escaping FakeVICIServer.Script, packets: AsyncStream<VICIPacket>.Continuation,
         sessions: AsyncStream<FakeSessionHandle>.Continuation) {
        self.script = script
        self.packets = packets
        self.sessions = sessions
    }

    func channelActive(context: ChannelHandlerContext) {
        session = FakeSession(context: context)
        sessions.yield(FakeSessionHandle(channel: context.channel))
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        guard let session, let packet = try? VICIPacket.decode(frame, options: VICICodingOptions(maxFrameLength: .max)) else {
            context.close(promise: nil)
            return
        }
        packets.yield(packet)
        script(packet, session)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// A scriptable imitation of charon's dispatcher: canned responses, streamed commands that emit their events
/// only to registered clients (as charon does), registration bookkeeping with EVENT_UNKNOWN for unknown or
/// unregistered events, CMD_UNKNOWN for unknown commands.
struct FakeCharon: Sendable {
    var responses: [String: VICIMessage] = [
        "version": VICIMessage([
            .init("daemon", .value("charon")), .init("version", .value("5.9.8")),
            .init("sysname", .value("Linux")), .init("release", .value("6.1.0")), .init("machine", .value("x86_64")),
        ]),
        "get-counters": VICIMessage([
            .init("counters", .section(VICIMessage([.init("", .section(VICIMessage([.init("ike-rekey-init", .value("7"))])))]))),
            .init("success", .value("yes")),
        ]),
        "reset-counters": VICIMessage([.init("success", .value("no")), .init("errmsg", .value("no counters available (plugin missing?)"))]),
    ]
    var streams: [String: (event: String, events: [VICIMessage])] = [
        "list-sas": ("list-sa", (1...3).map { i in
            VICIMessage([.init("site-\(i)", .section(VICIMessage([.init("uniqueid", .value("\(i)")), .init("state", .value("ESTABLISHED"))])))])
        }),
    ]
    var knownEvents: Set<String> = ["list-sa", "list-conn", "list-cert", "list-policy", "list-authority",
                                    "ike-updown", "ike-rekey", "ike-update", "child-updown", "child-rekey", "log"]

    /// Handles `packet` like charon would; returns `false` for packets it has no rule for.
    @discardableResult
    func handle(_ packet: VICIPacket, _ session: FakeSession) -> Bool {
        switch packet {
        case .commandRequest(let name, _):
            if let response = responses[name] {
                session.send(.commandResponse(response))
            } else if let stream = streams[name] {
                if session.registered.contains(stream.event) {
                    for event in stream.events { session.send(.event(name: stream.event, message: event), flush: false) }
                }
                session.send(.commandResponse(VICIMessage()))
            } else {
                session.send(.commandUnknown)
            }
        case .eventRegister(let name):
            if knownEvents.contains(name) {
                session.registered.insert(name)
                session.send(.eventConfirm)
            } else {
                session.send(.eventUnknown)
            }
        case .eventUnregister(let name):
            if session.registered.remove(name) != nil {
                session.send(.eventConfirm)
            } else {
                session.send(.eventUnknown)
            }
        default:
            return false
        }
        return true
    }
}

