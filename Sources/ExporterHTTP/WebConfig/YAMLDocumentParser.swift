import CYAML

/// Builds the ``YAMLNode`` tree of one YAML document with libyaml's event API (Debian's libyaml-0-2).
///
/// The tree is built iteratively with an explicit stack, never by recursion, and refused beyond
/// ``maximumDepth`` nested collections, so hostile input cannot exhaust the stack. Any bytes are answered
/// with a tree or a ``YAMLError``: libyaml checks the UTF-8 (the input is always read as UTF-8, whatever a
/// byte order mark says) and refuses control characters such as NUL.
///
/// What is refused, beyond libyaml's own errors: a second document in the stream, aliases (`*name`), and
/// nesting deeper than ``maximumDepth``. What is accepted and dropped: anchors (`&name`, harmless without
/// aliases) and tags (`!!str`, `!foo`; a scalar's value is taken as written).
enum YAMLDocumentParser {
    /// The deepest nesting of mappings and sequences accepted (the web config needs 3).
    static let maximumDepth = 64

    /// Parses `bytes` (UTF-8 YAML) into the root node of its one document, or `nil` when the stream holds no
    /// document (empty input, only comments): as an empty file.
    ///
    /// - Throws: ``YAMLError`` with libyaml's problem and its 1-based line and column, or one of the limits.
    static func parse(_ bytes: [UInt8]) throws(YAMLError) -> YAMLNode? {
        // libyaml keeps pointers to the parser (its read handler's data) and to the input while it parses:
        // both live at fixed heap addresses until the parser is deleted.
        let input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        defer { input.deallocate() }
        _ = input.initialize(from: bytes)
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        defer { event.deallocate() }
        event.initialize(to: yaml_event_t())

        guard yaml_parser_initialize(parser) != 0 else {
            throw YAMLError("out of memory")
        }
        defer { yaml_parser_delete(parser) }
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        guard let start = input.baseAddress else { return nil }
        yaml_parser_set_input_string(parser, start, bytes.count)
        let inputBytes = UnsafeBufferPointer(start: start, count: bytes.count)

        var builder = Builder()
        while try Self.step(parser: parser, event: event, input: inputBytes, builder: &builder) {}
        return builder.root
    }

    /// Takes one event from libyaml into `builder`, deleting it whatever happens; `false` at the end of the stream.
    private static func step(
        parser: UnsafeMutablePointer<yaml_parser_t>,
        event: UnsafeMutablePointer<yaml_event_t>,
        input: UnsafeBufferPointer<UInt8>,
        builder: inout Builder
    ) throws(YAMLError) -> Bool {
        guard yaml_parser_parse(parser, event) != 0 else {
            throw Self.error(of: parser.pointee, input: input)
        }
        defer { yaml_event_delete(event) }
        return try builder.consume(event.pointee)
    }

    /// libyaml's error as a message: the problem at its position, then the context (what was being parsed,
    /// where it started) if libyaml names one.
    private static func error(of parser: yaml_parser_t, input: UnsafeBufferPointer<UInt8>) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return YAMLError("out of memory")
        case YAML_READER_ERROR:
            // Reader errors carry a byte offset and the offending value instead of a mark.
            let offset = min(Int(clamping: parser.problem_offset), input.count)
            let (line, column) = Self.position(ofByte: offset, in: input)
            let value = parser.problem_value >= 0 ? " #x" + Self.hex(parser.problem_value) : ""
            return YAMLError("\(problem)\(value) (line \(line), column \(column))")
        default:
            var message = "\(problem) \(Self.describe(parser.problem_mark))"
            if let context = parser.context {
                let mark = parser.context_mark
                message += " \(String(cString: context)) started at line \(Self.line(mark)), column \(Self.column(mark))"
            }
            return YAMLError(message)
        }
    }

    /// The 1-based line and column (in characters) of the byte at `offset`.
    private static func position(ofByte offset: Int, in input: UnsafeBufferPointer<UInt8>) -> (Int, Int) {
        var line = 1, column = 1
        var index = 0
        while index < offset {
            let byte = input[index]
            if byte == 0x0A || (byte == 0x0D && (index + 1 >= input.count || input[index + 1] != 0x0A)) {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return (line, column)
    }

    private static func hex(_ value: Int32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return digits.count % 2 == 1 ? "0" + digits : digits
    }

    /// A libyaml mark's line, 1-based (libyaml counts from 0).
    static func line(_ mark: yaml_mark_t) -> Int {
        Int(clamping: mark.line) &+ 1
    }

    private static func column(_ mark: yaml_mark_t) -> Int {
        Int(clamping: mark.column) &+ 1
    }

    private static func describe(_ mark: yaml_mark_t) -> String {
        "(line \(Self.line(mark)), column \(Self.column(mark)))"
    }
}

extension YAMLDocumentParser {
    /// The tree under construction: the collections still open, innermost last, each with its finished
    /// children (a mapping's alternate keys and values).
    private struct Builder {
        struct Frame {
            var isMapping: Bool
            var line: Int
            var children: [YAMLNode]
        }

        var stack: [Frame] = []
        var root: YAMLNode? = nil
        var documents = 0

        /// Applies one event; `false` once the stream has ended.
        mutating func consume(_ event: yaml_event_t) throws(YAMLError) -> Bool {
            let line = YAMLDocumentParser.line(event.start_mark)
            switch event.type {
            case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT:
                return true
            case YAML_STREAM_END_EVENT:
                return false
            case YAML_DOCUMENT_START_EVENT:
                self.documents += 1
                guard self.documents == 1 else {
                    throw YAMLError("more than one document")
                }
                return true
            case YAML_ALIAS_EVENT:
                throw YAMLError("aliases are not supported (line \(line))")
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let value = scalar.value.map {
                    String(decoding: UnsafeBufferPointer(start: $0, count: Int(clamping: scalar.length)), as: UTF8.self)
                } ?? ""
                self.add(.scalar(value, Self.style(scalar.style), line: line))
                return true
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard self.stack.count < YAMLDocumentParser.maximumDepth else {
                    throw YAMLError("nesting deeper than \(YAMLDocumentParser.maximumDepth) levels (line \(line))")
                }
                self.stack.append(Frame(isMapping: event.type == YAML_MAPPING_START_EVENT, line: line, children: []))
                return true
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = self.stack.popLast() else {
                    throw YAMLError("unbalanced collection end (line \(line))")
                }
                if frame.isMapping {
                    var pairs: [YAMLNode.Pair] = []
                    pairs.reserveCapacity(frame.children.count / 2)
                    var index = 0
                    while index + 1 < frame.children.count {
                        pairs.append(YAMLNode.Pair(key: frame.children[index], value: frame.children[index + 1]))
                        index += 2
                    }
                    self.add(.mapping(pairs, line: frame.line))
                } else {
                    self.add(.sequence(frame.children, line: frame.line))
                }
                return true
            default:
                // YAML_NO_EVENT: libyaml has nothing more although the stream has not ended.
                throw YAMLError("unexpected end of the event stream (line \(line))")
            }
        }

        private mutating func add(_ node: YAMLNode) {
            if self.stack.isEmpty {
                self.root = node
            } else {
                self.stack[self.stack.count - 1].children.append(node)
            }
        }

        private static func style(_ style: yaml_scalar_style_t) -> YAMLNode.ScalarStyle {
            switch style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: return .literal
            case YAML_FOLDED_SCALAR_STYLE: return .folded
            default: return .plain
            }
        }
    }
}
