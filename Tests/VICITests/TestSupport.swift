import NIOCore
import Testing
@testable import VICI

/// The UTF-8 bytes of `string` (for writing golden bytes readably).
func utf8(_ string: String) -> [UInt8] { Array(string.utf8) }

/// A `ByteBuffer` holding `bytes`.
func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

/// Asserts that `body` throws a `VICIError` with `code` (and `offset`, unless `offset` is `.any`).
func expectVICIError(
    _ code: VICIError.Code, offset: ExpectedOffset = .any, _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected VICIError \(code), but nothing was thrown. \(comment.map { "\($0)" } ?? "")",
                     sourceLocation: sourceLocation)
    } catch let error as VICIError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        if case .at(let expected) = offset {
            #expect(error.offset == expected, "\(error)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected VICIError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// The offset a test expects an error to carry.
enum ExpectedOffset: Sendable {
    /// Do not check the offset.
    case any
    /// The error must carry exactly this offset (`nil`: no offset).
    case at(Int?)
}

/// A small deterministic random number generator (SplitMix64), so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
