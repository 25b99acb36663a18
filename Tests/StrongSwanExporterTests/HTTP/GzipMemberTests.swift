import NIOCore
import Testing
@testable import StrongSwanExporter

/// Stored-block gzip members for the per-request suffix.
@Suite struct GzipMemberTests {
    @Test func crc32OfKnownInputs() {
        #expect(GzipMember.crc32(ByteBuffer(string: "123456789")) == 0xCBF4_3926)
        #expect(GzipMember.crc32(ByteBuffer()) == 0)
    }

    @Test(arguments: [0, 1, 300, 65_535, 65_536, 200_000])
    func gzipAndPythonDecodeIt(size: Int) async throws {
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) }
        let member = GzipMember.stored(ByteBuffer(bytes: data))
        let bytes = Array(member.readableBytesView)
        #expect(try await HTTPTestProcess.run(["gzip", "-dc"], input: bytes) == data)
        let python = try await HTTPTestProcess.run(
            ["python3", "-c", "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))"],
            input: bytes
        )
        #expect(python == data)
    }

    @Test func followsACompressedMember() async throws {
        let first = try await HTTPTestProcess.run(["gzip", "-c"], input: Array("compressed part\n".utf8))
        let second = GzipMember.stored(ByteBuffer(string: "stored part\n"))
        let decoded = try await HTTPTestProcess.run(["gzip", "-dc"], input: first + Array(second.readableBytesView))
        #expect(String(decoding: decoded, as: UTF8.self) == "compressed part\nstored part\n")
    }
}
