import NIOHTTP1

/// The parts of a loaded ``WebConfig`` that the server consults per connection and per request.
///
/// Swapped whole by ``MetricsHTTPServer/reload(webConfig:)``: connections accepted afterwards use the new TLS
/// context; requests decoded afterwards use the new users and headers.
struct WebSecurityState: Sendable {
    let tls: TLSServerSettings?
    let authenticator: BasicAuthenticator?
    let headers: HTTPHeaders
    let rateLimiter: RequestRateLimiter?

    init(_ config: WebConfig) {
        self.tls = config.tls
        self.authenticator = config.basicAuthUsers.isEmpty ? nil : BasicAuthenticator(users: config.basicAuthUsers)
        self.headers = config.headers
        self.rateLimiter = config.rateLimit.map(RequestRateLimiter.init)
    }
}
