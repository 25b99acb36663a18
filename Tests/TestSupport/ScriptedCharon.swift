import Foundation
import NIOCore
import NIOPosix
import Synchronization
import VICI

/// A VICI server on a unix socket that plays charon by a ``CharonScript``: canned or streamed answers per
/// command, delays, hostile raw bytes, hang-ups, events pushed to subscribers. The one fake charon of the
/// tests and the benchmarks.
///
/// By default it listens in a fresh temporary directory, removed by ``stop()``. The script can be replaced at
/// any time (it is read for every packet), so a test switches the same server from good to hostile and back
/// while a client keeps running against it. The server counts connections, commands and registrations, and
/// (unless `recording` is off) hands every received packet and every new connection to the test in order
/// (``nextPacket()``, ``nextSession()``).
public final class ScriptedCharon: Sendable {
    /// The socket's path.
    public let path: String
    /// `unix://` and the socket's path.
    public var uri: String { "unix://" + path }
    /// The socket as a client's endpoint.
    public var endpoint: VICIEndpoint { .unix(path: path) }

    private let directory: String?
    private let serverChannel: any Channel
    private let shared: Shared

    /// The script in force.
    public var script: CharonScript {
        get { shared.state.withLock { $0.script } }
        set { shared.state.withLock { $0.script = newValue } }
    }

    /// How many clients connected so far.
    public var connections: Int { shared.state.withLock { $0.connectTimes.count } }
    /// How many client connections have closed so far.
    public var disconnects: Int { shared.state.withLock { $0.disconnects } }
    /// When each client connected.
    public var connectTimes: [ContinuousClock.Instant] { shared.state.withLock { $0.connectTimes } }
    /// How many requests of `command` arrived.
    public func commands(_ command: String) -> Int { shared.state.withLock { $0.commands[command] ?? 0 } }
    /// How many EVENT_REGISTERs of `event` arrived.
    public func registrations(_ event: String) -> Int { registrationTimes(event).count }
    /// When each EVENT_REGISTER of `event` arrived.
    public func registrationTimes(_ event: String) -> [ContinuousClock.Instant] {
        shared.state.withLock { $0.registrations[event] ?? [] }
    }

    /// Listens on `path` (default: `charon.vici` in a fresh temporary directory) and plays `script`.
    ///
    /// - Parameters:
    ///   - maxFrameLength: the longest frame accepted from a client (longer ones close the connection).
    ///   - recording: whether received packets and new connections are kept for ``nextPacket()`` and
    ///     ``nextSession()`` (turn it off for a long-running server).
    public convenience init(
        script: CharonScript = CharonScript(), path: String? = nil, maxFrameLength: Int = .max, recording: Bool = true
    ) async throws {
        let (directory, socket) = try Self.socketPath(path)
        let shared = Shared(script: script, recording: recording)
        let channel = try await Self.bootstrap(shared: shared, maxFrameLength: maxFrameLength)
            .bind(unixDomainSocketPath: socket, cleanupExistingSocketFile: true).get()
        self.init(directory: directory, path: socket, channel: channel, shared: shared)
    }

    /// Like ``init(script:path:maxFrameLength:recording:)``, for synchronous callers (blocks while binding).
    public static func listening(
        script: CharonScript = CharonScript(), path: String? = nil, maxFrameLength: Int = .max, recording: Bool = true
    ) throws -> ScriptedCharon {
        let (directory, socket) = try socketPath(path)
        let shared = Shared(script: script, recording: recording)
        let channel = try bootstrap(shared: shared, maxFrameLength: maxFrameLength)
            .bind(unixDomainSocketPath: socket, cleanupExistingSocketFile: true).wait()
        return ScriptedCharon(directory: directory, path: socket, channel: channel, shared: shared)
    }

    private init(directory: String?, path: String, channel: any Channel, shared: Shared) {
        self.directory = directory
        self.path = path
        self.serverChannel = channel
        self.shared = shared
    }

    /// The next packet any client sent (waits for it); `nil` once stopped.
    public func nextPacket() async -> VICIPacket? {
        await shared.packets.next()
    }

    /// Packets received until (and including) the first one matching `predicate`.
    public func packets(until predicate: (VICIPacket) -> Bool) async -> [VICIPacket] {
        var seen: [VICIPacket] = []
        while let packet = await nextPacket() {
            seen.append(packet)
            if predicate(packet) { break }
        }
        return seen
    }

    /// The next client connection (waits for it); `nil` once stopped.
    public func nextSession() async -> CharonSessionHandle? {
        await shared.sessions.next()
    }

    /// Sends EVENT `name` with `message` to every connected client that registered `name`.
    public func push(event name: String, message: VICIMessage) {
        shared.push(name, message)
    }

    /// Closes every client connection (charon going away without ceasing to listen) and returns once the
    /// server has seen them close (bounded: at most 10 s).
    public func dropClients() async {
        let (open, before) = shared.state.withLock { (Array($0.open.values), $0.disconnects) }
        for session in open { session.eventLoop.execute { session.close() } }
        let deadline = ContinuousClock.now + .seconds(10)
        while disconnects < before + open.count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Returns once the server has stopped listening (after ``stop()``; a server process waits here).
    public func closed() async {
        try? await serverChannel.closeFuture.get()
    }

    /// Stops listening, closes every client and removes the socket (and the temporary directory).
    public func stop() async {
        try? await serverChannel.close()
        await dropClients()
        finish()
    }

    /// ``stop()`` for synchronous callers (blocks).
    public func stopListening() {
        try? serverChannel.close().wait()
        let open = shared.state.withLock { Array($0.open.values) }
        for session in open { session.eventLoop.execute { session.close() } }
        finish()
    }

    private func finish() {
        shared.packets.finish()
        shared.sessions.finish()
        unlink(path)
        if let directory { rmdir(directory) }
    }

    // MARK: - Set-up

    private static func socketPath(_ path: String?) throws -> (directory: String?, path: String) {
        if let path { return (nil, path) }
        // Under /tmp, not $TMPDIR: a unix socket path has at most 107 bytes.
        var template = Array("/tmp/charon-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard created != nil else { throw VICIError(.connectFailed, "mkdtemp failed: errno \(errno)") }
        let directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (directory, directory + "/charon.vici")
    }

    private static func bootstrap(shared: Shared, maxFrameLength: Int) -> ServerBootstrap {
        ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(VICIFrameDecoder(maxFrameLength: maxFrameLength)))
                    try channel.pipeline.syncOperations.addHandler(
                        ScriptedCharonHandler(shared: shared, maxFrameLength: maxFrameLength))
                }
            }
    }

    /// What the server and its connections share.
    final class Shared: Sendable {
        struct State {
            var script: CharonScript
            var disconnects = 0
            var connectTimes: [ContinuousClock.Instant] = []
            var registrations: [String: [ContinuousClock.Instant]] = [:]
            var commands: [String: Int] = [:]
            var open: [ObjectIdentifier: CharonSession] = [:]
        }

        let state: Mutex<State>
        let recording: Bool
        let packets = AsyncMailbox<VICIPacket>()
        let sessions = AsyncMailbox<CharonSessionHandle>()

        init(script: CharonScript, recording: Bool) {
            state = Mutex(State(script: script))
            self.recording = recording
        }

        func push(_ name: String, _ message: VICIMessage) {
            let open = state.withLock { Array($0.open.values) }
            for session in open {
                session.eventLoop.execute { session.sendEventIfRegistered(name, message) }
            }
        }
    }
}
