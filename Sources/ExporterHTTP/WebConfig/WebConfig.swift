import NIOHTTP1

/// A loaded and validated web config (`--web.config.file`, the exporter-toolkit format shared by Prometheus
/// exporters): TLS, extra response headers and basic-auth users.
///
/// ``load(path:)`` reads the file, parses it, reads the certificate and key files it names (relative paths are
/// taken from the config file's directory) and builds the TLS context, so a value of this type is ready to serve.
/// Reloading is: `let config = try WebConfig.load(path:)` and, only if that succeeded,
/// ``MetricsHTTPServer/reload(webConfig:)``; a broken file leaves the running config as it was.
///
/// Supported keys: `tls_server_config` (`cert_file`, `key_file`, `cert`, `key`, `client_ca_file`, `client_ca`,
/// `client_auth_type`, `min_version`, `max_version`, `curve_preferences`; `cipher_suites` and
/// `prefer_server_cipher_suites` are accepted and ignored with a warning), `http_server_config` (`headers`;
/// `http2` is accepted and ignored, as the server speaks HTTP/1.1), `basic_auth_users` and `rate_limit`
/// (`interval`, a Go duration such as `1s`, and `burst`). Unknown keys are errors; so is a non-empty
/// `client_allowed_sans`, which this exporter does not implement (ignoring it would silently weaken what the
/// operator asked for).
public struct WebConfig: Sendable {
    /// TLS settings, or `nil` to serve plain HTTP.
    public var tls: TLSServerSettings?
    /// Headers added to every response (`http_server_config.headers`).
    public var headers: HTTPHeaders
    /// Users and their bcrypt hashes; empty means no authentication.
    public var basicAuthUsers: [String: BcryptHash]
    /// The request rate limit, or `nil` for none.
    public var rateLimit: RateLimit?
    /// Things in the file that were accepted but have no effect, for the caller to log.
    public var warnings: [String]

    /// A config with no TLS, no extra headers and no authentication (what runs without `--web.config.file`).
    public init(
        tls: TLSServerSettings? = nil,
        headers: HTTPHeaders = HTTPHeaders(),
        basicAuthUsers: [String: BcryptHash] = [:],
        rateLimit: RateLimit? = nil,
        warnings: [String] = []
    ) {
        self.tls = tls
        self.headers = headers
        self.basicAuthUsers = basicAuthUsers
        self.rateLimit = rateLimit
        self.warnings = warnings
    }

    /// Reads, parses and validates the web config file at `path` (at most 1 MiB).
    ///
    /// - Throws: ``WebConfigError`` naming the file, key or value at fault.
    public static func load(path: String) throws(WebConfigError) -> WebConfig {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFile.readAll(path: path)
        } catch {
            throw WebConfigError("cannot read web config file \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw WebConfigError("web config file \(path): not valid UTF-8")
        }
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        do {
            return try WebConfigParser(baseDirectory: directory).parse(yaml: text)
        } catch {
            throw WebConfigError("web config file \(path): \(error.message)")
        }
    }

    /// Parses and validates web config text; relative file names are resolved against `baseDirectory`.
    ///
    /// - Throws: ``WebConfigError`` naming the key or value at fault.
    public static func parse(yaml: String, baseDirectory: String) throws(WebConfigError) -> WebConfig {
        try WebConfigParser(baseDirectory: baseDirectory).parse(yaml: yaml)
    }
}
