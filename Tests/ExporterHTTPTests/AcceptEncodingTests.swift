import Testing
@testable import ExporterHTTP
import HTTPTestSupport

/// The gzip decision from `Accept-Encoding`.
@Suite struct AcceptEncodingTests {
    @Test(arguments: [
        ([], false), (["gzip"], true), (["GZIP"], true), (["x-gzip"], true), (["gzip;q=0"], false),
        (["gzip; q=0.000"], false), (["gzip;q=0.001"], true), (["gzip;q=1.0"], true), (["gzip;q=abc"], false),
        (["gzip;q=1.5"], false), (["deflate, gzip;q=0.2"], true), (["*"], true), (["*;q=0"], false),
        (["*;q=0.5, gzip;q=0"], false), (["gzip;q=0, *"], false), (["identity"], false), (["br, zstd"], false),
        (["identity", "gzip"], true), (["gzip;level=9;q=0.5"], true), ([""], false), (["gzip;q=0", "gzip"], true),
    ] as [([String], Bool)])
    func decision(values: [String], expected: Bool) {
        #expect(AcceptEncoding(headerValues: values).allowsGzip == expected)
    }
}
