import Testing
@testable import ExporterHTTP

/// The YAML document model built from libyaml's events, and the web config's view of it.
///
/// The expected trees of `webConfigLikeDocument` and `smallDocuments` are what PyYAML 6.0.3's `yaml.compose`
/// reports (node kinds, values, styles, `start_mark.line + 1`), with its pure-Python loader and with its libyaml
/// loader alike: an independent reading of the same text.
@Suite struct YAMLDocumentParserTests {
    static func parse(_ text: String) throws(YAMLError) -> YAMLNode? {
        try YAMLDocumentParser.parse(Array(text.utf8))
    }

    static func pair(_ key: YAMLNode, _ value: YAMLNode) -> YAMLNode.Pair {
        YAMLNode.Pair(key: key, value: value)
    }

    /// A key scalar: plain, on `line`.
    static func key(_ text: String, _ line: Int) -> YAMLNode {
        .scalar(text, .plain, line: line)
    }

    @Test func webConfigLikeDocument() throws {
        let text = """
            # web config
            tls_server_config:
              cert_file: server.crt
              key_file: 'server.key'
              curve_preferences: [X25519, "CurveP256"]
              cipher_suites:
                - A
                - B
            http_server_config:
              headers:
                Content-Security-Policy: >
                  default-src
                  'self'
            basic_auth_users:
              alice: |
                line one
                line two
            rate_limit: ~
            empty:

            """
        let expected = YAMLNode.mapping([
            Self.pair(Self.key("tls_server_config", 2), .mapping([
                Self.pair(Self.key("cert_file", 3), .scalar("server.crt", .plain, line: 3)),
                Self.pair(Self.key("key_file", 4), .scalar("server.key", .singleQuoted, line: 4)),
                Self.pair(Self.key("curve_preferences", 5), .sequence([
                    .scalar("X25519", .plain, line: 5), .scalar("CurveP256", .doubleQuoted, line: 5),
                ], line: 5)),
                Self.pair(Self.key("cipher_suites", 6), .sequence([
                    .scalar("A", .plain, line: 7), .scalar("B", .plain, line: 8),
                ], line: 7)),
            ], line: 3)),
            Self.pair(Self.key("http_server_config", 9), .mapping([
                Self.pair(Self.key("headers", 10), .mapping([
                    Self.pair(Self.key("Content-Security-Policy", 11), .scalar("default-src 'self'\n", .folded, line: 11)),
                ], line: 11)),
            ], line: 10)),
            Self.pair(Self.key("basic_auth_users", 14), .mapping([
                Self.pair(Self.key("alice", 15), .scalar("line one\nline two\n", .literal, line: 15)),
            ], line: 15)),
            Self.pair(Self.key("rate_limit", 18), .scalar("~", .plain, line: 18)),
            Self.pair(Self.key("empty", 19), .scalar("", .plain, line: 19)),
        ], line: 2)
        #expect(try Self.parse(text) == expected)
    }

