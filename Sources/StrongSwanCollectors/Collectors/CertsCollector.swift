import PrometheusExposition
import VICI

/// `list-certs`: loaded certificates and their validity, parsed from the DER data.
public enum CertsCollector: CharonCollector {
    public static let name = "certs"
    public static let summary = "loaded certificates and their validity from `list-certs`"
    public static let commands = ["list-certs"]
    /// Configuration: runs on the configuration clock (and after every reconnect).
    public static let cadence = CollectorCadence.configuration

    public static func collect(from vici: some VICIQuerying) async throws -> [LoadedCertificate] {
        var certificates: [LoadedCertificate] = []
        var firstError: VICIError?
        _ = try await vici.stream("list-certs", event: "list-cert", VICIMessage()) { event in
            do throws(VICIError) {
                certificates.append(try LoadedCertificate(message: event))
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError, certificates.isEmpty { throw firstError }
        return certificates
    }

    public static func render(_ model: [LoadedCertificate], context: RenderContext, into metrics: inout MetricSet) {
        let keys = ["subject", "issuer", "serial", "type"]
        var info = family(
            "strongswan_certificate_info", "A certificate charon has loaded (always 1).", .gauge,
            keys + ["flag", "has_private_key"])
        var notBefore = family(
            "strongswan_certificate_not_before_timestamp_seconds", "Unix time from which the certificate is valid.",
            .gauge, keys)
        var notAfter = family(
            "strongswan_certificate_not_after_timestamp_seconds", "Unix time at which the certificate expires.",
            .gauge, keys)
        for certificate in model {
            let key = [certificate.subject, certificate.issuer, certificate.serial, certificate.type]
            info.add(1, key + [certificate.flag, certificate.hasPrivateKey ? "yes" : "no"])
            if let value = certificate.notBefore { notBefore.add(value, key) }
            if let value = certificate.notAfter { notAfter.add(value, key) }
        }
        for family in [info, notBefore, notAfter] { metrics.addNonEmpty(family) }
    }
}
