/// Why ``YAMLDocumentParser`` refused a document: libyaml's own error with its position, or one of the
/// parser's limits (one document, no aliases, nesting at most 64 deep).
struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and where, e.g. `aliases are not supported (line 3)`.
    let message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { self.message }
}
