import PrometheusExposition
import VICI

/// `list-certs`: what charon holds in its credential sets, each entry as what it is: X.509 certificates,
/// CRLs, OCSP responses, attribute certificates and raw public keys, with their validity; and the entries by
/// type, so that one this exporter does not decode is counted instead of misread.
public enum CertsCollector: CharonCollector {
    public static let name = "certs"
    public static let summary =
        "loaded certificates, CRLs, OCSP responses, attribute certificates and public keys from `list-certs`"
    public static let commands = ["list-certs"]
    /// Configuration: runs on the configuration clock (and after every reconnect).
    public static let cadence = CollectorCadence.configuration

    public static func collect(from vici: some VICIQuerying) async throws -> CertificateListing {
        var listing = CertificateListing()
        _ = try await vici.stream("list-certs", event: "list-cert", VICIMessage()) { event in
            listing.add(event)
        }
        return listing
    }

    public static func render(_ model: CertificateListing, context: RenderContext, into metrics: inout MetricSet) {
        renderCertificates(model.certificates, into: &metrics)
        renderCRLs(model.crlsInEffect, into: &metrics)
        renderOCSP(model, into: &metrics)
        renderAttributeCertificates(model.attributeCertificates, into: &metrics)
        renderPublicKeys(model.publicKeys, into: &metrics)
        var loaded = family(
            "strongswan_certificates_loaded",
            "Entries list-certs returned, by charon's type (X509, X509_CRL, OCSP_RESPONSE, X509_AC, PUBKEY, or a type "
                + "this exporter does not decode, which is logged once).", .gauge, ["type"])
        var undecodable = family(
            "strongswan_certificates_undecodable",
            "Entries list-certs returned whose data did not decode (logged once per type), by charon's type.",
            .gauge, ["type"])
        for (type, count) in model.loaded {
            loaded.add(Double(count), [type])
            undecodable.add(Double(model.undecodable[type] ?? 0), [type])
        }
        metrics.addNonEmpty(loaded)
        metrics.addNonEmpty(undecodable)
    }

    /// The two validity families of `strongswan_<prefix>_not_before/_not_after_timestamp_seconds`; `noun`
    /// names the object in their help.
    private static func timestamps(_ prefix: String, _ noun: String, _ keys: [String]) -> (MetricFamily?, MetricFamily?) {
        (family("strongswan_\(prefix)_not_before_timestamp_seconds", "Unix time from which the \(noun) is valid.", .gauge, keys),
         family("strongswan_\(prefix)_not_after_timestamp_seconds", "Unix time at which the \(noun) expires.", .gauge, keys))
    }

    private static func renderCertificates(_ certificates: [LoadedCertificate], into metrics: inout MetricSet) {
        let keys = ["subject", "issuer", "serial"]
        var info = family(
            "strongswan_certificate_info", "An X.509 certificate charon has loaded (always 1); flag NONE, CA, AA or OCSP.",
            .gauge, keys + ["flag", "has_private_key"])
        var (notBefore, notAfter) = timestamps("certificate", "certificate", keys)
        for certificate in certificates {
            let key = [certificate.subject, certificate.issuer, certificate.serial]
            info.add(1, key + [certificate.flag, certificate.hasPrivateKey ? "yes" : "no"])
            notBefore.add(certificate.notBefore, key)
            notAfter.add(certificate.notAfter, key)
        }
        for family in [info, notBefore, notAfter] { metrics.addNonEmpty(family) }
    }

