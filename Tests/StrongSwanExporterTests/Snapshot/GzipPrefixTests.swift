import HTTPTestSupport
import NIOCore
import Testing
@testable import StrongSwanExporter

/// The precompressed gzip prefix and its per-request completion: one gzip member whose content is the body
/// followed by the suffix, read by independent decoders (gzip(1), Python's zlib and gzip modules).
@Suite struct GzipPrefixTests {
    @Test func crc32OfKnownInputs() {
        #expect(GzipPrefix.crc32(ByteBuffer(string: "123456789")) == 0xCBF4_3926)
        #expect(GzipPrefix.crc32(ByteBuffer()) == 0)
    }

    static func data(_ size: Int, seed: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ $0 / 7) ^ seed) }
    }

    /// Decodes with Python's zlib in gzip mode and fails unless exactly one member spans all the bytes.
    static let pythonSingleMember = """
        import sys, zlib
        data = sys.stdin.buffer.read()
        d = zlib.decompressobj(31)
        out = d.decompress(data) + d.flush()
        if not d.eof or d.unused_data:
            sys.exit("not exactly one gzip member (eof=%s, %d bytes after it)" % (d.eof, len(d.unused_data)))
        sys.stdout.buffer.write(out)
        """

    @Test(arguments: [(0, 0), (1, 0), (300, 1), (0, 300), (100_000, 65_535), (5_000, 65_536), (200_000, 200_000)])
    func completedMemberIsBodyPlusSuffix(bodySize: Int, suffixSize: Int) async throws {
        let body = Self.data(bodySize, seed: 1)
        let suffix = Self.data(suffixSize, seed: 2)
        let prefix = try GzipPrefix(compressing: ByteBuffer(bytes: body))
        #expect(prefix.length == bodySize)
        let member = Array(prefix.bytes.readableBytesView) + Array(prefix.completion(suffix: ByteBuffer(bytes: suffix)).readableBytesView)
        #expect(try await HTTPTestProcess.run(["gzip", "-dc"], input: member) == body + suffix)
        #expect(try await HTTPTestProcess.run(["python3", "-c", Self.pythonSingleMember], input: member) == body + suffix)
    }

    @Test(arguments: [1, 7, 4_096, 65_536, 300_000])
    func streamedPiecesCompressLikeTheWholeBody(pieceSize: Int) throws {
        let body = Self.data(250_000, seed: 4) + Array(String(repeating: "strongswan_tunnel_up{conn=\"a\"} 1\n", count: 3_000).utf8)
        let whole = try GzipPrefix(compressing: ByteBuffer(bytes: body))
        let streamed = try GzipPrefix(streaming: { feed in
            var offset = 0
            while offset < body.count {
                let end = min(offset + pieceSize, body.count)
                body[offset..<end].withUnsafeBytes { feed($0) }
                offset = end
            }
            feed(UnsafeRawBufferPointer(start: nil, count: 0))
        })
        #expect(streamed.length == body.count)
        #expect(streamed.crc == whole.crc)
        #expect(streamed.bytes == whole.bytes)
        #expect(streamed.inflated().map { Array($0.readableBytesView) } == body)
    }

    @Test func prefixIsCompressed() throws {
        let body = ByteBuffer(string: String(repeating: "strongswan_child_sa_bytes_total{conn=\"site\"} 1\n", count: 2_000))
        let prefix = try GzipPrefix(compressing: body)
        #expect(prefix.bytes.readableBytes * 20 < body.readableBytes)
    }

    @Test(arguments: [0, 1, 300, 65_535, 65_536, 1_000_000])
    func inflatedIsTheBodyAgain(bodySize: Int) throws {
        let body = Self.data(bodySize, seed: 3)
        let prefix = try GzipPrefix(compressing: ByteBuffer(bytes: body))
        let inflated = try #require(prefix.inflated())
        #expect(Array(inflated.readableBytesView) == body)
        // Twice from the same prefix: the prefix is not consumed.
        #expect(prefix.inflated().map { Array($0.readableBytesView) } == body)
    }

    @Test func corruptedPrefixIsNotInflatedIntoWrongText() throws {
        let body = ByteBuffer(string: String(repeating: "strongswan_tunnel_up{conn=\"a\"} 1\n", count: 500))
        let bad = try GzipPrefix(compressing: body).damaged()
        #expect(bad.inflated() == nil)
    }
}

extension GzipPrefix {
    /// A copy with one byte of its deflate data flipped (CRC-32 and length unchanged).
    func damaged() -> GzipPrefix {
        var data = Array(bytes.readableBytesView)
        data[data.count / 2] ^= 0x55
        return GzipPrefix(bytes: ByteBuffer(bytes: data), crc: crc, length: length)
    }
}
