/// Answers scrapes of the telemetry path.
///
/// The application implements this and passes it to ``MetricsHTTPServer``; the server knows nothing of what
/// the metrics are or how they are encoded. It is called once per `GET` or `HEAD` of the telemetry path, after
/// the rate limit and basic authentication let the request through; it should return quickly (serve what was
/// prepared beforehand, do not collect here). For `HEAD` the server sends the headers and drops the body.
public protocol MetricsResponder: Sendable {
    /// Returns the response to one scrape request.
    ///
    /// - Parameters:
    ///   - request: the scrape request (its `Accept-Encoding` decides the content coding).
    ///   - statistics: the server's counters; a responder that answers with a gzip body counts it with
    ///     ``HTTPServerStatistics/recordGzipResponse()``.
    func response(to request: HTTPServerRequest, statistics: HTTPServerStatistics) async -> HTTPServerResponse
}
