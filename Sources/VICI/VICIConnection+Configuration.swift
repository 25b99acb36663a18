import Logging
import NIOCore
import NIOPosix

extension VICIConnection {
    /// Settings of a ``VICIConnection``; every property has a sensible default.
    public struct Configuration: Sendable {
        /// The event loop group the connection's channel runs on (default: NIO's shared singleton).
        public var eventLoopGroup: any EventLoopGroup

        /// How long connecting may take before it fails with ``VICIError/Code/connectFailed``.
        public var connectTimeout: TimeAmount

        /// The default deadline of each operation, measured from the moment it is submitted (so time spent
        /// queued behind other commands counts). A command that is still queued when its deadline passes is
        /// simply removed (``VICIError/Code/timeout``, the connection stays usable); a command that is active
        /// fails with ``VICIError/Code/timeout`` and the connection is closed, because a late response would
        /// otherwise be taken for the answer to the next command. For streamed commands the deadline covers
        /// registration, all events, the response and de-registration. charon discards responses larger than
        /// 512 KiB without telling the client, so without a timeout such a command would wait forever.
        public var commandTimeout: TimeAmount

        /// Limits of the wire format (frame size, depth, empty names, duplicate keys).
        public var coding: VICICodingOptions

        /// Back-pressure for ``VICICommandEvents``: when this many decoded events wait for the consumer, the
        /// connection stops reading from the socket…
        public var streamHighWatermark: Int

        /// …and resumes reading when fewer than this many are waiting.
        public var streamLowWatermark: Int

        /// Where the connection logs (protocol errors, dropped events, timeouts). Silent by default.
        public var logger: Logger

        /// Creates a configuration with the defaults: the shared event loop group, 5 s to connect, 30 s per
        /// command, the protocol's coding limits, watermarks 64/16, no logging.
        public init(
            eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
            connectTimeout: TimeAmount = .seconds(5),
            commandTimeout: TimeAmount = .seconds(30),
            coding: VICICodingOptions = VICICodingOptions(),
            streamHighWatermark: Int = 64,
            streamLowWatermark: Int = 16,
            logger: Logger = Logger(label: "vici", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.eventLoopGroup = eventLoopGroup
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.coding = coding
            self.streamHighWatermark = streamHighWatermark
            self.streamLowWatermark = streamLowWatermark
            self.logger = logger
        }
    }
}
