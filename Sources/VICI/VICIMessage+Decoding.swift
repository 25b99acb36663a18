import NIOCore

extension VICIMessage {
    /// Decodes a message from all readable bytes of `buffer` (the buffer itself is not consumed).
    ///
    /// Every rule of the wire format is enforced: balanced sections, lists only of list items and never
    /// nested, names of valid UTF-8 (see ``VICICodingOptions/allowEmptyNames``), unique names per section and
    /// a nesting depth of at most ``VICICodingOptions/maxDepth``. Decoding is iterative, so hostile input
    /// cannot exhaust the stack. A failure is a ``VICIError`` whose ``VICIError/offset`` is the position of
    /// the offending element's type byte within `buffer`'s readable bytes (for an unterminated section or
    /// list: the position of the element that opened it).
    public init(decoding buffer: ByteBuffer, options: VICICodingOptions = VICICodingOptions()) throws(VICIError) {
        try self.init(decoding: buffer, baseOffset: 0, options: options)
    }

    /// Decodes a message from `bytes`, with the same rules and error offsets as the `ByteBuffer` variant.
    public init(decoding bytes: [UInt8], options: VICICodingOptions = VICICodingOptions()) throws(VICIError) {
        let decoder = VICIMessageDecoder(options: options, baseOffset: 0)
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(VICIError) -> VICIMessage in try decoder.decode(raw) }
        }
        self = try result.get()
    }

    /// Decodes a message whose first byte sits at `baseOffset` of some enclosing packet, so that error
    /// offsets are reported relative to the packet.
    init(decoding buffer: ByteBuffer, baseOffset: Int, options: VICICodingOptions) throws(VICIError) {
        let decoder = VICIMessageDecoder(options: options, baseOffset: baseOffset)
        let result = buffer.withUnsafeReadableBytes { raw in
            Result { () throws(VICIError) -> VICIMessage in try decoder.decode(raw) }
        }
        self = try result.get()
    }
}

/// The iterative message decoder: one pass over contiguous bytes with an explicit stack of open sections.
struct VICIMessageDecoder {
    /// A section being decoded.
    private struct OpenSection {
        var name: String
        /// Offset of the SECTION_START element (0 for the root).
        var startOffset: Int
        var entries: [VICIMessage.Entry] = []
        /// Names of `entries`, built once a section grows past ``linearScanLimit`` entries so that the
        /// duplicate check stays O(1) for wide sections and allocation-free for the common small ones.
        var nameSet: Set<String>? = nil
    }

    /// Up to this many entries, duplicate names are found by a linear scan.
    private static let linearScanLimit = 16

    let options: VICICodingOptions
    let baseOffset: Int

    func decode(_ bytes: UnsafeRawBufferPointer) throws(VICIError) -> VICIMessage {
        var stack: [OpenSection] = []
        var current = OpenSection(name: "", startOffset: 0)
        var inList = false
        var listName = ""
        var listStart = 0
        var listItems: [[UInt8]] = []
        let count = bytes.count
        var index = 0

        while index < count {
            let element = index
            let type = bytes[index]
            index &+= 1
            switch type {
            case VICIElementType.sectionStart.rawValue:
                if inList {
                    throw error(.sectionInList, "SECTION_START inside list '\(listName)'", element, stack, current)
                }
                let name = try readName(bytes, &index, element: element)
                if stack.count >= options.maxDepth {
                    throw error(.depthLimitExceeded, "sections nested deeper than \(options.maxDepth) levels",
                                element, stack, current)
                }
                try checkDuplicate(name, in: current, element: element, stack)
                stack.append(current)
                current = OpenSection(name: name, startOffset: element)

            case VICIElementType.sectionEnd.rawValue:
                if inList {
                    throw error(.sectionInList, "SECTION_END inside list '\(listName)'", element, stack, current)
                }
                guard var parent = stack.popLast() else {
                    throw error(.unbalancedSection, "SECTION_END without an open section", element, stack, current)
                }
                let finished = current
                append(VICIMessage.Entry(finished.name, .section(VICIMessage(finished.entries))), to: &parent)
                current = parent

            case VICIElementType.keyValue.rawValue:
                if inList {
                    throw error(.keyValueInList, "KEY_VALUE inside list '\(listName)'", element, stack, current)
                }
                let name = try readName(bytes, &index, element: element)
                let value = try readValue(bytes, &index, element: element)
                try checkDuplicate(name, in: current, element: element, stack)
                append(VICIMessage.Entry(name, .value(value)), to: &current)

            case VICIElementType.listStart.rawValue:
                if inList {
                    throw error(.nestedList, "LIST_START inside list '\(listName)'", element, stack, current)
                }
                let name = try readName(bytes, &index, element: element)
                try checkDuplicate(name, in: current, element: element, stack)
                inList = true
                listName = name
                listStart = element
                listItems = []

            case VICIElementType.listItem.rawValue:
                guard inList else {
                    throw error(.listItemOutsideList, "LIST_ITEM outside a list", element, stack, current)
                }
                listItems.append(try readValue(bytes, &index, element: element))

            case VICIElementType.listEnd.rawValue:
                guard inList else {
                    throw error(.listEndOutsideList, "LIST_END without an open list", element, stack, current)
                }
                append(VICIMessage.Entry(listName, .list(listItems)), to: &current)
                inList = false
                listItems = []

            default:
                throw error(.unknownElementType, "unknown element type \(type)", element, stack, current)
            }
        }

        if inList {
            throw error(.unterminatedList, "message ends inside list '\(listName)'", listStart, stack, current)
        }
        if !stack.isEmpty {
            throw error(.unterminatedSection, "message ends with \(stack.count) section(s) open",
                        current.startOffset, stack, current)
        }
        return VICIMessage(current.entries)
    }

