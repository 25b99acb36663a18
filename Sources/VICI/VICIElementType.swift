/// The six message element types of the VICI wire format (one byte each).
public enum VICIElementType: UInt8, Sendable, Hashable, CaseIterable {
    /// SECTION_START = 1: begins a named section.
    case sectionStart = 1
    /// SECTION_END = 2: ends the innermost open section.
    case sectionEnd = 2
    /// KEY_VALUE = 3: a named value in the current section.
    case keyValue = 3
    /// LIST_START = 4: begins a named list.
    case listStart = 4
    /// LIST_ITEM = 5: an unnamed value in the open list.
    case listItem = 5
    /// LIST_END = 6: ends the open list.
    case listEnd = 6
}
