import Foundation
import NIOCore
import NIOPosix
import Synchronization
@testable import VICI

/// A VICI server on a unix socket in a fresh temporary directory that plays charon — well by default, by
/// replaying frames captured from the real lab charon (`Tests/StrongSwanCollectorsTests/Fixtures/lab`), and
/// badly wherever a test's ``Script`` says so: raw bytes instead of answers, stalls, floods, disconnects.
///
/// The script can be replaced at any time (it is read on every packet), so a test switches the same server
/// from good to hostile and back while the agent keeps running against it.
final class HostileCharon: Sendable {
    /// What the server does besides answering like charon. Every closure runs on the connection's event
    /// loop; returning `true` means "handled" (the good default is skipped).
    struct Script: Sendable {
        /// A command request arrived.
        var onCommand: @Sendable (_ name: String, _ message: VICIMessage, _ session: HostileSession) -> Bool = { _, _, _ in false }
        /// An EVENT_REGISTER arrived (the default confirms the events charon knows).
        var onRegister: @Sendable (_ event: String, _ session: HostileSession) -> Bool = { _, _ in false }
        /// Called after the default handling of an EVENT_REGISTER was done (the confirmation is sent).
        var afterRegister: @Sendable (_ event: String, _ session: HostileSession) -> Void = { _, _ in }
        /// A client connected.
        var onConnect: @Sendable (_ session: HostileSession) -> Void = { _ in }
    }

    /// Events charon knows (registration is confirmed for these, EVENT_UNKNOWN otherwise).
    static let knownEvents: Set<String> = [
        "list-sa", "list-conn", "list-cert", "list-policy", "list-authority", "ike-updown", "ike-rekey", "ike-update",
        "child-updown", "child-rekey", "log", "control-log",
    ]

    /// The lab fixtures by command key (command plus its arguments, as the collectors send them).
    static let fixtureFiles = [
        "version": "version.vici", "stats": "stats.vici", "list-sas": "list-sas.vici", "list-conns": "list-conns.vici",
        "list-policies trap=yes": "list-policies-trap.vici", "get-counters all=yes": "get-counters-all.vici",
        "get-counters": "get-counters.vici", "get-pools": "get-pools.vici", "list-certs": "list-certs.vici",
    ]

