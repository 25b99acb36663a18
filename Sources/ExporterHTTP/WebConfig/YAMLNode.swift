/// One node of a YAML document as ``YAMLDocumentParser`` builds it: a scalar, a mapping or a sequence, with the
/// 1-based line it starts on.
///
/// Tags (`!!str`, `!foo`) and anchors (`&name`) are not kept: a scalar's value is its text as written (after
/// quoting and escapes are resolved), whatever its tag says; the web config reads every value as a string and
/// decides what it means itself. Aliases (`*name`) never reach the tree: the parser refuses them.
struct YAMLNode: Sendable, Equatable {
    /// How a scalar was written; only a plain scalar can be YAML's null (`~`, `null`, empty).
    enum ScalarStyle: Sendable, Equatable {
        /// Unquoted: `key: value`.
        case plain
        /// `'value'`.
        case singleQuoted
        /// `"value"`.
        case doubleQuoted
        /// A literal block, `|`.
        case literal
        /// A folded block, `>`.
        case folded
    }

    /// One key/value pair of a mapping, in the order written.
    struct Pair: Sendable, Equatable {
        /// The key; the web config wants scalars here, YAML allows any node.
        var key: YAMLNode
        /// The value.
        var value: YAMLNode
    }

    /// What the node holds.
    enum Content: Sendable, Equatable {
        /// A scalar's value and how it was written.
        case scalar(String, ScalarStyle)
        /// A mapping's pairs in document order (duplicate keys are kept; the caller decides).
        case mapping([Pair])
        /// A sequence's elements in document order.
        case sequence([YAMLNode])
    }

    /// What the node holds.
    var content: Content
    /// The 1-based line the node starts on, as libyaml marks it: its anchor or tag if it has one, else its first
    /// character (an empty value: where libyaml found it missing, usually the line of its key).
    var line: Int

    /// A scalar node.
    static func scalar(_ value: String, _ style: ScalarStyle = .plain, line: Int) -> YAMLNode {
        YAMLNode(content: .scalar(value, style), line: line)
    }

    /// A mapping node.
    static func mapping(_ pairs: [Pair], line: Int) -> YAMLNode {
        YAMLNode(content: .mapping(pairs), line: line)
    }

    /// A sequence node.
    static func sequence(_ elements: [YAMLNode], line: Int) -> YAMLNode {
        YAMLNode(content: .sequence(elements), line: line)
    }
}
