import ExporterHTTP
import NIOCore
import NIOHTTP1

/// The `/probe` route: `GET /probe?target=unix:///run/ns1/charon.vici` (or `tcp://host:port`) answers the
/// target's metric families, as `/metrics` does for `--vici.socket`, followed by `probe_success`.
///
/// - exactly one non-empty `target` parameter is required, else 400;
/// - a target outside the allow-list gets 400 and no connection is attempted;
/// - over `--probe.max-targets`, or while shutting down, 503;
/// - the first probe of a target waits for its first poll, at most `--vici.timeout` and at most the scrape
///   timeout Prometheus sends (`X-Prometheus-Scrape-Timeout-Seconds`) less half a second.
public enum ProbeRoute {
    /// The path of the route.
    public static let path = "/probe"

    /// The route, answered by `manager`; gzip responses are counted in `statistics` (pass the server's).
    public static func make<C: Clock>(
        manager: ProbeTargetManager<C>, statistics: HTTPServerStatistics
    ) -> HTTPRoute where C.Duration == Duration {
        let responses = ScrapeResponseBuilder(statistics: statistics)
        return HTTPRoute(path: path, methods: [.GET], landingPageLinkText: "Probe (multi-target: /probe?target=URI)") {
            request in
            await respond(to: request, manager: manager, responses: responses)
        }
    }

    /// The response to one probe request.
    static func respond<C: Clock>(
        to request: HTTPServerRequest, manager: ProbeTargetManager<C>, responses: ScrapeResponseBuilder
    ) async -> HTTPServerResponse where C.Duration == Duration {
        let targets = request.queryValues(named: "target")
        let outcome: ProbeOutcome
        if targets.count == 1, let target = targets.first {
            outcome = await manager.probe(target: target, deadline: scrapeDeadline(request.head.headers))
        } else {
            outcome = manager.refuseInvalidRequest()
        }
        switch outcome {
        case .refused(let refusal):
            return .text(refusal.message, status: refusal.status)
        case .served(let body, _):
            return responses.response(body, for: request)
        }
    }

    /// Prometheus's scrape timeout less a 0.5 s margin, if the request carries one (never negative).
    static func scrapeDeadline(_ headers: HTTPHeaders) -> Duration? {
        guard let text = headers.first(name: "X-Prometheus-Scrape-Timeout-Seconds"),
              let seconds = Double(text.trimmingHTTPWhitespace()), seconds.isFinite, seconds > 0
        else { return nil }
        let milliseconds = min(seconds, 86_400) * 1000 - 500
        return .milliseconds(Int64(max(0, milliseconds)))
    }
}
