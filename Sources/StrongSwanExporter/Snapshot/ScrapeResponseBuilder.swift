import ExporterHTTP
import NIOHTTP1

/// Builds the `200` response to a scrape, for `/metrics` and `/probe` alike: the content coding negotiated from
/// `Accept-Encoding` (gzip when the client accepts it and the body has a gzip prefix, else identity), the
/// body's content type, `Vary: Accept-Encoding`, and a gzip response counted in the server's statistics.
public struct ScrapeResponseBuilder: Sendable {
    /// Where gzip responses are counted (the server's counters, rendered in the self-metrics).
    public let statistics: HTTPServerStatistics

    /// Creates a builder that counts gzip responses in `statistics`.
    public init(statistics: HTTPServerStatistics) {
        self.statistics = statistics
    }

    /// The response to `request` carrying `body`.
    public func response(_ body: ScrapeBody, for request: HTTPServerRequest) -> HTTPServerResponse {
        var headers = HTTPHeaders([("Content-Type", body.contentType), ("Vary", "Accept-Encoding")])
        let acceptsGzip = AcceptEncoding(headerValues: request.head.headers["Accept-Encoding"]).allowsGzip
        let (parts, gzip) = body.parts(acceptsGzip: acceptsGzip)
        if gzip {
            headers.add(name: "Content-Encoding", value: "gzip")
            self.statistics.recordGzipResponse()
        }
        return HTTPServerResponse(status: .ok, headers: headers, body: parts)
    }
}
