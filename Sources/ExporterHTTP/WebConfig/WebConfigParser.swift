import NIOHTTP1
import NIOSSL

/// Turns web config YAML into a ``WebConfig``: strict about keys and values, loading the files named.
struct WebConfigParser {
    /// The directory that relative file names are taken from (the config file's directory).
    let baseDirectory: String

    /// The headers `http_server_config.headers` may set, with their allowed values (`nil`: any value),
    /// as in exporter-toolkit.
    static let configurableHeaders: [String: [String]?] = [
        "Strict-Transport-Security": nil,
        "X-Content-Type-Options": ["nosniff"],
        "X-Frame-Options": ["deny", "sameorigin"],
        "X-XSS-Protection": nil,
        "Content-Security-Policy": nil,
    ]

    func parse(yaml: String) throws(WebConfigError) -> WebConfig {
        let root: YAMLNode?
        do {
            root = try YAMLDocumentParser.parse(Array(yaml.utf8))
        } catch {
            throw WebConfigError("invalid YAML: \(error.message)")
        }
        var config = WebConfig()
        guard let root else { return config }
        for (key, value) in try self.mapping(root, at: "top level") {
            switch key {
            case "tls_server_config":
                config.tls = try self.parseTLS(value, warnings: &config.warnings)
            case "http_server_config":
                config.headers = try self.parseHTTPServerConfig(value, warnings: &config.warnings)
            case "basic_auth_users":
                config.basicAuthUsers = try self.parseUsers(value)
            case "rate_limit":
                config.rateLimit = try self.parseRateLimit(value)
            default:
                throw WebConfigError("unknown key \"\(key)\" at top level\(Self.location(of: value))")
            }
        }
        return config
    }

    // MARK: Sections

    private func parseTLS(_ node: YAMLNode, warnings: inout [String]) throws(WebConfigError) -> TLSServerSettings? {
        var certFile = "", keyFile = "", caFile = ""
        var certText = "", keyText = "", caText = ""
        var clientAuthText = ""
        var minimum: TLSVersion = .tlsv12
        var maximum: TLSVersion = .tlsv13
        var curves: [NIOTLSCurve]? = nil
        let section = "tls_server_config"
        for (key, value) in try self.mapping(node, at: section) {
            let path = "\(section).\(key)"
            switch key {
            case "cert_file": certFile = try self.string(value, at: path)
            case "key_file": keyFile = try self.string(value, at: path)
            case "client_ca_file": caFile = try self.string(value, at: path)
            case "cert": certText = try self.string(value, at: path)
            case "key": keyText = try self.string(value, at: path)
            case "client_ca": caText = try self.string(value, at: path)
            case "client_auth_type": clientAuthText = try self.string(value, at: path)
            case "min_version": minimum = try self.tlsVersion(value, at: path)
            case "max_version": maximum = try self.tlsVersion(value, at: path)
            case "curve_preferences":
                let names = try self.stringList(value, at: path)
                curves = try names.map { (name) throws(WebConfigError) -> NIOTLSCurve in
                    switch name {
                    case "CurveP256": return .secp256r1
                    case "CurveP384": return .secp384r1
                    case "CurveP521": return .secp521r1
                    case "X25519": return .x25519
                    default: throw WebConfigError("\(path): unknown curve \"\(name)\"")
                    }
                }
                if curves?.isEmpty == true { curves = nil }
            case "cipher_suites":
                if !(try self.stringList(value, at: path)).isEmpty {
                    warnings.append("\(path) is ignored: the TLS library's default cipher suites are used")
                }
            case "prefer_server_cipher_suites":
                _ = try self.bool(value, at: path)
            case "client_allowed_sans":
                if !(try self.stringList(value, at: path)).isEmpty {
                    throw WebConfigError("\(path) is not supported by this exporter")
                }
            default:
                throw WebConfigError("unknown key \"\(key)\" in \(section)\(Self.location(of: value))")
            }
        }
        let anySet = [certFile, keyFile, caFile, certText, keyText, caText, clientAuthText].contains { !$0.isEmpty }
        guard anySet else { return nil }
        guard certFile.isEmpty || certText.isEmpty else {
            throw WebConfigError("\(section): cert and cert_file are both set; use one")
        }
        guard keyFile.isEmpty || keyText.isEmpty else {
            throw WebConfigError("\(section): key and key_file are both set; use one")
        }
        guard caFile.isEmpty || caText.isEmpty else {
            throw WebConfigError("\(section): client_ca and client_ca_file are both set; use one")
        }
        guard !certFile.isEmpty || !certText.isEmpty else {
            throw WebConfigError("\(section): missing one of cert or cert_file")
        }
        guard !keyFile.isEmpty || !keyText.isEmpty else {
            throw WebConfigError("\(section): missing one of key or key_file")
        }
        guard let clientAuth = ClientAuthType(configValue: clientAuthText) else {
            let valid = ClientAuthType.allCases.map(\.rawValue).joined(separator: ", ")
            throw WebConfigError("\(section).client_auth_type: invalid value \"\(clientAuthText)\" (one of \(valid))")
        }
        let hasCA = !caFile.isEmpty || !caText.isEmpty
        if hasCA, clientAuth == .noClientCert {
            throw WebConfigError("\(section): client CAs are configured but client_auth_type is NoClientCert")
        }
        if clientAuth.verifiesCertificates, !hasCA {
            throw WebConfigError(
                "\(section): client_auth_type \(clientAuth.rawValue) needs client_ca_file (or client_ca)"
            )
        }
        guard Self.rank(minimum) <= Self.rank(maximum) else {
            throw WebConfigError("\(section): min_version is above max_version")
        }

        let certificates = try self.certificates(file: certFile, inline: certText, key: "cert")
        let privateKey = try self.privateKey(file: keyFile, inline: keyText)
        let authorities = hasCA ? try self.certificates(file: caFile, inline: caText, key: "client_ca") : []
        return try TLSServerSettings(
            certificateChain: certificates,
            privateKey: privateKey,
            clientAuth: clientAuth,
            clientCertificateAuthorities: authorities,
            minimumVersion: minimum,
            maximumVersion: maximum,
            curves: curves
        )
    }

