import NIOCore

/// Sizes and timeouts that bound what a client can make the metrics HTTP server hold.
///
/// The defaults suit Prometheus scraping; tests shorten the timeouts.
public struct HTTPServerLimits: Sendable, Hashable {
    /// The most bytes of a request head (request line and header fields) the server reads before it
    /// answers `431 Request Header Fields Too Large` and closes the connection. Default 8 KiB.
    public var maxRequestHeadBytes: Int = 8 * 1024
    /// The most request body bytes read and discarded before the server answers `413` and closes. Default 16 KiB.
    public var maxRequestBodyBytes: Int = 16 * 1024
    /// The most connections open at once; more are closed as soon as they are accepted (and counted). Default 64.
    public var maxConnections: Int = 64
    /// How long a client has, from the connection's start (including a TLS handshake) or from the first byte of a
    /// later request, to send a complete request head; slower clients (slowloris) are cut off. Default 10 s.
    public var requestHeadTimeout: TimeAmount = .seconds(10)
    /// How long a keep-alive connection may sit between requests before it is closed. Default 120 s.
    public var idleTimeout: TimeAmount = .seconds(120)
    /// How long the server may take from a complete request head until its response has been handed to the
    /// connection, including reading a request body. Default 30 s.
    public var responseTimeout: TimeAmount = .seconds(30)
    /// How long graceful shutdown waits for in-flight requests before closing every connection. Default 10 s.
    public var shutdownGracePeriod: TimeAmount = .seconds(10)

    /// The defaults.
    public init() {}

    /// Creates limits, keeping the default for every argument left out.
    public init(
        maxRequestHeadBytes: Int = 8 * 1024,
        maxRequestBodyBytes: Int = 16 * 1024,
        maxConnections: Int = 64,
        requestHeadTimeout: TimeAmount = .seconds(10),
        idleTimeout: TimeAmount = .seconds(120),
        responseTimeout: TimeAmount = .seconds(30),
        shutdownGracePeriod: TimeAmount = .seconds(10)
    ) {
        self.maxRequestHeadBytes = maxRequestHeadBytes
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxConnections = maxConnections
        self.requestHeadTimeout = requestHeadTimeout
        self.idleTimeout = idleTimeout
        self.responseTimeout = responseTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