    @Test func smallDocuments() throws {
        // An explicit document with nothing in it: an empty plain scalar (where the stream ends).
        #expect(try Self.parse("---\n") == .scalar("", .plain, line: 2))
        // Tags and anchors are dropped; the values are taken as written.
        #expect(try Self.parse("a: !!str 5\nb: &x !foo bar\n") == .mapping([
            Self.pair(Self.key("a", 1), .scalar("5", .plain, line: 1)),
            Self.pair(Self.key("b", 2), .scalar("bar", .plain, line: 2)),
        ], line: 1))
        // Nested block sequences, a flow mapping, escapes in double quotes.
        #expect(try Self.parse("- a\n- - b\n  - c\n- {k: v, 'q': \"w\\tx\"}\n") == .sequence([
            .scalar("a", .plain, line: 1),
            .sequence([.scalar("b", .plain, line: 2), .scalar("c", .plain, line: 3)], line: 2),
            .mapping([
                Self.pair(Self.key("k", 4), .scalar("v", .plain, line: 4)),
                Self.pair(.scalar("q", .singleQuoted, line: 4), .scalar("w\tx", .doubleQuoted, line: 4)),
            ], line: 4),
        ], line: 1))
        // Keys need not be scalars (the web config refuses those itself).
        #expect(try Self.parse("? complex\n: value\n[a, b]: c\n") == .mapping([
            Self.pair(Self.key("complex", 1), .scalar("value", .plain, line: 2)),
            Self.pair(.sequence([.scalar("a", .plain, line: 3), .scalar("b", .plain, line: 3)], line: 3),
                      .scalar("c", .plain, line: 3)),
        ], line: 1))
    }

    @Test(arguments: ["", "\n\n", "# only a comment\n", "  \n# two\n# comments"])
    func noDocumentIsNoRoot(text: String) throws {
        #expect(try Self.parse(text) == nil)
    }

    @Test(arguments: ["a: 1\n---\nb: 2\n", "--- a\n--- b\n", "a: 1\n...\n---\nb: 2\n"])
    func secondDocumentIsRefused(text: String) {
        #expect(throws: YAMLError("more than one document")) { try Self.parse(text) }
    }

    @Test func aliasIsRefusedAndAnchorAloneIsAccepted() throws {
        #expect(throws: YAMLError("aliases are not supported (line 2)")) {
            try Self.parse("a: &x 1\nb: *x\n")
        }
        #expect(throws: YAMLError("aliases are not supported (line 1)")) { try Self.parse("*x\n") }
        #expect(try Self.parse("a: &x 1\n") == .mapping([Self.pair(Self.key("a", 1), .scalar("1", .plain, line: 1))], line: 1))
    }

    @Test func nestingIsBoundedAt64() throws {
        let limit = YAMLDocumentParser.maximumDepth
        #expect(limit == 64)
        func flow(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + "x" + String(repeating: "]", count: depth)
        }
        var node = try #require(try Self.parse(flow(limit)))
        var depth = 0
        while case .sequence(let elements) = node.content, let first = elements.first {
            depth += 1
            node = first
        }
        #expect(depth == limit)
        #expect(node == .scalar("x", .plain, line: 1))
        #expect(throws: YAMLError("nesting deeper than 64 levels (line 1)")) { try Self.parse(flow(limit + 1)) }
    }

    @Test(arguments: [
        String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000),
        String(repeating: "[", count: 10_000),
        String(repeating: "{a: ", count: 10_000),
        String(repeating: "- ", count: 10_000) + "x\n",
        (0..<200).map { String(repeating: " ", count: $0) + "a:\n" }.joined(),
    ])
    func hostileNestingIsRefusedWithoutCrashing(text: String) {
        #expect {
            try Self.parse(text)
        } throws: { error in
            (error as? YAMLError)?.message.hasPrefix("nesting deeper than 64 levels (line ") == true
        }
    }

    @Test func libyamlErrorsNameTheProblemAndItsPosition() {
        #expect(throws: YAMLError(
            "did not find expected node content (line 2, column 1) while parsing a flow node started at line 2, column 1"
        )) { try Self.parse("a: [\n") }
        #expect {
            try Self.parse("a: b\n c: d\n")
        } throws: { error in
            (error as? YAMLError)?.message.hasPrefix("mapping values are not allowed in this context (line 2, column 3)") == true
        }
    }

    @Test(arguments: [
        ([0x61, 0x3A, 0x20, 0xFF, 0x0A], "invalid leading UTF-8 octet #xFF (line 1, column 4)"),
        ([0x61, 0x3A, 0x20, 0x0A, 0x62, 0x3A, 0x20, 0xC3], "incomplete UTF-8 octet sequence (line 2, column 4)"),
        ([0x61, 0x3A, 0x20, 0xC3, 0x28], "invalid trailing UTF-8 octet #x28 (line 1, column 5)"),
        ([0x61, 0x3A, 0x20, 0xED, 0xA0, 0x80], "invalid Unicode character #xD800 (line 1, column 4)"),
        ([0x61, 0x3A, 0x20, 0x62, 0x00, 0x63], "control characters are not allowed #x00 (line 1, column 5)"),
        ([0x00], "control characters are not allowed #x00 (line 1, column 1)"),
        ([0xFE, 0xFF, 0x00, 0x61], "invalid leading UTF-8 octet #xFE (line 1, column 1)"),
    ] as [([UInt8], String)])
    func badBytesAreErrors(bytes: [UInt8], expected: String) {
        #expect(throws: YAMLError(expected)) { try YAMLDocumentParser.parse(bytes) }
    }

    /// Whatever prefix of a valid web config is read (a file cut short), the parser answers, never traps.
    @Test func everyPrefixOfAWebConfigParsesOrErrs() throws {
        let text = """
            tls_server_config:
              cert_file: "server.crt"
              key_file: 'server.key'
              client_auth_type: RequireAndVerifyClientCert
              client_ca: |
                -----BEGIN CERTIFICATE-----
                MIIB
                -----END CERTIFICATE-----
              curve_preferences: [X25519, CurveP256]
              cipher_suites:
                - TLS_AES_128_GCM_SHA256
            http_server_config:
              headers: {X-Frame-Options: deny, "Content-Security-Policy": "default-src 'self'"}
            basic_auth_users:
              prometheus: $2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG # a comment
            rate_limit:
              interval: 1s
              burst: 5

            """
        let bytes = Array(text.utf8)
        var parsed = 0, refused = 0
        for end in 0...bytes.count {
            do {
                _ = try YAMLDocumentParser.parse(Array(bytes[..<end]))
                parsed += 1
            } catch {
                #expect(!error.message.isEmpty)
                refused += 1
            }
        }
        // Both happen: the whole text parses, a cut inside a flow collection or quoted string does not.
        #expect(parsed > 0 && refused > 0)
        let root = try #require(try YAMLDocumentParser.parse(bytes))
        guard case .mapping(let pairs) = root.content else {
            Issue.record("expected a mapping, got \(root)")
            return
        }
        #expect(pairs.map(\.key) == [
            Self.key("tls_server_config", 1), Self.key("http_server_config", 12), Self.key("basic_auth_users", 14),
            Self.key("rate_limit", 16),
        ])
    }

    /// Pseudo-random bytes and shuffled YAML fragments (a fixed seed): every input gets an answer.
    @Test func arbitraryInputNeverTraps() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            // SplitMix64.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let fragments = ["a", ":", " ", "\n", "- ", "[", "]", "{", "}", ",", "'", "\"", "&x ", "*x", "!!str ", "? ",
                         "|", ">", "#", "---", "...", "\\", "  ", "\t", "%YAML 1.1\n", "é", "\u{0}", "~"]
        for round in 0..<3_000 {
            var bytes: [UInt8] = []
            let length = Int(next() % 64)
            for _ in 0..<length {
                if round % 3 == 0 {
                    bytes.append(UInt8(truncatingIfNeeded: next()))
                } else {
                    bytes.append(contentsOf: fragments[Int(next() % UInt64(fragments.count))].utf8)
                }
            }
            do {
                _ = try YAMLDocumentParser.parse(bytes)
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
    }

    // MARK: Through the web config parser

    @Test(arguments: [
        ("a: [\n", "invalid YAML: did not find expected node content (line 2, column 1) while parsing a flow node started at line 2, column 1"),
        ("a: 1\n---\nb: 2\n", "invalid YAML: more than one document"),
        ("basic_auth_users: &users\n  a: b\nrate_limit: *users\n", "invalid YAML: aliases are not supported (line 3)"),
        ("a: \"b\u{0}\"\n", "invalid YAML: control characters are not allowed #x00 (line 1, column 6)"),
        (String(repeating: "[", count: 100), "invalid YAML: nesting deeper than 64 levels (line 1)"),
        ("tls_server_config:\n  cert_file: a\n  colour: red\n", "unknown key \"colour\" in tls_server_config (line 3)"),
        ("rate_limit:\n  every: 1s\n", "unknown key \"every\" in rate_limit (line 2)"),
        ("\n\nbogus: [1]\n", "unknown key \"bogus\" at top level (line 3)"),
        ("basic_auth_users:\n  [a]: b\n", "basic_auth_users: keys must be strings (line 2)"),
        ("rate_limit:\n  burst: 1\n  burst: 2\n", "rate_limit: duplicate key \"burst\" (line 3)"),
        ("tls_server_config: '~'\n", "tls_server_config: expected a mapping (line 1)"),
        ("tls_server_config:\n  cert_file: [a]\n", "tls_server_config.cert_file: expected a string (line 2)"),
        ("tls_server_config:\n  cipher_suites: a\n", "tls_server_config.cipher_suites: expected a list (line 2)"),
        ("http_server_config:\n  http2: [true]\n", "http_server_config.http2: expected true or false (line 2)"),
        ("http_server_config:\n  http2: yes\n", "http_server_config.http2: expected true or false, got \"yes\""),
        ("http_server_config:\n  headers:\n    X-Frame-Options: \"null\"\n", "http_server_config.headers.X-Frame-Options: expected one of [\"deny\", \"sameorigin\"], got \"null\""),
    ] as [(String, String)])
    func webConfigMessagesAndLocations(yaml: String, expected: String) {
        #expect(throws: WebConfigError(expected)) {
            _ = try WebConfig.parse(yaml: yaml, baseDirectory: "/nonexistent")
        }
    }

    @Test(arguments: ["", "~\n", "null\n", "---\n", "NULL", "# nothing\n"])
    func nullOrEmptyRootIsAnEmptyConfig(yaml: String) throws {
        let config = try WebConfig.parse(yaml: yaml, baseDirectory: "/")
        #expect(config.tls == nil && config.basicAuthUsers.isEmpty && config.headers.isEmpty && config.rateLimit == nil)
    }

    @Test func plainNullsAreEmptyAndQuotedOnesAreText() throws {
        let config = try WebConfig.parse(yaml: """
            tls_server_config: null
            basic_auth_users: ~
            http_server_config:
              http2: false
              headers:
                X-Frame-Options: Null
                Content-Security-Policy: "~"
                Strict-Transport-Security:
            rate_limit:
            """, baseDirectory: "/")
        #expect(config.tls == nil)
        #expect(config.basicAuthUsers.isEmpty)
        #expect(config.headers["X-Frame-Options"].isEmpty)
        #expect(config.headers["Content-Security-Policy"] == ["~"])
        #expect(config.headers["Strict-Transport-Security"].isEmpty)
        #expect(config.rateLimit == nil)
    }
}
