import NIOHTTP1

/// An extra path served by the metrics HTTP server (for example `/probe` for multi-target scrapes).
///
/// Routes match the request path exactly. Methods other than ``methods`` get `405 Method Not Allowed`
/// with an `Allow` header; `HEAD` is answered by calling the handler as for `GET` and dropping the body.
/// Basic authentication (when configured) is checked before the handler runs.
public struct HTTPRoute: Sendable {
    /// The exact path, starting with `/`.
    public var path: String
    /// The methods the route answers; `HEAD` is implied by `GET`.
    public var methods: [HTTPMethod]
    /// The text of the link on the landing page, or `nil` to leave the route off it.
    public var landingPageLinkText: String?
    /// Produces the response.
    public var handler: @Sendable (HTTPServerRequest) async -> HTTPServerResponse

    /// Creates a route.
    public init(
        path: String,
        methods: [HTTPMethod] = [.GET],
        landingPageLinkText: String? = nil,
        handler: @escaping @Sendable (HTTPServerRequest) async -> HTTPServerResponse
    ) {
        self.path = path
        self.methods = methods
        self.landingPageLinkText = landingPageLinkText
        self.handler = handler
    }

    /// The `Allow` header value for this route.
    var allowHeaderValue: String {
        var names: [String] = []
        for method in self.methods where !names.contains(method.rawValue) {
            names.append(method.rawValue)
            if method == .GET, !self.methods.contains(.HEAD) { names.append("HEAD") }
        }
        return names.joined(separator: ", ")
    }

    /// Whether the route answers `method`.
    func allows(_ method: HTTPMethod) -> Bool {
        self.methods.contains(method) || (method == .HEAD && self.methods.contains(.GET))
    }
}
