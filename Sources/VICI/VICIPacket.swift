import NIOCore

/// One VICI packet: the content of one transport frame.
///
/// The first byte is the packet type; named types follow it with an 8-bit name length and the name; types
/// that carry a message follow with the encoded ``VICIMessage`` up to the end of the frame.
public enum VICIPacket: Sendable, Hashable {
    /// CMD_REQUEST (0): a named command request with its argument message.
    case commandRequest(name: String, message: VICIMessage)
    /// CMD_RESPONSE (1): the response message of the active command.
    case commandResponse(VICIMessage)
    /// CMD_UNKNOWN (2): the daemon has no such command.
    case commandUnknown
    /// EVENT_REGISTER (3): a registration for the named event.
    case eventRegister(name: String)
    /// EVENT_UNREGISTER (4): a de-registration of the named event.
    case eventUnregister(name: String)
    /// EVENT_CONFIRM (5): the (de-)registration succeeded.
    case eventConfirm
    /// EVENT_UNKNOWN (6): the (de-)registration failed, there is no such event.
    case eventUnknown
    /// EVENT (7): a named event message.
    case event(name: String, message: VICIMessage)

    /// The packet type byte.
    public enum PacketType: UInt8, Sendable, Hashable, CaseIterable {
        /// CMD_REQUEST = 0
        case commandRequest = 0
        /// CMD_RESPONSE = 1
        case commandResponse = 1
        /// CMD_UNKNOWN = 2
        case commandUnknown = 2
        /// EVENT_REGISTER = 3
        case eventRegister = 3
        /// EVENT_UNREGISTER = 4
        case eventUnregister = 4
        /// EVENT_CONFIRM = 5
        case eventConfirm = 5
        /// EVENT_UNKNOWN = 6
        case eventUnknown = 6
        /// EVENT = 7
        case event = 7

        /// Whether packets of this type carry a name after the type byte.
        public var isNamed: Bool {
            switch self {
            case .commandRequest, .eventRegister, .eventUnregister, .event: return true
            case .commandResponse, .commandUnknown, .eventConfirm, .eventUnknown: return false
            }
        }

        /// Whether packets of this type carry a message (after the name, if any).
        public var hasMessage: Bool {
            switch self {
            case .commandRequest, .commandResponse, .event: return true
            case .commandUnknown, .eventRegister, .eventUnregister, .eventConfirm, .eventUnknown: return false
            }
        }
    }

    /// The type of this packet.
    public var type: PacketType {
        switch self {
        case .commandRequest: return .commandRequest
        case .commandResponse: return .commandResponse
        case .commandUnknown: return .commandUnknown
        case .eventRegister: return .eventRegister
        case .eventUnregister: return .eventUnregister
        case .eventConfirm: return .eventConfirm
        case .eventUnknown: return .eventUnknown
        case .event: return .event
        }
    }

    /// The name of a named packet, `nil` for unnamed types.
    public var name: String? {
        switch self {
        case .commandRequest(let name, _), .eventRegister(let name), .eventUnregister(let name), .event(let name, _):
            return name
        case .commandResponse, .commandUnknown, .eventConfirm, .eventUnknown:
            return nil
        }
    }

    /// The message of a packet type that carries one, `nil` otherwise.
    public var message: VICIMessage? {
        switch self {
        case .commandRequest(_, let message), .commandResponse(let message), .event(_, let message):
            return message
        case .commandUnknown, .eventRegister, .eventUnregister, .eventConfirm, .eventUnknown:
            return nil
        }
    }

    // MARK: - Encoding

