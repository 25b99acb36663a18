import NIOCore
import Testing
@testable import VICI

/// Property tests: random trees (seeded, reproducible) survive encode → decode unchanged, and random damage
/// to valid encodings never crashes the decoder.
@Suite("Round trips over generated trees")
struct RoundTripTests {
    /// Random names: 1…255 bytes of UTF-8 mixing ASCII, 2-, 3- and 4-byte scalars.
    static func randomName(_ rng: inout SeededGenerator) -> String {
        let target = Int.random(in: 1...(Bool.random(using: &rng) ? 12 : 255), using: &rng)
        var scalars = String.UnicodeScalarView()
        var length = 0
        while length < target {
            let scalar: Unicode.Scalar
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: scalar = Unicode.Scalar(UInt32.random(in: 0x80...0x7FF, using: &rng)) ?? "a"
            case 1: scalar = Unicode.Scalar(UInt32.random(in: 0xE000...0xFFFD, using: &rng)) ?? "b"
            case 2: scalar = Unicode.Scalar(UInt32.random(in: 0x10000...0x10FFFF, using: &rng)) ?? "c"
            default: scalar = Unicode.Scalar(UInt8.random(in: 0...0x7F, using: &rng))
            }
            let size = String(scalar).utf8.count
            if length + size > target { break }
            scalars.append(scalar)
            length += size
        }
        return scalars.isEmpty ? "x" : String(scalars)
    }

    /// Random values: raw bytes, mostly short, sometimes empty, rarely up to the 65535-byte limit.
    static func randomValue(_ rng: inout SeededGenerator) -> [UInt8] {
        let length: Int
        switch Int.random(in: 0..<400, using: &rng) {
        case 0..<8: length = 0
        case 8: length = Int.random(in: 60_000...65_535, using: &rng)
        default: length = Int.random(in: 1...40, using: &rng)
        }
        var bytes = [UInt8](repeating: 0, count: length)
        var index = 0
        while index < length {
            var word = rng.next()
            for _ in 0..<8 where index < length {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return bytes
    }

    static func randomSection(_ rng: inout SeededGenerator, depth: Int, budget: inout Int) -> VICIMessage {
        var message = VICIMessage()
        var used = Set<String>()
        let count = Int.random(in: 0...(depth == 0 ? 30 : 8), using: &rng)
        for _ in 0..<count where budget > 0 {
            var name = randomName(&rng)
            while used.contains(name) { name = randomName(&rng) }
            used.insert(name)
            budget -= 1
            let kind = Int.random(in: 0..<6, using: &rng)
            if kind < 2 && depth < 6 {
                message.entries.append(.init(name, .section(randomSection(&rng, depth: depth + 1, budget: &budget))))
            } else if kind == 2 {
                let items = (0..<Int.random(in: 0...5, using: &rng)).map { _ in randomValue(&rng) }
                message.entries.append(.init(name, .list(items)))
            } else {
                message.entries.append(.init(name, .value(randomValue(&rng))))
            }
        }
        return message
    }

    @Test(arguments: 0..<200)
    func encodeDecodeRoundTrip(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &* 7919)
        var budget = 120
        let message = Self.randomSection(&rng, depth: 0, budget: &budget)
        let options = VICICodingOptions(maxFrameLength: .max)
        let bytes = try message.encodedBytes(options: options)
        let decoded = try VICIMessage(decoding: bytes, options: options)
        #expect(decoded == message, "seed \(seed)")
        #expect(try decoded.encodedBytes(options: options) == bytes, "seed \(seed)")
    }

    @Test(arguments: 0..<50)
    func packetRoundTrip(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 1_000_003)
        var budget = 40
        let message = Self.randomSection(&rng, depth: 0, budget: &budget)
        let name = Self.randomName(&rng)
        let options = VICICodingOptions(maxFrameLength: .max)
        for packet in [VICIPacket.event(name: name, message: message), .commandRequest(name: name, message: message),
                       .commandResponse(message), .eventRegister(name: name)] {
            var out = ByteBuffer()
            try packet.encode(into: &out, options: options)
            #expect(try VICIPacket.decode(out, options: options) == packet, "seed \(seed) \(packet.type)")
        }
    }

    /// Every prefix and every single-byte corruption of a valid encoding either decodes or throws a
    /// `VICIError`; nothing traps.
    @Test(arguments: 0..<20)
    func damagedEncodingsNeverCrash(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 77)
        var budget = 25
        let message = Self.randomSection(&rng, depth: 0, budget: &budget)
        let bytes = try message.encodedBytes(options: VICICodingOptions(maxFrameLength: .max))
        // Every cut for small encodings, 400 random cuts for large ones.
        let cuts = bytes.count <= 400 ? Array(0..<bytes.count) : (0..<400).map { _ in Int.random(in: 0..<bytes.count, using: &rng) }
        for cut in cuts {
            do { _ = try VICIMessage(decoding: Array(bytes[..<cut])) } catch {}
        }
        for _ in 0..<200 {
            var damaged = bytes
            guard !damaged.isEmpty else { break }
            damaged[Int.random(in: 0..<damaged.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            do { _ = try VICIMessage(decoding: damaged) } catch {}
        }
    }

    /// Random byte soup (biased towards element type bytes) never crashes either.
    @Test func randomBytesNeverCrash() {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in
                Bool.random(using: &rng) ? UInt8.random(in: 0...7, using: &rng) : UInt8.random(in: 0...255, using: &rng)
            }
            do { _ = try VICIMessage(decoding: bytes) } catch {}
            do { _ = try VICIPacket.decode(ByteBuffer(bytes: bytes)) } catch {}
        }
    }
}