    private static func renderCRLs(_ crls: [LoadedCRL], into metrics: inout MetricSet) {
        let keys = ["issuer", "kind"]
        var info = family(
            "strongswan_crl_info",
            "The CRL charon uses for an issuer (the newest it holds; always 1): its CRL number and, for a delta CRL, "
                + "the base CRL's number (decimal, empty when absent).",
            .gauge, keys + ["crl_number", "base_crl_number"])
        var thisUpdate = family(
            "strongswan_crl_this_update_timestamp_seconds", "Unix time at which the CRL was issued (thisUpdate).",
            .gauge, keys)
        var nextUpdate = family(
            "strongswan_crl_next_update_timestamp_seconds",
            "Unix time by which the issuer promises the next CRL (nextUpdate); absent when the CRL names none.",
            .gauge, keys)
        var revoked = family(
            "strongswan_crl_revoked_certificates", "Certificates the CRL lists as revoked.", .gauge, keys)
        for crl in crls {
            let key = [crl.issuer, crl.kind.rawValue]
            info.add(1, key + [crl.numberText, crl.baseNumberText])
            thisUpdate.add(crl.thisUpdate, key)
            if let next = crl.nextUpdate { nextUpdate.add(next, key) }
            revoked.add(Double(crl.revokedCount), key)
        }
        for family in [info, thisUpdate, nextUpdate, revoked] { metrics.addNonEmpty(family) }
    }

    private static func renderOCSP(_ model: CertificateListing, into metrics: inout MetricSet) {
        let keys = ["responder", "issuer", "serial"]
        var info = family(
            "strongswan_ocsp_response_info",
            "The OCSP response charon holds for a certificate (the newest; always 1), with its status: good, revoked "
                + "or unknown.", .gauge, keys + ["status"])
        var produced = family(
            "strongswan_ocsp_response_produced_timestamp_seconds", "Unix time at which the responder signed the response.",
            .gauge, keys)
        var thisUpdate = family(
            "strongswan_ocsp_response_this_update_timestamp_seconds",
            "Unix time at which the status was known to be correct (thisUpdate).", .gauge, keys)
        var nextUpdate = family(
            "strongswan_ocsp_response_next_update_timestamp_seconds",
            "Unix time by which newer status will be available (nextUpdate); absent when the response names none.",
            .gauge, keys)
        for row in model.ocspStatuses {
            let key = [row.responder, row.issuer, row.status.serial]
            info.add(1, key + [row.status.status])
            produced.add(row.producedAt, key)
            thisUpdate.add(row.status.thisUpdate, key)
            if let next = row.status.nextUpdate { nextUpdate.add(next, key) }
        }
        for family in [info, produced, thisUpdate, nextUpdate] { metrics.addNonEmpty(family) }
    }

    private static func renderAttributeCertificates(_ certificates: [LoadedAttributeCertificate],
                                                    into metrics: inout MetricSet) {
        let keys = ["holder", "issuer", "serial"]
        var info = family(
            "strongswan_attribute_certificate_info", "An attribute certificate charon has loaded (always 1).", .gauge, keys)
        var (notBefore, notAfter) = timestamps("attribute_certificate", "attribute certificate", keys)
        for certificate in certificates {
            let key = [certificate.holder, certificate.issuer, certificate.serial]
            info.add(1, key)
            notBefore.add(certificate.notBefore, key)
            notAfter.add(certificate.notAfter, key)
        }
        for family in [info, notBefore, notAfter] { metrics.addNonEmpty(family) }
    }

    private static func renderPublicKeys(_ keys: [LoadedPublicKey], into metrics: inout MetricSet) {
        let labels = ["subject", "key_id"]
        var info = family(
            "strongswan_public_key_info", "A raw public key charon trusts (always 1).", .gauge,
            labels + ["key_type", "has_private_key"])
        var (notBefore, notAfter) = timestamps("public_key", "public key", labels)
        for key in keys {
            let identity = [key.subject, key.keyID]
            info.add(1, identity + [key.keyType, key.hasPrivateKey ? "yes" : "no"])
            if let value = key.notBefore { notBefore.add(value, identity) }
            if let value = key.notAfter { notAfter.add(value, identity) }
        }
        for family in [info, notBefore, notAfter] { metrics.addNonEmpty(family) }
    }
}

extension CharonState {
    /// The model of ``CertsCollector``, if present.
    public var certificates: CertificateListing? { self[CertsCollector.self] }
}
