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
    static func decodeBase64(_ text: Substring) -> [UInt8]? {
        var padded = String(text)
        // Foundation wants whole 4-character groups: complete an unpadded text (a lone 6-bit group, a
        // remainder of one character, cannot end a valid encoding); padded text is taken as it is.
        if !padded.utf8.contains(UInt8(ascii: "=")) {
            switch padded.utf8.count % 4 {
            case 0: break
            case 1: return nil
            case let remainder: padded += String(repeating: "=", count: 4 - remainder)
            }
        }
        return Data(base64Encoded: padded).map { Array($0) }
    }
}
