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
///
/// The entries of all open sections live in one scratch stack (each open section owns the top part from its
/// `start`), so a section's entry array is allocated once, with its exact size, when the section ends. Each
/// entry's name hash (computed in the same loop that checks for ASCII) sits in a parallel stack, so the
/// duplicate check compares integers and only compares names when hashes match; sections wider than
/// ``wideSection`` entries switch to a set of names so hostile input stays linear.
struct VICIMessageDecoder {
    /// A section being decoded (the root is one too).
    private struct OpenSection {
        var name: String
        /// Offset of the SECTION_START element (0 for the root).
        var offset: Int
        /// Index of the section's first entry in the scratch stack. For a sub-section, the slot just below
        /// holds the section's own entry in its parent (a placeholder until the section ends).
        var entries: Int
        /// Names of the section's entries, built once it grows wider than ``wideSection``.
        var nameSet: Set<String>? = nil
    }

    /// Beyond this many entries, duplicate names are found through a set instead of a hash scan.
    private static let wideSection = 64

    let options: VICICodingOptions
    let baseOffset: Int

    func decode(_ bytes: UnsafeRawBufferPointer) throws(VICIError) -> VICIMessage {
        var stack: [OpenSection] = []
        var current = OpenSection(name: "", offset: 0, entries: 0)
        var scratch: [VICIMessage.Entry] = []
        var hashes: [UInt64] = []
        scratch.reserveCapacity(64)
        hashes.reserveCapacity(64)
        var inList = false
        var listName = ""
        var listHash: UInt64 = 0
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
                let (name, hash) = try readName(bytes, &index, element: element)
                if stack.count >= options.maxDepth {
                    throw error(.depthLimitExceeded, "sections nested deeper than \(options.maxDepth) levels",
                                element, stack, current)
                }
                try checkDuplicate(name, hash, in: current, scratch, hashes, element: element, stack)
                stack.append(current)
                // The section's own entry in its parent goes on the scratch stack now (as a placeholder, filled
                // in when the section ends); its entries follow above it.
                hashes.append(hash)
                scratch.append(VICIMessage.Entry(name, .value([])))
                current = OpenSection(name: name, offset: element, entries: scratch.count)

            case VICIElementType.sectionEnd.rawValue:
                if inList {
                    throw error(.sectionInList, "SECTION_END inside list '\(listName)'", element, stack, current)
                }
                guard let parent = stack.popLast() else {
                    throw error(.unbalancedSection, "SECTION_END without an open section", element, stack, current)
                }
                let entries = Array(scratch[current.entries...])
                scratch.removeSubrange(current.entries...)
                hashes.removeSubrange(current.entries...)
                scratch[current.entries &- 1].element = .section(VICIMessage(entries))
                current = parent
                noteAppended(scratch, in: &current)

            case VICIElementType.keyValue.rawValue:
                if inList {
                    throw error(.keyValueInList, "KEY_VALUE inside list '\(listName)'", element, stack, current)
                }
                let (name, hash) = try readName(bytes, &index, element: element)
                let value = try readValue(bytes, &index, element: element)
                try checkDuplicate(name, hash, in: current, scratch, hashes, element: element, stack)
                scratch.append(VICIMessage.Entry(name, .value(value)))
                hashes.append(hash)
                noteAppended(scratch, in: &current)

            case VICIElementType.listStart.rawValue:
                if inList {
                    throw error(.nestedList, "LIST_START inside list '\(listName)'", element, stack, current)
                }
                let (name, hash) = try readName(bytes, &index, element: element)
                try checkDuplicate(name, hash, in: current, scratch, hashes, element: element, stack)
                inList = true
                listName = name
                listHash = hash
                listStart = element

            case VICIElementType.listItem.rawValue:
                guard inList else {
                    throw error(.listItemOutsideList, "LIST_ITEM outside a list", element, stack, current)
                }
                listItems.append(try readValue(bytes, &index, element: element))

            case VICIElementType.listEnd.rawValue:
                guard inList else {
                    throw error(.listEndOutsideList, "LIST_END without an open list", element, stack, current)
                }
                scratch.append(VICIMessage.Entry(listName, .list(Array(listItems))))
                hashes.append(listHash)
                listItems.removeAll(keepingCapacity: true)
                inList = false
                noteAppended(scratch, in: &current)

            default:
                throw error(.unknownElementType, "unknown element type \(type)", element, stack, current)
            }
        }

        if inList {
            throw error(.unterminatedList, "message ends inside list '\(listName)'", listStart, stack, current)
        }
        if !stack.isEmpty {
            throw error(.unterminatedSection, "message ends with \(stack.count) section(s) open",
                        current.offset, stack, current)
        }
        return VICIMessage(scratch)
    }

    // MARK: - Reading

    /// Reads a name; returns it with a hash of its bytes (FNV-1a, for the duplicate check).
    @inline(__always)
    private func readName(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, element: Int) throws(VICIError) -> (String, UInt64) {
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
            return ("", 0)
        }
        guard let name = VICIMessageDecoder.makeName(UnsafeRawBufferPointer(rebasing: bytes[start..<index])) else {
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

    /// Makes a `String` from bytes that must be valid UTF-8, with a fast path for ASCII (nearly all names),
    /// and hashes the bytes on the way.
    @inline(__always)
    static func makeName(_ raw: UnsafeRawBufferPointer) -> (String, UInt64)? {
        raw.withMemoryRebound(to: UInt8.self) { bytes -> (String, UInt64)? in
            var high: UInt8 = 0
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes {
                high |= byte
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            if high & 0x80 == 0 { return (String(decoding: bytes, as: UTF8.self), hash) }
            guard let string = String(validating: bytes, as: UTF8.self) else { return nil }
            return (string, hash)
        }
    }

    /// Makes a `String` from bytes that must be valid UTF-8.
    static func makeString(_ raw: UnsafeRawBufferPointer) -> String? {
        makeName(raw)?.0
    }

    // MARK: - Section bookkeeping

    @inline(__always)
    private func checkDuplicate(_ name: String, _ hash: UInt64, in section: OpenSection,
                                _ scratch: [VICIMessage.Entry], _ hashes: [UInt64],
                                element: Int, _ stack: [OpenSection]) throws(VICIError) {
        guard options.rejectDuplicateKeys else { return }
        var duplicate = false
        if let names = section.nameSet {
            duplicate = names.contains(name)
        } else {
            var i = section.entries
            while i < hashes.count {
                if hashes[i] == hash && scratch[i].name == name {
                    duplicate = true
                    break
                }
                i &+= 1
            }
        }
        if duplicate {
            throw error(.duplicateKey, "name '\(name)' appears twice", element, stack, section)
        }
    }

    /// Keeps the set of names of a wide section up to date after an entry was appended to it.
    @inline(__always)
    private func noteAppended(_ scratch: [VICIMessage.Entry], in section: inout OpenSection) {
        guard options.rejectDuplicateKeys, let last = scratch.last else { return }
        if section.nameSet != nil {
            section.nameSet?.insert(last.name)
        } else if scratch.count &- section.entries > VICIMessageDecoder.wideSection {
            section.nameSet = Set(scratch[section.entries...].lazy.map(\.name))
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
