import Foundation
import Synchronization

/// Checks `Authorization: Basic` credentials against the web config's `basic_auth_users`.
///
/// A successful check is remembered per user (the password bytes that matched, compared in constant time
/// later), so repeated scrapes do not pay bcrypt each time. The cache holds at most one entry per configured
/// user, so it cannot grow beyond the config. Unknown users cost a decoy bcrypt of the highest configured cost,
/// so their failures take as long as wrong passwords. A new authenticator (with an empty cache) is made for
/// every loaded web config.
final class BasicAuthenticator: Sendable {
    private let users: [String: BcryptHash]
    private let decoySetting: String
    private let verified = Mutex<[String: [UInt8]]>([:])
    private let verifier = BcryptVerifier()

    init(users: [String: BcryptHash]) {
        self.users = users
        let cost = users.values.map(\.cost).max() ?? 10
        let costText = cost < 10 ? "0\(cost)" : "\(cost)"
        self.decoySetting = "$2b$\(costText)$" + "abcdefghijklmnopqrstuv"
    }

    /// Whether any user is configured (authentication is required).
    var isEnabled: Bool { !self.users.isEmpty }

    /// Returns the authenticated user for the given `Authorization` field values, or `nil` to refuse.
    func authenticate(authorization values: [String]) async -> String? {
        guard values.count == 1, let credentials = Self.parseBasic(values[0]) else { return nil }
        let (user, password) = credentials
        guard let hash = self.users[user] else {
            await self.verifier.spendDecoyTime(password: password, setting: self.decoySetting)
            return nil
        }
        let cached = self.verified.withLock { $0[user] }
        if let cached, constantTimeEquals(cached, password) {
            return user
        }
        guard await self.verifier.verify(password: password, hash: hash) else { return nil }
        self.verified.withLock { $0[user] = password }
        return user
    }

    /// Splits `Basic <base64(user:password)>` into user and password bytes.
    static func parseBasic(_ value: String) -> (String, [UInt8])? {
        let trimmed = value.trimmingHTTPWhitespace()
        guard let space = trimmed.firstIndex(of: " ") else { return nil }
        guard trimmed[..<space].lowercased() == "basic" else { return nil }
        let encoded = trimmed[trimmed.index(after: space)...].trimmingHTTPWhitespace()
        guard let decoded = Self.decodeBase64(encoded),
            let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        else { return nil }
        let userBytes = decoded[..<colon]
        guard let user = String(validating: userBytes, as: UTF8.self) else { return nil }
        return (user, Array(decoded[(colon + 1)...]))
    }

    /// Decodes standard base64 (RFC 4648 §4) with Foundation; padding is optional, whitespace and other
    /// characters are errors (`nil`).
    ///
    /// Foundation's decoder alone is more lenient (it takes `====`, `DS=Y` or `Zuyi=`), so the text is checked
    /// first: base64 digits, then at most two `=` that complete a 4-character group; without padding, a
    /// length that leaves a lone 6-bit group (one character past a group) cannot end a valid encoding.
    static func decodeBase64(_ text: Substring) -> [UInt8]? {
        let utf8 = text.utf8
        var padding = 0
        for byte in utf8.reversed() {
            guard byte == UInt8(ascii: "=") else { break }
            padding += 1
        }
        guard padding <= 2, utf8.dropLast(padding).allSatisfy(Self.isBase64Digit) else { return nil }
        var padded = String(text)
        if padding > 0 {
            guard utf8.count % 4 == 0 else { return nil }
        } else {
            switch utf8.count % 4 {
            case 0: break
            case 1: return nil
            case let remainder: padded += String(repeating: "=", count: 4 - remainder)
            }
        }
        return Data(base64Encoded: padded).map { Array($0) }
    }

    private static func isBase64Digit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }
}
