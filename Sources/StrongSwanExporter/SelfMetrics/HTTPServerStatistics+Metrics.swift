import ExporterHTTP
import PrometheusExposition

extension HTTPServerStatistics {
    /// Renders the HTTP server's counters as the exporter's own per-scrape metrics
    /// (`strongswan_exporter_http_*`).
    public func render(into metrics: inout MetricSet) {
        let counts = snapshot()
        func add(_ name: String, _ help: String, _ type: MetricType, _ labels: [String] = [],
                 _ samples: [(Double, [String])]) {
            guard var family = try? MetricFamily(name: name, help: help, type: type, labelNames: labels) else { return }
            for (value, values) in samples { family.add(value, values) }
            if !family.isEmpty { metrics.add(family) }
        }
        add("strongswan_exporter_http_responses_total", "HTTP responses sent, by status code.", .counter, ["code"],
            counts.responsesByStatus.sorted { $0.key < $1.key }.map { (Double($0.value), [String($0.key)]) })
        add("strongswan_exporter_http_response_body_bytes_total", "HTTP response body bytes sent.", .counter, [],
            [(Double(counts.responseBodyBytes), [])])
        add("strongswan_exporter_http_gzip_responses_total", "Scrapes answered gzip-compressed.", .counter, [],
            [(Double(counts.gzipResponses), [])])
        add("strongswan_exporter_http_connections_total",
            "HTTP connections by outcome: accepted, rejected (over the connection cap), timed_out.", .counter, ["outcome"],
            [(Double(counts.connectionsAccepted), ["accepted"]), (Double(counts.connectionsRejected), ["rejected"]),
             (Double(counts.connectionsTimedOut), ["timed_out"])])
        add("strongswan_exporter_http_connections_open", "HTTP connections open now.", .gauge, [],
            [(Double(counts.connectionsOpen), [])])
        add("strongswan_exporter_http_authentication_failures_total", "Requests refused for missing or wrong credentials.",
            .counter, [], [(Double(counts.authenticationFailures), [])])
    }
}
