import ExporterHTTP

/// The telemetry path's ``MetricsResponder``: a closure supplies the ``ScrapeBody`` of each scrape (the latest
/// snapshot and the per-scrape suffix), and ``ScrapeResponseBuilder`` turns it into the response.
public struct ClosureMetricsResponder: MetricsResponder {
    private let body: @Sendable (HTTPServerRequest) async -> ScrapeBody

    /// Wraps `body`, which is called for every scrape; it should return quickly (serve the latest snapshot,
    /// do not poll charon here).
    public init(_ body: @escaping @Sendable (HTTPServerRequest) async -> ScrapeBody) {
        self.body = body
    }

    /// Builds the response from the closure's body, counting a gzip response in `statistics`.
    public func response(to request: HTTPServerRequest, statistics: HTTPServerStatistics) async -> HTTPServerResponse {
        ScrapeResponseBuilder(statistics: statistics).response(await self.body(request), for: request)
    }
}
