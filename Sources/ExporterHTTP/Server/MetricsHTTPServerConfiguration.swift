/// What the metrics HTTP server listens on and serves (everything but the web config, which can be reloaded).
public struct MetricsHTTPServerConfiguration: Sendable {
    /// The addresses or bound sockets to accept connections on; at least one.
    public var listenAddresses: [ListenAddress]
    /// The path that serves metrics (`--web.telemetry-path`), starting with `/`. Default `/metrics`.
    public var telemetryPath: String
    /// The title of the landing page at `/`.
    public var landingPageTitle: String
    /// A line of text under the title on the landing page.
    public var landingPageDescription: String
    /// The realm of the `WWW-Authenticate: Basic` challenge sent with `401` when basic authentication fails.
    public var authenticationRealm: String
    /// Extra routes (for example `/probe`), matched by exact path after `/` and the telemetry path.
    public var routes: [HTTPRoute]
    /// Size and time bounds.
    public var limits: HTTPServerLimits

    /// Creates a configuration.
    public init(
        listenAddresses: [ListenAddress],
        telemetryPath: String = "/metrics",
        landingPageTitle: String = "Prometheus Exporter",
        landingPageDescription: String = "",
        authenticationRealm: String = "exporter",
        routes: [HTTPRoute] = [],
        limits: HTTPServerLimits = HTTPServerLimits()
    ) {
        self.listenAddresses = listenAddresses
        self.telemetryPath = telemetryPath
        self.landingPageTitle = landingPageTitle
        self.landingPageDescription = landingPageDescription
        self.authenticationRealm = authenticationRealm
        self.routes = routes
        self.limits = limits
    }
}
