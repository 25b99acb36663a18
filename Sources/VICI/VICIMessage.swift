/// A VICI message: an ordered tree of named entries.
///
/// The root of a message is an implicit section. Each entry of a section has a name that is unique within
/// that section and is one of three kinds of ``VICIMessage/Element``: a raw value, a list of raw values or a
/// nested section. Values are raw bytes as the protocol defines them; charon sends numbers, booleans and
/// names as non-terminated strings, which the typed accessors (``string(_:)``, ``int64(_:)``, ``bool(_:)``…)
/// interpret. Order is preserved, both when decoding and when encoding.
///
/// ```swift
/// var request = VICIMessage()
/// request["ike"] = .value("site-0001")
/// let response: VICIMessage = ...
/// let version = response.string("version")
/// ```
public struct VICIMessage: Sendable, Hashable {
    /// One element of a section.
    public enum Element: Sendable, Hashable {
        /// A KEY_VALUE element: raw bytes.
        case value([UInt8])
        /// A LIST_START … LIST_END element: its LIST_ITEM values in order.
        case list([[UInt8]])
        /// A SECTION_START … SECTION_END element.
        case section(VICIMessage)

        /// A value element holding the UTF-8 bytes of `string`.
        public static func value(_ string: String) -> Element { .value(Array(string.utf8)) }
        /// A list element holding the UTF-8 bytes of each string.
        public static func list(_ strings: [String]) -> Element { .list(strings.map { Array($0.utf8) }) }
    }

    /// A named element of a section.
    public struct Entry: Sendable, Hashable {
        /// The element's name (1…255 bytes of UTF-8 on the wire).
        public var name: String
        /// The element.
        public var element: Element

        /// Creates an entry.
        public init(_ name: String, _ element: Element) {
            self.name = name
            self.element = element
        }
    }

    /// The entries of this section, in wire order.
    public var entries: [Entry]

    /// Creates an empty message (or section).
    public init() { self.entries = [] }

    /// Creates a message from entries in order. Names should be unique; the encoder rejects duplicates.
    public init(_ entries: [Entry]) { self.entries = entries }

    /// Whether the section has no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// The element named `name`, or `nil`. Assigning replaces an existing entry in place or appends a new
    /// one; assigning `nil` removes it.
    public subscript(name: String) -> Element? {
        get {
            for entry in entries where entry.name == name { return entry.element }
            return nil
        }
        set {
            if let index = entries.firstIndex(where: { $0.name == name }) {
                if let newValue { entries[index].element = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append(Entry(name, newValue))
            }
        }
    }
}
