import NIOCore

extension VICIMessage {
    /// Appends the wire encoding of this message to `buffer`.
    ///
    /// Fails with ``VICIError/Code/invalidName`` (empty name where not allowed),
    /// ``VICIError/Code/nameTooLong`` (over 255 bytes), ``VICIError/Code/valueTooLong`` (over 65535 bytes),
    /// ``VICIError/Code/duplicateKey`` or ``VICIError/Code/depthLimitExceeded``; the message names the path
    /// of the offending entry. On failure nothing is appended (the writer index is restored).
    public func encode(into buffer: inout ByteBuffer, options: VICICodingOptions = VICICodingOptions()) throws(VICIError) {
        let start = buffer.writerIndex
        do throws(VICIError) {
            try VICIMessage.encode(entries, into: &buffer, depth: 0, options: options)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// The wire encoding of this message as bytes; see ``encode(into:options:)``.
    public func encodedBytes(options: VICICodingOptions = VICICodingOptions()) throws(VICIError) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        try encode(into: &buffer, options: options)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    private static func encode(_ entries: [Entry], into buffer: inout ByteBuffer, depth: Int,
                               options: VICICodingOptions) throws(VICIError) {
        if options.rejectDuplicateKeys { try checkUnique(entries) }
        for entry in entries {
            switch entry.element {
            case .value(let value):
                try writeName(VICIElementType.keyValue, entry.name, into: &buffer, options: options)
                try writeValue(value, into: &buffer, what: "value '\(entry.name)'")
            case .list(let items):
                try writeName(VICIElementType.listStart, entry.name, into: &buffer, options: options)
                for item in items {
                    buffer.writeInteger(VICIElementType.listItem.rawValue)
                    try writeValue(item, into: &buffer, what: "an item of list '\(entry.name)'")
                }
                buffer.writeInteger(VICIElementType.listEnd.rawValue)
            case .section(let section):
                guard depth < options.maxDepth else {
                    throw VICIError(.depthLimitExceeded,
                                    "section '\(entry.name)' is nested deeper than \(options.maxDepth) levels")
                }
                try writeName(VICIElementType.sectionStart, entry.name, into: &buffer, options: options)
                do throws(VICIError) {
                    try encode(section.entries, into: &buffer, depth: depth + 1, options: options)
                } catch {
                    var nested = error
                    nested.message += " in section '\(entry.name)'"
                    throw nested
                }
                buffer.writeInteger(VICIElementType.sectionEnd.rawValue)
            }
        }
    }

    @inline(__always)
    private static func writeName(_ type: VICIElementType, _ name: String, into buffer: inout ByteBuffer,
                                  options: VICICodingOptions) throws(VICIError) {
        let length = name.utf8.count
        guard length <= 255 else {
            throw VICIError(.nameTooLong, "name of \(length) bytes exceeds 255 bytes: \(name.prefix(32))…")
        }
        guard length > 0 || options.allowEmptyNames else {
            throw VICIError(.invalidName, "empty element name")
        }
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(UInt8(truncatingIfNeeded: length))
        buffer.writeString(name)
    }

    @inline(__always)
    private static func writeValue(_ value: [UInt8], into buffer: inout ByteBuffer, what: @autoclosure () -> String) throws(VICIError) {
        guard value.count <= Int(UInt16.max) else {
            throw VICIError(.valueTooLong, "\(what()) has \(value.count) bytes, more than 65535")
        }
        buffer.writeInteger(UInt16(truncatingIfNeeded: value.count))
        buffer.writeBytes(value)
    }

    /// Throws ``VICIError/Code/duplicateKey`` if two entries share a name: pairwise for small sections, via a
    /// set for wide ones.
    private static func checkUnique(_ entries: [Entry]) throws(VICIError) {
        if entries.count <= 16 {
            for i in entries.indices {
                for j in entries.indices where j > i && entries[i].name == entries[j].name {
                    throw VICIError(.duplicateKey, "name '\(entries[i].name)' appears twice")
                }
            }
        } else {
            var seen = Set<String>(minimumCapacity: entries.count)
            for entry in entries where !seen.insert(entry.name).inserted {
                throw VICIError(.duplicateKey, "name '\(entry.name)' appears twice")
            }
        }
    }
}
