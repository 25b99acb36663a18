import NIOCore
import NIOHTTP1

/// Chooses and builds the response for one request: rate limit, authentication, `/`, the telemetry path,
/// extra routes, 404.
struct HTTPRequestRouter: Sendable {
    let telemetryPath: String
    let responder: any MetricsResponder
    let routes: [String: HTTPRoute]
    let landingPage: ByteBuffer
    let authenticationRealm: String
    let statistics: HTTPServerStatistics

    init(configuration: MetricsHTTPServerConfiguration, responder: any MetricsResponder, statistics: HTTPServerStatistics) {
        self.telemetryPath = configuration.telemetryPath
        self.responder = responder
        var routes: [String: HTTPRoute] = [:]
        var links: [(href: String, text: String)] = [(configuration.telemetryPath, "Metrics")]
        for route in configuration.routes where route.path != "/" && route.path != configuration.telemetryPath {
            routes[route.path] = route
            if let text = route.landingPageLinkText { links.append((route.path, text)) }
        }
        self.routes = routes
        self.landingPage = LandingPage.render(
            title: configuration.landingPageTitle,
            description: configuration.landingPageDescription,
            links: links
        )
        self.authenticationRealm = configuration.authenticationRealm
        self.statistics = statistics
    }

    /// The response for `request` (with a body even for `HEAD`: the caller drops it after taking its length).
    func respond(to request: HTTPServerRequest, security: WebSecurityState) async -> HTTPServerResponse {
        var request = request
        if let limiter = security.rateLimiter, !limiter.allow() {
            return .text("Too Many Requests\n", status: .tooManyRequests)
        }
        if let authenticator = security.authenticator {
            let user = await authenticator.authenticate(authorization: request.head.headers["Authorization"])
            guard let user else {
                self.statistics.recordAuthenticationFailure()
                var response = HTTPServerResponse.text("Unauthorized\n", status: .unauthorized)
                response.headers.add(name: "WWW-Authenticate", value: "Basic realm=\"\(self.authenticationRealm)\"")
                return response
            }
            request.authenticatedUser = user
        }

        let method = request.method
        if request.path == self.telemetryPath {
            guard method == .GET || method == .HEAD else { return Self.methodNotAllowed(allow: "GET, HEAD") }
            return await self.responder.response(to: request, statistics: self.statistics)
        }
        if request.path == "/" {
            guard method == .GET || method == .HEAD else { return Self.methodNotAllowed(allow: "GET, HEAD") }
            return HTTPServerResponse(
                status: .ok,
                headers: HTTPHeaders([("Content-Type", "text/html; charset=utf-8")]),
                body: [self.landingPage]
            )
        }
        if let route = self.routes[String(request.path)] {
            guard route.allows(method) else { return Self.methodNotAllowed(allow: route.allowHeaderValue) }
            return await route.handler(request)
        }
        return .text("Not Found\n", status: .notFound)
    }

    private static func methodNotAllowed(allow: String) -> HTTPServerResponse {
        var response = HTTPServerResponse.text("Method Not Allowed\n", status: .methodNotAllowed)
        response.headers.add(name: "Allow", value: allow)
        return response
    }
}