    private func parseHTTPServerConfig(_ node: YAMLNode, warnings: inout [String]) throws(WebConfigError) -> HTTPHeaders {
        var headers = HTTPHeaders()
        let section = "http_server_config"
        for (key, value) in try self.mapping(node, at: section) {
            switch key {
            case "http2":
                _ = try self.bool(value, at: "\(section).http2")
            case "headers":
                for (name, valueNode) in try self.mapping(value, at: "\(section).headers") {
                    let path = "\(section).headers.\(name)"
                    guard let allowed = Self.configurableHeaders[name] else {
                        throw WebConfigError("\(path): this header can not be configured")
                    }
                    let headerValue = try self.string(valueNode, at: path)
                    if headerValue.isEmpty { continue }
                    if let allowed, !allowed.contains(headerValue) {
                        throw WebConfigError("\(path): expected one of \(allowed), got \"\(headerValue)\"")
                    }
                    guard !headerValue.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) else {
                        throw WebConfigError("\(path): control characters are not allowed")
                    }
                    headers.add(name: name, value: headerValue)
                }
            default:
                throw WebConfigError("unknown key \"\(key)\" in \(section)\(Self.location(of: value))")
            }
        }
        return headers
    }

    private func parseUsers(_ node: YAMLNode) throws(WebConfigError) -> [String: BcryptHash] {
        var users: [String: BcryptHash] = [:]
        for (user, value) in try self.mapping(node, at: "basic_auth_users") {
            let text = try self.string(value, at: "basic_auth_users.\(user)")
            guard let hash = BcryptHash(text) else {
                throw WebConfigError("basic_auth_users.\(user): not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters)")
            }
            users[user] = hash
        }
        return users
    }

    private func parseRateLimit(_ node: YAMLNode) throws(WebConfigError) -> RateLimit? {
        var interval: Duration = .zero
        var burst = 0
        for (key, value) in try self.mapping(node, at: "rate_limit") {
            let path = "rate_limit.\(key)"
            switch key {
            case "interval":
                let text = try self.string(value, at: path)
                guard let parsed = GoDuration.parse(text) else {
                    throw WebConfigError("\(path): not a duration such as 1s or 500ms: \"\(text)\"")
                }
                interval = parsed
            case "burst":
                let text = try self.string(value, at: path)
                guard let parsed = Int(text), parsed >= 0, parsed <= 1_000_000 else {
                    throw WebConfigError("\(path): expected a whole number from 0 to 1000000, got \"\(text)\"")
                }
                burst = parsed
            default:
                throw WebConfigError("unknown key \"\(key)\" in rate_limit\(Self.location(of: value))")
            }
        }
        guard interval > .zero else { return nil }
        guard burst >= 1 else {
            throw WebConfigError("rate_limit.burst must be at least 1 when an interval is set (0 refuses every request)")
        }
        return RateLimit(interval: interval, burst: burst)
    }

    // MARK: Files

    private func resolve(_ file: String) -> String {
        file.hasPrefix("/") ? file : "\(self.baseDirectory)/\(file)"
    }

    private func pemBytes(file: String, inline: String, key: String) throws(WebConfigError) -> [UInt8] {
        guard !file.isEmpty else { return Array(inline.utf8) }
        do {
            return try BoundedFile.readAll(path: self.resolve(file))
        } catch {
            throw WebConfigError("tls_server_config.\(key)_file: cannot read \(error)")
        }
    }

    private func certificates(file: String, inline: String, key: String) throws(WebConfigError) -> [NIOSSLCertificate] {
        let bytes = try self.pemBytes(file: file, inline: inline, key: key)
        let source = file.isEmpty ? "tls_server_config.\(key)" : "tls_server_config.\(key)_file \(self.resolve(file))"
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw WebConfigError("\(source): not a PEM certificate: \(error)")
        }
        guard !certificates.isEmpty else {
            throw WebConfigError("\(source): no PEM certificate found")
        }
        return certificates
    }

    private func privateKey(file: String, inline: String) throws(WebConfigError) -> NIOSSLPrivateKey {
        let bytes = try self.pemBytes(file: file, inline: inline, key: "key")
        do {
            return try NIOSSLPrivateKey(bytes: bytes, format: .pem)
        } catch {
            let source = file.isEmpty ? "tls_server_config.key" : "tls_server_config.key_file \(self.resolve(file))"
            throw WebConfigError("\(source): not an unencrypted PEM private key: \(error)")
        }
    }

    private static func rank(_ version: TLSVersion) -> Int {
        switch version {
        case .tlsv1: return 10
        case .tlsv11: return 11
        case .tlsv12: return 12
        case .tlsv13: return 13
        }
    }

    // MARK: YAML helpers

    private static func isNull(_ node: YAMLNode) -> Bool {
        // A plain (unquoted) empty, `~` or `null` scalar, as YAML 1.1's null.
        if case .scalar(let value, .plain) = node.content {
            return ["", "~", "null", "Null", "NULL"].contains(value)
        }
        return false
    }

    private static func location(of node: YAMLNode) -> String {
        " (line \(node.line))"
    }

    private func mapping(_ node: YAMLNode, at path: String) throws(WebConfigError) -> [(String, YAMLNode)] {
        if Self.isNull(node) { return [] }
        guard case .mapping(let mapping) = node.content else {
            throw WebConfigError("\(path): expected a mapping\(Self.location(of: node))")
        }
        var seen = Set<String>()
        var pairs: [(String, YAMLNode)] = []
        for pair in mapping {
            guard case .scalar(let key, _) = pair.key.content else {
                throw WebConfigError("\(path): keys must be strings\(Self.location(of: pair.key))")
            }
            guard seen.insert(key).inserted else {
                throw WebConfigError("\(path): duplicate key \"\(key)\"\(Self.location(of: pair.key))")
            }
            pairs.append((key, pair.value))
        }
        return pairs
    }

    private func string(_ node: YAMLNode, at path: String) throws(WebConfigError) -> String {
        if Self.isNull(node) { return "" }
        guard case .scalar(let value, _) = node.content else {
            throw WebConfigError("\(path): expected a string\(Self.location(of: node))")
        }
        return value
    }

    private func stringList(_ node: YAMLNode, at path: String) throws(WebConfigError) -> [String] {
        if Self.isNull(node) { return [] }
        guard case .sequence(let sequence) = node.content else {
            throw WebConfigError("\(path): expected a list\(Self.location(of: node))")
        }
        var values: [String] = []
        for element in sequence {
            values.append(try self.string(element, at: path))
        }
        return values
    }

    private func bool(_ node: YAMLNode, at path: String) throws(WebConfigError) -> Bool {
        guard case .scalar(let value, _) = node.content else {
            throw WebConfigError("\(path): expected true or false\(Self.location(of: node))")
        }
        switch value {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw WebConfigError("\(path): expected true or false, got \"\(value)\"")
        }
    }

    private func tlsVersion(_ node: YAMLNode, at path: String) throws(WebConfigError) -> TLSVersion {
        switch try self.string(node, at: path) {
        case "TLS10": return .tlsv1
        case "TLS11": return .tlsv11
        case "TLS12": return .tlsv12
        case "TLS13": return .tlsv13
        case let other: throw WebConfigError("\(path): unknown TLS version \"\(other)\" (TLS10, TLS11, TLS12, TLS13)")
        }
    }
}
