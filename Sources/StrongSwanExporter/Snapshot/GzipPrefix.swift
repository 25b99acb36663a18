import CZlib
import NIOCore

/// The start of one gzip member (RFC 1952), compressed once per poll: the header and the main body's deflate
/// data, ending at a byte-aligned block boundary without a final block (zlib's sync flush). Each response
/// completes it with ``completion(suffix:)``: the per-request suffix in stored deflate blocks (RFC 1951
/// §3.2.4), the last one final, then the trailer whose CRC-32 and length cover body and suffix.
///
/// The result is a single gzip member. Two concatenated members would also be valid gzip, but curl
/// (`--compressed`, libcurl 7.88) and some browsers stop after the first member and report an error.
public struct GzipPrefix: Sendable {
    /// The gzip header and the deflate data of the main body (no final block, no trailer).
    public let bytes: ByteBuffer
    /// The CRC-32 of the uncompressed main body.
    public let crc: UInt32
    /// The length of the uncompressed main body.
    public let length: Int

    /// The largest payload of one stored block.
    private static let maxStoredBlock = 65_535
    /// Header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
    private static let header: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF]

    /// The zlib level: 1, the fastest. On a scrape of 50,000 SAs' connection families (3 MB) level 1 ran at
    /// 458 MB/s against 131 MB/s for zlib's default 6, for output 14 % larger (150.8 KB against 132.0 KB);
    /// the text format is so repetitive that the fastest level already shrinks it 20-fold.
    public static let level: Int32 = 1

    /// Why zlib could not compress a body (it cannot on valid input, short of running out of memory).
    public struct CompressionError: Error, Hashable, CustomStringConvertible {
        /// zlib's return code (`Z_MEM_ERROR`, `Z_STREAM_ERROR`, …).
        public var code: Int32
        /// `zlib error <code>`.
        public var description: String { "zlib error \(self.code)" }
    }

    /// Compresses the readable bytes of `body` (zlib level ``level``): raw deflate (no zlib header), a 32 KiB
    /// window, zlib's default memory level and strategy, ended by a sync flush.
    public init(compressing body: ByteBuffer) throws(CompressionError) {
        try self.init(streaming: { feed in body.withUnsafeReadableBytes { feed($0) } },
                      expectedLength: body.readableBytes)
    }

    /// Compresses the bytes `produce` hands to its `feed` argument, in order, as if they were one body (the
    /// same output as ``init(compressing:)`` of their concatenation: zlib's output does not depend on how its
    /// input is split). The body never has to exist in one piece: the snapshot renders the exposition family
    /// by family into a small buffer and feeds each piece here, instead of faulting in a buffer as large as
    /// the whole text at every poll. `expectedLength` (a hint) sizes the output buffer.
    public init(streaming produce: (_ feed: (UnsafeRawBufferPointer) -> Void) -> Void,
                expectedLength: Int = 0) throws(CompressionError) {
        // zlib keeps a pointer back to the stream in its state and checks it: the stream must not move.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        let initialized = deflateInit2_(
            stream, Self.level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initialized == Z_OK else { throw CompressionError(code: initialized) }
        defer { deflateEnd(stream) }
        var output = ByteBuffer()
        // deflateBound covers the data; a sync flush adds an empty stored block (5 bytes) and may need a few
        // bits more. Should it still not fit, the loops below grow the buffer and carry on. Only the pages
        // written become resident.
        output.reserveCapacity(Self.header.count + Int(deflateBound(stream, UInt(max(expectedLength, 0)))) + 16)
        output.writeBytes(Self.header)
        var status = Z_OK
        var crc = CZlib.crc32(0, nil, 0)
        var length = 0

        /// Deflates what is in `avail_in` with `flush` until it is consumed and, for a flush, complete.
        func run(_ flush: Int32) {
            repeat {
                // At least 64 KiB of room per call: a sync flush of a chunk's worth of pending output fits.
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 * 1024) { out in
                    guard let base = out.baseAddress else { return 0 }
                    let capacity = min(out.count, Int(UInt32.max))
                    stream.pointee.next_out = base.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = UInt32(truncatingIfNeeded: capacity)
                    status = deflate(stream, flush)
                    return capacity - Int(stream.pointee.avail_out)
                }
                // Z_BUF_ERROR: no progress possible (nothing left to do); anything else but Z_OK is an error.
                if status == Z_BUF_ERROR { status = Z_OK; return }
                guard status == Z_OK else { return }
            } while stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0
        }

        produce { chunk in
            guard status == Z_OK, let base = chunk.baseAddress, chunk.count > 0 else { return }
            var offset = 0
            while offset < chunk.count, status == Z_OK {
                let piece = min(chunk.count - offset, Int(UInt32.max))
                let start = (base + offset).assumingMemoryBound(to: Bytef.self)
                crc = CZlib.crc32(crc, start, UInt32(truncatingIfNeeded: piece))
                // zlib's `next_in` is not const; deflate only reads through it.
                stream.pointee.next_in = UnsafeMutablePointer(mutating: start)
                stream.pointee.avail_in = UInt32(truncatingIfNeeded: piece)
                run(Z_NO_FLUSH)
                offset += piece
            }
            length += chunk.count
        }
        guard status == Z_OK else { throw CompressionError(code: status) }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        run(Z_SYNC_FLUSH)
        guard status == Z_OK else { throw CompressionError(code: status) }
        bytes = output
        self.crc = UInt32(truncatingIfNeeded: crc)
        self.length = length
    }

    /// A prefix from its parts, as ``init(compressing:)`` made them (tests build damaged ones).
    init(bytes: ByteBuffer, crc: UInt32, length: Int) {
        self.bytes = bytes
        self.crc = crc
        self.length = length
    }

    /// The rest of the member for a response whose uncompressed body is the main body followed by `suffix`:
    /// stored blocks holding `suffix` (one empty final block if it is empty) and the trailer.
    public func completion(suffix: ByteBuffer) -> ByteBuffer {
        let count = suffix.readableBytes
        let blocks = max(1, (count + Self.maxStoredBlock - 1) / Self.maxStoredBlock)
        var output = ByteBuffer()
        output.reserveCapacity(count + 5 * blocks + 8)
        var remaining = suffix
        repeat {
            let blockLength = min(remaining.readableBytes, Self.maxStoredBlock)
            let isFinal = remaining.readableBytes <= Self.maxStoredBlock
            output.writeInteger(UInt8(isFinal ? 1 : 0))
            let length16 = UInt16(truncatingIfNeeded: blockLength)
            output.writeInteger(length16, endianness: .little)
            output.writeInteger(~length16, endianness: .little)
            if var slice = remaining.readSlice(length: blockLength) {
                output.writeBuffer(&slice)
            }
        } while remaining.readableBytes > 0
        let combined = crc32_combine(UInt(crc), UInt(Self.crc32(suffix)), Int(count))
        output.writeInteger(UInt32(truncatingIfNeeded: combined), endianness: .little)
        output.writeInteger(UInt32(truncatingIfNeeded: length &+ count), endianness: .little)
        return output
    }

    /// The main body, decompressed from ``bytes``: exactly ``length`` bytes whose CRC-32 is ``crc``, or `nil`
    /// if zlib fails (it cannot on data it produced, short of running out of memory).
    public func inflated() -> ByteBuffer? {
        var input = bytes
        guard input.readableBytes >= Self.header.count, length <= Int(UInt32.max) else { return nil }
        input.moveReaderIndex(forwardBy: Self.header.count)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output = ByteBufferAllocator().buffer(capacity: max(length, 1))
        var produced = 0
        var status = Z_OK
        input.withUnsafeMutableReadableBytes { raw in
            guard let base = raw.baseAddress, raw.count <= Int(UInt32.max) else {
                status = Z_DATA_ERROR
                return
            }
            stream.next_in = base.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = UInt32(truncatingIfNeeded: raw.count)
            produced = output.writeWithUnsafeMutableBytes(minimumWritableBytes: max(length, 1)) { out in
                guard let outBase = out.baseAddress else { return 0 }
                stream.next_out = outBase.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = UInt32(truncatingIfNeeded: length)
                // The data ends at a sync-flush boundary, not with a final block: inflate stops with Z_OK (or
                // Z_BUF_ERROR when it has nothing left to do) once all input is consumed.
                status = inflate(&stream, Z_SYNC_FLUSH)
                return length - Int(stream.avail_out)
            }
        }
        guard status == Z_OK || status == Z_BUF_ERROR, stream.avail_in == 0, produced == length,
              Self.crc32(output) == crc
        else { return nil }
        return output
    }

    /// The CRC-32 (ISO-HDLC, as gzip uses) of the readable bytes of `data` (zlib's implementation).
    static func crc32(_ data: ByteBuffer) -> UInt32 {
        data.withUnsafeReadableBytes { raw -> UInt32 in
            var crc = CZlib.crc32(0, nil, 0)
            var offset = 0
            while offset < raw.count {
                let chunk = min(raw.count - offset, Int(UInt32.max))
                crc = CZlib.crc32(crc, raw.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + offset },
                                  UInt32(truncatingIfNeeded: chunk))
                offset += chunk
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }
}
