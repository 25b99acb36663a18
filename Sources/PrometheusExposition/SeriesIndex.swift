/// An open-addressing hash index of entries numbered 0, 1, 2, … in insertion order, used to detect
/// duplicate series cheaply: it stores only each entry's hash and a table of entry numbers, and asks
/// the caller to compare actual contents when hashes match.
package struct SeriesIndex {
    /// Entry numbers (-1 = empty); the count is a power of two, at least twice the entry count.
    private var slots: [Int32] = []
    /// The hash of each entry.
    private var hashes: [Int] = []

    /// Creates an empty index.
    package init() {}

    /// The number of entries.
    package var count: Int { hashes.count }

    /// Prepares for `count` entries in total.
    package mutating func reserveCapacity(_ count: Int) {
        hashes.reserveCapacity(count)
        if count * 2 > slots.count { rehash(capacity: Self.capacity(for: count)) }
    }

    /// Returns the first entry with this hash for which `isEqual` is true; if there is none, adds a
    /// new entry (numbered ``count`` before the call) and returns nil.
    @inline(__always)
    package mutating func findOrInsert(hash: Int, isEqual: (Int) -> Bool) -> Int? {
        if (hashes.count + 1) * 2 > slots.count { rehash(capacity: Self.capacity(for: hashes.count + 1)) }
        let mask = slots.count - 1
        var slot = hash & mask
        while true {
            let entry = Int(slots[slot])
            if entry < 0 { break }
            if hashes[entry] == hash && isEqual(entry) { return entry }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(truncatingIfNeeded: hashes.count)
        hashes.append(hash)
        return nil
    }

    /// Returns the first entry with this hash for which `isEqual` is true, or nil.
    @inline(__always)
    package func find(hash: Int, isEqual: (Int) -> Bool) -> Int? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var slot = hash & mask
        while true {
            let entry = Int(slots[slot])
            if entry < 0 { return nil }
            if hashes[entry] == hash && isEqual(entry) { return entry }
            slot = (slot + 1) & mask
        }
    }

    private static func capacity(for count: Int) -> Int {
        var capacity = 16
        while capacity < count * 2 { capacity <<= 1 }
        return capacity
    }

    private mutating func rehash(capacity: Int) {
        precondition(capacity <= Int(Int32.max), "too many series")
        var table = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (entry, hash) in hashes.enumerated() {
            var slot = hash & mask
            while table[slot] >= 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(truncatingIfNeeded: entry)
        }
        slots = table
    }
}

/// A fast, non-cryptographic 64-bit hash of bytes (8 bytes per step, multiply–xorshift mixing).
/// Collisions only cost time: every user confirms a hash match by comparing contents.
package enum FastHash {
    package static let seed: UInt64 = 0x243F_6A88_85A3_08D3

    @inlinable @inline(__always)
    package static func mix(_ state: UInt64, _ word: UInt64) -> UInt64 {
        var value = (state ^ word) &* 0x9E37_79B9_7F4A_7C15
        value ^= value >> 29
        return value
    }

    @inlinable @inline(__always)
    package static func finalize(_ state: UInt64) -> UInt64 {
        var value = state
        value ^= value >> 33
        value &*= 0xFF51_AFD7_ED55_8CCD
        value ^= value >> 33
        value &*= 0xC4CE_B9FE_1A85_EC53
        value ^= value >> 33
        return value
    }

    /// Mixes `bytes` and their length into `state`.
    @inlinable @inline(__always)
    package static func combine(_ state: UInt64, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var state = mix(state, UInt64(truncatingIfNeeded: bytes.count))
        guard let base = bytes.baseAddress else { return state }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        while offset + 8 <= bytes.count {
            state = mix(state, raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        if offset < bytes.count {
            var tail: UInt64 = 0
            while offset < bytes.count {
                tail = tail << 8 | UInt64(base[offset])
                offset += 1
            }
            state = mix(state, tail)
        }
        return state
    }
}