    /// Appends the packet (type, name, message; no length prefix) to `buffer`.
    ///
    /// Fails with ``VICIError/Code/invalidName`` for an empty packet name, ``VICIError/Code/nameTooLong``
    /// for one over 255 bytes, any message encoding error, or ``VICIError/Code/messageTooLarge`` if the packet
    /// exceeds ``VICICodingOptions/maxFrameLength``. On failure nothing is appended.
    public func encode(into buffer: inout ByteBuffer, options: VICICodingOptions = VICICodingOptions()) throws(VICIError) {
        let start = buffer.writerIndex
        do throws(VICIError) {
            buffer.writeInteger(type.rawValue)
            if let name {
                let length = name.utf8.count
                guard length > 0 else { throw VICIError(.invalidName, "empty \(type) packet name") }
                guard length <= 255 else {
                    throw VICIError(.nameTooLong, "\(type) packet name of \(length) bytes exceeds 255 bytes")
                }
                buffer.writeInteger(UInt8(truncatingIfNeeded: length))
                buffer.writeString(name)
            }
            if let message { try message.encode(into: &buffer, options: options) }
            let length = buffer.writerIndex - start
            guard length <= options.maxFrameLength else {
                throw VICIError(.messageTooLarge,
                                "\(type) packet of \(length) bytes exceeds the maximum frame length of \(options.maxFrameLength)")
            }
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// Appends the packet as a complete transport frame (32-bit big-endian length prefix, then the packet) to
    /// `buffer`; the same errors as ``encode(into:options:)``.
    public func encodeFrame(into buffer: inout ByteBuffer, options: VICICodingOptions = VICICodingOptions()) throws(VICIError) {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        do throws(VICIError) {
            try encode(into: &buffer, options: options)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
        let length = buffer.writerIndex - start - 4
        buffer.setInteger(UInt32(truncatingIfNeeded: length), at: start)
    }

    // MARK: - Decoding

    /// Decodes one packet from the readable bytes of `frame` (a transport frame without its length prefix).
    ///
    /// Errors carry the byte ``VICIError/offset`` within `frame`: ``VICIError/Code/emptyFrame``,
    /// ``VICIError/Code/unknownPacketType``, ``VICIError/Code/frameTooLarge``, ``VICIError/Code/truncated``
    /// (name cut short), ``VICIError/Code/invalidName`` (empty or not UTF-8),
    /// ``VICIError/Code/unexpectedPacket`` (trailing bytes after a packet type that carries no message) and
    /// every message decoding error.
    public static func decode(_ frame: ByteBuffer, options: VICICodingOptions = VICICodingOptions()) throws(VICIError) -> VICIPacket {
        guard let typeByte = frame.getInteger(at: frame.readerIndex, as: UInt8.self) else {
            throw VICIError(.emptyFrame, "frame of length zero carries no packet", offset: 0)
        }
        guard let type = PacketType(rawValue: typeByte) else {
            throw VICIError(.unknownPacketType, "unknown packet type \(typeByte)", offset: 0)
        }
        guard frame.readableBytes <= options.maxFrameLength else {
            throw VICIError(.frameTooLarge,
                            "packet of \(frame.readableBytes) bytes exceeds the maximum frame length of \(options.maxFrameLength)",
                            offset: 0)
        }
        var rest = frame
        rest.moveReaderIndex(forwardBy: 1)
        var name = ""
        if type.isNamed {
            guard let length = rest.readInteger(as: UInt8.self) else {
                throw VICIError(.truncated, "\(type) packet ends before its name length", offset: 1)
            }
            guard length > 0 else { throw VICIError(.invalidName, "\(type) packet with an empty name", offset: 1) }
            guard let nameBytes = rest.readSlice(length: Int(length)) else {
                throw VICIError(.truncated, "\(type) packet name of \(length) bytes runs past the end of the frame",
                                offset: 1)
            }
            guard let string = nameBytes.withUnsafeReadableBytes({ VICIMessageDecoder.makeString($0) }) else {
                throw VICIError(.invalidName, "\(type) packet name is not valid UTF-8", offset: 1)
            }
            name = string
        }
        let messageOffset = frame.readableBytes - rest.readableBytes
        guard type.hasMessage else {
            guard rest.readableBytes == 0 else {
                throw VICIError(.unexpectedPacket, "\(type) packet carries \(rest.readableBytes) unexpected bytes",
                                offset: messageOffset)
            }
            switch type {
            case .eventRegister: return .eventRegister(name: name)
            case .eventUnregister: return .eventUnregister(name: name)
            case .eventConfirm: return .eventConfirm
            case .eventUnknown: return .eventUnknown
            default: return .commandUnknown
            }
        }
        let message = try VICIMessage(decoding: rest, baseOffset: messageOffset, options: options)
        switch type {
        case .commandRequest: return .commandRequest(name: name, message: message)
        case .event: return .event(name: name, message: message)
        default: return .commandResponse(message)
        }
    }
}

extension VICIPacket.PacketType: CustomStringConvertible {
    /// The protocol's name of the type, e.g. `CMD_REQUEST`.
    public var description: String {
        switch self {
        case .commandRequest: return "CMD_REQUEST"
        case .commandResponse: return "CMD_RESPONSE"
        case .commandUnknown: return "CMD_UNKNOWN"
        case .eventRegister: return "EVENT_REGISTER"
        case .eventUnregister: return "EVENT_UNREGISTER"
        case .eventConfirm: return "EVENT_CONFIRM"
        case .eventUnknown: return "EVENT_UNKNOWN"
        case .event: return "EVENT"
        }
    }
}
