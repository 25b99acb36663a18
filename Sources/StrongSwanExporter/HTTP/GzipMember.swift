import NIOCore

/// Builds gzip members (RFC 1952) whose data is in stored (uncompressed) deflate blocks (RFC 1951 §3.2.4).
///
/// Used for the per-request suffix of a gzip scrape: a few hundred bytes gain little from compression, and a
/// stored member costs one pass for the CRC-32 and no zlib stream set-up per request.
enum GzipMember {
    /// The largest payload of one stored block.
    private static let maxStoredBlock = 65_535

    /// A complete gzip member holding `data` uncompressed.
    static func stored(_ data: ByteBuffer) -> ByteBuffer {
        let count = data.readableBytes
        let blocks = max(1, (count + Self.maxStoredBlock - 1) / Self.maxStoredBlock)
        var output = ByteBuffer()
        output.reserveCapacity(10 + count + 5 * blocks + 8)
        // Header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
        output.writeBytes([0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF])
        var remaining = data
        repeat {
            let length = min(remaining.readableBytes, Self.maxStoredBlock)
            let isFinal = remaining.readableBytes <= Self.maxStoredBlock
            output.writeInteger(UInt8(isFinal ? 1 : 0))
            let length16 = UInt16(truncatingIfNeeded: length)
            output.writeInteger(length16, endianness: .little)
            output.writeInteger(~length16, endianness: .little)
            if var slice = remaining.readSlice(length: length) {
                output.writeBuffer(&slice)
            }
        } while remaining.readableBytes > 0
        output.writeInteger(Self.crc32(data), endianness: .little)
        output.writeInteger(UInt32(truncatingIfNeeded: count), endianness: .little)
        return output
    }

    /// The CRC-32 (ISO-HDLC, as gzip uses) of the readable bytes of `data`.
    static func crc32(_ data: ByteBuffer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data.readableBytesView {
            crc = Self.table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return ~crc
    }

    private static let table: [UInt32] = (0..<256).map { index -> UInt32 in
        var value = UInt32(truncatingIfNeeded: index)
        for _ in 0..<8 {
            value = (value & 1) == 1 ? (0xEDB8_8320 ^ (value >> 1)) : (value >> 1)
        }
        return value
    }
}
