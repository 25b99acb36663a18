// libFuzzer target: charon's error-notify stream (Sources/ErrorNotify), fed in pieces, and the records'
// connection names through the exposition encoder and back through the strict parser.
//
// Built by scripts/fuzz.sh with the modules ErrorNotify, PrometheusExposition and PrometheusExpositionTesting,
// compiled from their sources with coverage instrumentation. The first input byte picks the size of the
// pieces the rest is fed in (1 to 1,024 bytes; a record arrives in any number of reads). Properties, each a
// trap when violated: the framer never holds a whole record; it yields exactly one record per 768 bytes;
// every record's fields stay within their field's size (times 3: each invalid byte becomes U+FFFD); the
// record's alert is a failure or a notice of the closed vocabularies; and every connection name, as the
// exporter would put it in its `conn` label, encodes to an exposition that parses back to the same name.
import ErrorNotify
import PrometheusExposition
import PrometheusExpositionTesting

@inline(never)
func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition {
        print("property violated: \(what())")
        fatalError(what())
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzErrorNotify(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let first = bytes.first else { return 0 }
    let stream = bytes.dropFirst()
    let piece = 1 + Int(first) * 4
    var framer = ErrorNotifyFramer()
    var records: [ErrorNotifyRecord] = []
    var offset = stream.startIndex
    while offset < stream.endIndex {
        let end = min(offset + piece, stream.endIndex)
        framer.feed(stream[offset..<end]) { records.append($0) }
        check(framer.pendingByteCount < ErrorNotifyRecord.size, "framer holds \(framer.pendingByteCount) bytes")
        offset = end
    }
    check(records.count == stream.count / ErrorNotifyRecord.size, "\(records.count) records from \(stream.count) bytes")
    check(framer.pendingByteCount == stream.count % ErrorNotifyRecord.size, "pending \(framer.pendingByteCount)")
    guard var family = try? MetricFamily(
        name: "strongswan_connection_failures_total", help: "fuzz", type: .counter, labelNames: ["conn", "reason"])
    else {
        check(false, "family refused")
        return 0
    }
    var expected: [(conn: String, reason: String)] = []
    for record in records {
        check(record.message.utf8.count <= 384 * 3, "message of \(record.message.utf8.count) bytes")
        check(record.connection.utf8.count <= 64 * 3, "connection of \(record.connection.utf8.count) bytes")
        check(record.peerIdentity.utf8.count <= 256 * 3, "identity of \(record.peerIdentity.utf8.count) bytes")
        check(record.peerAddress.utf8.count <= 60 * 3, "address of \(record.peerAddress.utf8.count) bytes")
        let reason: String
        switch record.alert {
        case .failure(let failure):
            check(FailureReason.allCases.contains(failure), "reason")
            reason = failure.rawValue
        case .notice(let notice):
            check(IKENotice.allCases.contains(notice), "notice")
            reason = notice.rawValue
        }
        if family.add(1, [record.connection, reason]) { expected.append((record.connection, reason)) }
    }
    var encoded: [UInt8] = []
    ExpositionEncoder.encode([family], into: &encoded)
    guard !expected.isEmpty else { return 0 }
    let parsed: ParsedExposition
    do {
        parsed = try ExpositionParser().parse(encoded)
    } catch {
        check(false, "encoded output does not parse: \(error)\n\(String(decoding: encoded, as: UTF8.self))")
        return 0
    }
    let samples = parsed.samples(named: "strongswan_connection_failures_total")
    check(samples.count == expected.count, "\(samples.count) samples for \(expected.count)")
    for (sample, want) in zip(samples, expected) {
        check((sample.label("conn") ?? "") == want.conn, "conn \(String(reflecting: want.conn)) came back as \(String(reflecting: sample.label("conn")))")
        check(sample.label("reason") == want.reason, "reason")
    }
    return 0
}
