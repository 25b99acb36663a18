/// A map from `String` keys to values that keeps the values in one dense array and only the position of each
/// in a `Dictionary`.
///
/// A `Dictionary` stores every value in its hash table, and the table has up to 8/3 slots per element (it
/// doubles when three quarters are used): for large values most of its memory is empty slots. The tunnel
/// ledger keeps a record of ~150 bytes per CHILD_SA; at 50,000 SAs a `Dictionary` of them held 21 MB
/// resident, the dense layout about half of that. Removal moves the last element into the freed position,
/// so iteration order is not insertion order.
struct DenseStringMap<Value>: Sequence {
    private var positions: [String: Int] = [:]
    private var keys: [String] = []
    private var values: [Value] = []

    /// Creates an empty map.
    init() {}

    /// The number of elements.
    var count: Int { values.count }

    /// The value for `key`; assigning `nil` removes it.
    subscript(key: String) -> Value? {
        get { positions[key].map { values[$0] } }
        set {
            if let newValue {
                if let position = positions[key] {
                    values[position] = newValue
                } else {
                    positions[key] = values.count
                    keys.append(key)
                    values.append(newValue)
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// The position of `key`'s value, valid until the next insertion or removal.
    func position(of key: String) -> Int? { positions[key] }

    /// The value at `position` (from ``position(of:)``), read or replaced in place.
    subscript(position position: Int) -> Value {
        get { values[position] }
        set { values[position] = newValue }
    }

    /// Removes the value for `key` and returns it.
    @discardableResult
    mutating func removeValue(forKey key: String) -> Value? {
        guard let position = positions.removeValue(forKey: key) else { return nil }
        let removed = values[position]
        let last = values.count - 1
        if position != last {
            keys[position] = keys[last]
            values[position] = values[last]
            positions[keys[position]] = position
        }
        keys.removeLast()
        values.removeLast()
        return removed
    }

    /// Iterates the elements as `(key, value)` pairs.
    struct Iterator: IteratorProtocol {
        fileprivate let keys: [String]
        fileprivate let values: [Value]
        fileprivate var position = 0

        mutating func next() -> (key: String, value: Value)? {
            guard position < values.count else { return nil }
            defer { position += 1 }
            return (keys[position], values[position])
        }
    }

    func makeIterator() -> Iterator { Iterator(keys: keys, values: values) }
}

extension DenseStringMap: Sendable where Value: Sendable {}
