/// Supplies the body of a scrape of the telemetry path.
///
/// The agent implements this (or wraps a closure in ``ClosureMetricsResponder``) and passes it to
/// ``MetricsHTTPServer``. It is called once per `GET` or `HEAD` of the telemetry path, after basic
/// authentication succeeded; it should return quickly (serve the latest snapshot, do not poll charon here).
public protocol MetricsResponder: Sendable {
    /// Returns the body for one scrape request.
    func scrapeBody(for request: HTTPServerRequest) async -> ScrapeBody
}

/// A ``MetricsResponder`` made from a closure.
public struct ClosureMetricsResponder: MetricsResponder {
    private let body: @Sendable (HTTPServerRequest) async -> ScrapeBody

    /// Wraps `body`, which is called for every scrape.
    public init(_ body: @escaping @Sendable (HTTPServerRequest) async -> ScrapeBody) {
        self.body = body
    }

    /// Calls the wrapped closure.
    public func scrapeBody(for request: HTTPServerRequest) async -> ScrapeBody {
        await self.body(request)
    }
}