    /// The fixture directory, found from this source file (the tests run from the source tree).
    static var fixtureDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("StrongSwanCollectorsTests/Fixtures/lab")
    }

    let directory: String
    let path: String
    var uri: String { "unix://" + path }
    private let serverChannel: any Channel
    private let state: Shared
    private let fixtures: [String: [[UInt8]]]

    private final class Shared: Sendable {
        let mutex = Mutex(State())
        func withLock<R>(_ body: (inout State) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    private struct State {
        var script = Script()
        var connections = 0
        var disconnects = 0
        var connectTimes: [ContinuousClock.Instant] = []
        var registrations: [String: Int] = [:]
        var commands: [String: Int] = [:]
        var open: [ObjectIdentifier: any Channel] = [:]
    }

    /// The script in force.
    var script: Script {
        get { state.withLock { $0.script } }
        set { state.withLock { $0.script = newValue } }
    }

    /// How many clients connected so far.
    var connections: Int { state.withLock { $0.connections } }
    /// How many client connections have closed so far.
    var disconnects: Int { state.withLock { $0.disconnects } }
    /// When each client connected.
    var connectTimes: [ContinuousClock.Instant] { state.withLock { $0.connectTimes } }
    /// How many EVENT_REGISTERs arrived per event name.
    func registrations(_ event: String) -> Int { state.withLock { $0.registrations[event] ?? 0 } }
    /// How many requests of `command` arrived.
    func commands(_ command: String) -> Int { state.withLock { $0.commands[command] ?? 0 } }

    init() async throws {
        var template = Array("/tmp/hostile-vici-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard created != nil else { throw VICIError(.connectFailed, "mkdtemp failed") }
        directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        path = directory + "/charon.vici"
        var fixtures: [String: [[UInt8]]] = [:]
        for (key, file) in Self.fixtureFiles {
            let data = try Data(contentsOf: Self.fixtureDirectory.appendingPathComponent(file))
            var buffer = ByteBuffer(bytes: data)
            var frames: [[UInt8]] = []
            while let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
                  let frame = buffer.readSlice(length: 4 + Int(length)) {
                frames.append(Array(frame.readableBytesView))
            }
            fixtures[key] = frames
        }
        self.fixtures = fixtures
        let state = Shared()
        self.state = state
        let replay = fixtures
        serverChannel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(VICIFrameDecoder(maxFrameLength: .max)))
                    try channel.pipeline.syncOperations.addHandler(HostileHandler(state: state, fixtures: replay))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true)
            .get()
    }

    /// Closes every client connection (charon going away without stopping to listen) and returns once the
    /// server has seen them close (bounded: at most 5 s).
    func dropClients() async {
        let (open, before) = state.withLock { (Array($0.open.values), $0.disconnects) }
        for channel in open { channel.close(promise: nil) }
        let deadline = ContinuousClock.now + .seconds(5)
        while disconnects < before + open.count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Stops listening, closes every client and removes the socket and its directory.
    func stop() async {
        try? await serverChannel.close()
        await dropClients()
        unlink(path)
        rmdir(directory)
    }

    fileprivate static func key(_ name: String, _ message: VICIMessage) -> String {
        ([name] + message.entries.map { entry -> String in
            if case .value(let bytes) = entry.element { return "\(entry.name)=\(String(decoding: bytes, as: UTF8.self))" }
            return entry.name
        }).joined(separator: " ")
    }

    private final class HostileHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let state: Shared
        let fixtures: [String: [[UInt8]]]
        var session: HostileSession?

        init(state: Shared, fixtures: [String: [[UInt8]]]) {
            self.state = state
            self.fixtures = fixtures
        }

        func channelActive(context: ChannelHandlerContext) {
            let session = HostileSession(context: context)
            self.session = session
            let script = state.withLock { state in
                state.connections += 1
                state.connectTimes.append(.now)
                state.open[ObjectIdentifier(context.channel)] = context.channel
                return state.script
            }
            script.onConnect(session)
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            session?.stopTimers()
            state.withLock { state in
                state.disconnects += 1
                _ = state.open.removeValue(forKey: ObjectIdentifier(context.channel))
            }
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = Self.unwrapInboundIn(data)
            guard let session, session.isOpen,
                  let packet = try? VICIPacket.decode(frame, options: VICICodingOptions(maxFrameLength: .max)) else {
                context.close(promise: nil)
                return
            }
            let script = state.withLock { $0.script }
            switch packet {
            case .commandRequest(let name, let message):
                state.withLock { $0.commands[name, default: 0] += 1 }
                if script.onCommand(name, message, session) { return }
                let key = HostileCharon.key(name, message)
                guard let frames = fixtures[key] else {
                    session.send(.commandUnknown)
                    return
                }
                for frame in frames {
                    // Streamed events go only to a client that registered them, as charon does.
                    if frame.count > 5, frame[4] == VICIPacket.PacketType.event.rawValue {
                        let nameLength = Int(frame[5])
                        let event = String(decoding: frame[6..<min(frame.count, 6 + nameLength)], as: UTF8.self)
                        guard session.registered.contains(event) else { continue }
                    }
                    session.sendRaw(frame, flush: false)
                }
                session.flush()
            case .eventRegister(let name):
                state.withLock { $0.registrations[name, default: 0] += 1 }
                if script.onRegister(name, session) { return }
                if HostileCharon.knownEvents.contains(name) {
                    session.registered.insert(name)
                    session.send(.eventConfirm)
                } else {
                    session.send(.eventUnknown)
                }
                script.afterRegister(name, session)
            case .eventUnregister(let name):
                session.send(session.registered.remove(name) != nil ? .eventConfirm : .eventUnknown)
            default:
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// One client connection as the script sees it (event loop only).
final class HostileSession: @unchecked Sendable {
    let context: ChannelHandlerContext
    /// Events this client registered.
    var registered = Set<String>()
    private var timer: Scheduled<Void>?
    private(set) var isOpen = true

    init(context: ChannelHandlerContext) {
        self.context = context
    }

    var eventLoop: any EventLoop { context.eventLoop }

    func send(_ packet: VICIPacket, flush: Bool = true) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        try? packet.encodeFrame(into: &buffer, options: VICICodingOptions(maxFrameLength: .max))
        sendRaw(buffer, flush: flush)
    }

    func sendRaw(_ bytes: [UInt8], flush: Bool = true) {
        sendRaw(context.channel.allocator.buffer(bytes: bytes), flush: flush)
    }

    func sendRaw(_ buffer: ByteBuffer, flush: Bool = true) {
        guard isOpen else { return }
        if flush {
            context.writeAndFlush(NIOAny(buffer), promise: nil)
        } else {
            context.write(NIOAny(buffer), promise: nil)
        }
    }

    func flush() { if isOpen { context.flush() } }

    /// Whether the socket's send buffer has room (the client keeps reading).
    var isWritable: Bool { context.channel.isWritable }

    /// Closes the connection.
    func close() {
        stopTimers()
        isOpen = false
        context.close(promise: nil)
    }

    /// Runs `body` now and then every `interval` until the connection closes or `body` returns false (one
    /// such loop per session).
    func every(_ interval: TimeAmount, _ body: @escaping (HostileSession) -> Bool) {
        guard isOpen, body(self), isOpen else { return }
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: interval) {
            self.every(interval, body)
        }
    }

    func stopTimers() {
        isOpen = false
        timer?.cancel()
        timer = nil
    }
}

/// Builds the raw bytes of frames and messages, well-formed or not.
enum RawVICI {
    static let sectionStart: UInt8 = 1, sectionEnd: UInt8 = 2, keyValue: UInt8 = 3
    static let listStart: UInt8 = 4, listItem: UInt8 = 5, listEnd: UInt8 = 6

    /// A length prefix (which need not match what follows) and the bytes.
    static func frame(_ payload: [UInt8], declaredLength: UInt32? = nil) -> [UInt8] {
        let length = declaredLength ?? UInt32(payload.count)
        return withUnsafeBytes(of: length.bigEndian, Array.init) + payload
    }

    /// A CMD_RESPONSE frame carrying `message` bytes.
    static func response(_ message: [UInt8]) -> [UInt8] {
        frame([VICIPacket.PacketType.commandResponse.rawValue] + message)
    }

    /// An EVENT frame named `name` carrying `message` bytes.
    static func event(_ name: String, _ message: [UInt8]) -> [UInt8] {
        frame([VICIPacket.PacketType.event.rawValue, UInt8(name.utf8.count)] + Array(name.utf8) + message)
    }

    static func name(_ name: [UInt8]) -> [UInt8] { [UInt8(name.count)] + name }
    static func kv(_ key: String, _ value: [UInt8]) -> [UInt8] {
        [keyValue] + name(Array(key.utf8)) + [UInt8(value.count >> 8), UInt8(value.count & 0xff)] + value
    }
    static func kv(_ key: String, _ value: String) -> [UInt8] { kv(key, Array(value.utf8)) }
    static func section(_ key: String, _ body: [UInt8]) -> [UInt8] { [sectionStart] + name(Array(key.utf8)) + body + [sectionEnd] }
    static func list(_ key: String, _ items: [String]) -> [UInt8] {
        [listStart] + name(Array(key.utf8))
            + items.flatMap { [listItem, UInt8($0.utf8.count >> 8), UInt8($0.utf8.count & 0xff)] + Array($0.utf8) }
            + [listEnd]
    }
}
