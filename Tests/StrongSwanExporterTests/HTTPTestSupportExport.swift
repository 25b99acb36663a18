// The raw HTTP client, the test server and HTTPTestProcess moved to the HTTPTestSupport target (shared with
// ExporterHTTPTests); re-exported here so every file of this target sees them without its own import.
@_exported import HTTPTestSupport
