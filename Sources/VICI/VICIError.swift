/// The one error type of the VICI library.
///
/// Every failure — a malformed frame or message, a refused command, a closed socket, a timeout — is a
/// `VICIError` with a ``Code`` that callers can switch over, a human-readable ``message`` and, for
/// decoding failures, the byte ``offset`` where the problem was found.
public struct VICIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case frameTooLarge, truncated, emptyFrame, unknownPacketType, unexpectedPacket, invalidName
            case unknownElementType, unbalancedSection, unterminatedSection, nestedList, sectionInList
            case keyValueInList, listItemOutsideList, unterminatedList, listEndOutsideList, duplicateKey
            case nameTooLong, valueTooLong, depthLimitExceeded, messageTooLarge
            case unknownCommand, unknownEvent, commandFailed, missingKey, invalidValue
            case timeout, connectionClosed, connectFailed, invalidEndpoint
            case cancelled, eventBufferOverflow
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A length prefix announced a frame larger than the allowed maximum (512 KiB by default).
        public static let frameTooLarge = Code(.frameTooLarge)
        /// A packet or message ended in the middle of an element.
        public static let truncated = Code(.truncated)
        /// A transport frame of length zero (no packet type).
        public static let emptyFrame = Code(.emptyFrame)
        /// The packet type byte is not one of the eight defined types.
        public static let unknownPacketType = Code(.unknownPacketType)
        /// A packet arrived that makes no sense in the current protocol state.
        public static let unexpectedPacket = Code(.unexpectedPacket)
        /// A packet or element name is not valid UTF-8 (or empty where a name is required).
        public static let invalidName = Code(.invalidName)
        /// A message element type byte is not one of the six defined types.
        public static let unknownElementType = Code(.unknownElementType)
        /// SECTION_END without a matching SECTION_START.
        public static let unbalancedSection = Code(.unbalancedSection)
        /// The message ended with sections still open.
        public static let unterminatedSection = Code(.unterminatedSection)
        /// LIST_START inside a list.
        public static let nestedList = Code(.nestedList)
        /// SECTION_START or SECTION_END inside a list.
        public static let sectionInList = Code(.sectionInList)
        /// KEY_VALUE inside a list.
        public static let keyValueInList = Code(.keyValueInList)
        /// LIST_ITEM outside a list.
        public static let listItemOutsideList = Code(.listItemOutsideList)
        /// The message ended with a list still open.
        public static let unterminatedList = Code(.unterminatedList)
        /// LIST_END without a list open.
        public static let listEndOutsideList = Code(.listEndOutsideList)
        /// A name appears twice in the same section.
        public static let duplicateKey = Code(.duplicateKey)
        /// A name longer than 255 bytes was to be encoded.
        public static let nameTooLong = Code(.nameTooLong)
        /// A value longer than 65535 bytes was to be encoded.
        public static let valueTooLong = Code(.valueTooLong)
        /// Sections nested deeper than the configured limit.
        public static let depthLimitExceeded = Code(.depthLimitExceeded)
        /// An encoded packet would exceed the maximum frame size.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// The daemon answered CMD_UNKNOWN: it has no such command.
        public static let unknownCommand = Code(.unknownCommand)
        /// The daemon answered EVENT_UNKNOWN: it has no such event.
        public static let unknownEvent = Code(.unknownEvent)
        /// The daemon answered `success = no` (``VICIError/message`` carries its `errmsg`).
        public static let commandFailed = Code(.commandFailed)
        /// A key a typed accessor requires is absent.
        public static let missingKey = Code(.missingKey)
        /// A value could not be interpreted as the type a typed accessor requires.
        public static let invalidValue = Code(.invalidValue)
        /// A command did not complete within its timeout.
        public static let timeout = Code(.timeout)
        /// The connection to the daemon is closed (or closed while a command was active).
        public static let connectionClosed = Code(.connectionClosed)
        /// Connecting to the daemon failed.
        public static let connectFailed = Code(.connectFailed)
        /// An endpoint URI could not be parsed.
        public static let invalidEndpoint = Code(.invalidEndpoint)
        /// The calling task was cancelled while it waited for the daemon (the connection stays usable: the
        /// library consumes the late answer itself).
        public static let cancelled = Code(.cancelled)
        /// An event subscription buffered more events (or bytes) than allowed and its overflow policy is
        /// ``VICIEventStream/OverflowPolicy/fail``.
        public static let eventBufferOverflow = Code(.eventBufferOverflow)

        /// The code's name, e.g. `frameTooLarge`.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation with context (command name, key, offending value…).
    public var message: String
    /// For decoding errors: the byte offset, within the packet or message being decoded, of the problem.
    public var offset: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    /// `VICI <code>: <message>`, followed by the byte offset when there is one.
    public var description: String {
        if let offset { return "VICI \(code): \(message) (at byte \(offset))" }
        return "VICI \(code): \(message)"
    }
}
