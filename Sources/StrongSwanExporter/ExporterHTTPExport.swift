// The HTTP server's types (MetricsHTTPServer, WebConfig, ListenAddress, HTTPServerStatistics, …) are part of this
// module's API (ExporterApp, ProbeRoute, ScrapeResponseBuilder take and return them): importing
// StrongSwanExporter brings them along, as it did when the server lived in this target.
@_exported import ExporterHTTP
