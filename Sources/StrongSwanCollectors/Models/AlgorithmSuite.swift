/// The algorithms an SA negotiated, written the way `swanctl --list-sas` writes them: `ALG[-KEYSIZE]` parts
/// joined by `/`, empty parts left out (e.g. `AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519`).
///
/// A label value of the default tunnel families: it changes only when the negotiated algorithms do, never
/// at a rekey (the CHILD_SA's DH group is left out: with PFS it is absent from the first CHILD_SA, created
/// with the IKE_SA, and present from the first rekey on).
public enum AlgorithmSuite {
    /// Joins algorithm parts; a key size is appended to the algorithm it belongs to.
    public static func format(_ parts: [(algorithm: String, keysize: String)]) -> String {
        var result = ""
        for part in parts where !part.algorithm.isEmpty {
            if !result.isEmpty { result += "/" }
            result += part.algorithm
            if !part.keysize.isEmpty { result += "-" + part.keysize }
        }
        return result
    }
}

extension IKESA {
    /// Encryption, integrity, PRF and DH group, e.g. `AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519`.
    public var algorithmSuite: String {
        AlgorithmSuite.format([(encrAlg, encrKeysize), (integAlg, integKeysize), (prfAlg, ""), (dhGroup, "")])
    }
}

extension ChildSA {
    /// Encryption and integrity (no DH group), e.g. `AES_GCM_16-256` or `AES_CBC-128/HMAC_SHA2_256_128`.
    public var algorithmSuite: String {
        AlgorithmSuite.format([(encrAlg, encrKeysize), (integAlg, integKeysize)])
    }
}
