import NIOCore
import NIOPosix
import NIOSSL

/// One response as read off the wire by ``HTTPTestConnection``.
public struct HTTPTestResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The header fields in order.
    public var headers: [(name: String, value: String)]
    /// The body bytes (none for a response to `HEAD`).
    public var body: [UInt8]

    /// The value of the first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every header named `name`.
    public func headers(named name: String) -> [String] {
        self.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: self.body, as: UTF8.self) }
}

/// Errors of the raw test client.
public enum HTTPTestClientError: Error {
    /// The connection closed before the whole response arrived.
    case closedMidResponse(received: String)
    /// The response head could not be parsed.
    case malformedResponse(String)
    /// ``withHTTPTestTimeout(seconds:_:)`` ran out of time.
    case timedOut
}

/// A raw HTTP/1.1 client connection for tests: sends exact bytes, parses responses itself.
public struct HTTPTestConnection {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    /// The writer of raw bytes to the server.
    public let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffer: [UInt8] = []
    /// Whether the server closed the connection (or it failed).
    public private(set) var isClosed = false

    fileprivate init(
        iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.iterator = iterator
        self.outbound = outbound
    }

    /// Sends `text` as is.
    public func send(_ text: String) async throws {
        try await self.outbound.write(ByteBuffer(string: text))
    }

    /// Sends a simple request with `Host` and the extra header lines.
    public func request(_ method: String = "GET", _ target: String, headers: [String] = []) async throws {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: test\r\n"
        for header in headers { text += header + "\r\n" }
        try await self.send(text + "\r\n")
    }

    /// Reads more bytes into the buffer; false at end of stream (or a connection error, which counts as closed).
    private mutating func fill() async -> Bool {
        if self.isClosed { return false }
        do {
            guard let chunk = try await self.iterator.next() else {
                self.isClosed = true
                return false
            }
            self.buffer += chunk.readableBytesView
            return true
        } catch {
            self.isClosed = true
            return false
        }
    }

    /// Reads one response; `nil` when the connection closed before any byte of it arrived.
    public mutating func readResponse(toHEAD: Bool = false) async throws -> HTTPTestResponse? {
        var headEnd: Int? = nil
        while true {
            if let end = Self.find([13, 10, 13, 10], in: self.buffer) {
                headEnd = end
                break
            }
            if !(await self.fill()) {
                if self.buffer.isEmpty { return nil }
                throw HTTPTestClientError.closedMidResponse(received: String(decoding: self.buffer, as: UTF8.self))
            }
        }
        guard let headEnd else { return nil }
        let headText = String(decoding: self.buffer[..<headEnd], as: UTF8.self)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).makeIterator()
        guard let statusLine = lines.next() else { throw HTTPTestClientError.malformedResponse(headText) }
        let statusParts = statusLine.split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw HTTPTestClientError.malformedResponse(headText)
        }
        var headers: [(name: String, value: String)] = []
        while let line = lines.next() {
            guard let colon = line.firstIndex(of: ":") else { throw HTTPTestClientError.malformedResponse(headText) }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        self.buffer.removeFirst(headEnd + 4)
        var response = HTTPTestResponse(status: status, headers: headers, body: [])
        let length = toHEAD ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
        while self.buffer.count < length {
            if !(await self.fill()) {
                throw HTTPTestClientError.closedMidResponse(received: String(decoding: self.buffer, as: UTF8.self))
            }
        }
        response.body = Array(self.buffer[..<length])
        self.buffer.removeFirst(length)
        return response
    }

    /// Reads until the server closes; returns whatever arrived.
    public mutating func readUntilClosed() async -> [UInt8] {
        while await self.fill() {}
        defer { self.buffer = [] }
        return self.buffer
    }

    /// Bytes received but not yet consumed.
    public var pendingBytes: [UInt8] { self.buffer }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

/// Connects to `127.0.0.1:port` (optionally over TLS), runs `body` on the connection, then closes it.
public func withHTTPTestConnection<Result: Sendable>(
    port: Int,
    host: String = "127.0.0.1",
    tls: NIOSSLContext? = nil,
    serverHostname: String? = "localhost",
    _ body: (inout HTTPTestConnection) async throws -> Result
) async throws -> Result {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: host, port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                if let tls {
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: tls, serverHostname: serverHostname)
                    )
                }
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        var connection = HTTPTestConnection(iterator: inbound.makeAsyncIterator(), outbound: outbound)
        return try await body(&connection)
    }
}

/// Runs `body`, failing with ``HTTPTestClientError/timedOut`` if it takes longer than `seconds` (a guard
/// against hangs, not a wait).
public func withHTTPTestTimeout<Result: Sendable>(
    seconds: Double = 20,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else {
            throw HTTPTestClientError.timedOut
        }
        return result
    }
}