    // MARK: - Reading

    @inline(__always)
    private func readName(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, element: Int) throws(VICIError) -> String {
        guard index < bytes.count else {
            throw VICIError(.truncated, "element ends before its name length", offset: baseOffset &+ element)
        }
        let length = Int(bytes[index])
        index &+= 1
        guard bytes.count &- index >= length else {
            throw VICIError(.truncated, "name of \(length) bytes runs past the end of the message",
                            offset: baseOffset &+ element)
        }
        let start = index
        index &+= length
        if length == 0 {
            guard options.allowEmptyNames else {
                throw VICIError(.invalidName, "empty element name", offset: baseOffset &+ element)
            }
            return ""
        }
        guard let name = VICIMessageDecoder.makeString(UnsafeRawBufferPointer(rebasing: bytes[start..<index])) else {
            throw VICIError(.invalidName, "element name is not valid UTF-8", offset: baseOffset &+ element)
        }
        return name
    }

    @inline(__always)
    private func readValue(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, element: Int) throws(VICIError) -> [UInt8] {
        guard bytes.count &- index >= 2 else {
            throw VICIError(.truncated, "element ends before its value length", offset: baseOffset &+ element)
        }
        let length = Int(bytes[index]) << 8 | Int(bytes[index &+ 1])
        index &+= 2
        guard bytes.count &- index >= length else {
            throw VICIError(.truncated, "value of \(length) bytes runs past the end of the message",
                            offset: baseOffset &+ element)
        }
        let start = index
        index &+= length
        if length == 0 { return [] }
        return [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
    }

    /// Makes a `String` from bytes that must be valid UTF-8, with a fast path for ASCII (nearly all names).
    @inline(__always)
    static func makeString(_ raw: UnsafeRawBufferPointer) -> String? {
        raw.withMemoryRebound(to: UInt8.self) { bytes in
            var ascii = true
            for byte in bytes where byte & 0x80 != 0 {
                ascii = false
                break
            }
            if ascii { return String(decoding: bytes, as: UTF8.self) }
            return String(validating: bytes, as: UTF8.self)
        }
    }

    // MARK: - Section bookkeeping

    @inline(__always)
    private func checkDuplicate(_ name: String, in section: OpenSection, element: Int, _ stack: [OpenSection]) throws(VICIError) {
        guard options.rejectDuplicateKeys else { return }
        let duplicate: Bool
        if let names = section.nameSet {
            duplicate = names.contains(name)
        } else {
            duplicate = section.entries.contains { $0.name == name }
        }
        if duplicate {
            throw error(.duplicateKey, "name '\(name)' appears twice", element, stack, section)
        }
    }

    @inline(__always)
    private func append(_ entry: VICIMessage.Entry, to section: inout OpenSection) {
        section.entries.append(entry)
        guard options.rejectDuplicateKeys else { return }
        if section.nameSet != nil {
            section.nameSet?.insert(entry.name)
        } else if section.entries.count > VICIMessageDecoder.linearScanLimit {
            section.nameSet = Set(section.entries.lazy.map(\.name))
        }
    }

    /// Builds an error naming the section path where it happened (only computed on failure).
    private func error(_ code: VICIError.Code, _ message: String, _ element: Int,
                       _ stack: [OpenSection], _ current: OpenSection) -> VICIError {
        var path = stack.dropFirst().map(\.name)
        if !stack.isEmpty { path.append(current.name) }
        let location = path.isEmpty ? "the root section" : "section '\(path.joined(separator: "."))'"
        return VICIError(code, "\(message) in \(location)", offset: baseOffset &+ element)
    }
}
