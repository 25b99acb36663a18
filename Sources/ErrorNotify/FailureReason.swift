/// Why charon says something failed: the exporter's fixed vocabulary for the `reason` label, mapped from the
/// alert types of charon's error-notify plugin (strongSwan's `error_notify_msg.h`; the README explains each).
///
/// The raw value is the label value. The list is closed: a type charon adds later reads ``unknown`` until
/// the exporter learns it, so the label's values stay bounded.
public enum FailureReason: String, Sendable, Hashable, CaseIterable {
    /// 1: a RADIUS request timed out (eap-radius).
    case radiusNotResponding = "radius_not_responding"
    /// 2: this gateway's authentication was rejected by the peer.
    case localAuthFailed = "local_auth_failed"
    /// 3: the peer's authentication failed here.
    case peerAuthFailed = "peer_auth_failed"
    /// 4, 5: an IKE message's header or body could not be parsed.
    case parseError = "parse_error"
    /// 6: an IKE request was retransmitted as often as configured and never answered.
    case retransmitTimeout = "retransmit_timeout"
    /// 7: a half-open IKE_SA (initiated by the peer) timed out before it was established.
    case halfOpenTimeout = "half_open_timeout"
    /// 8: no IKE proposal in common.
    case ikeProposalMismatch = "ike_proposal_mismatch"
    /// 9: no ESP/AH (CHILD_SA) proposal in common.
    case childProposalMismatch = "child_proposal_mismatch"
    /// 10: the traffic selectors did not match.
    case tsMismatch = "ts_mismatch"
    /// 11: installing the IPsec SA in the kernel failed.
    case childSAInstallFailed = "child_sa_install_failed"
    /// 12: installing the IPsec policy in the kernel failed.
    case policyInstallFailed = "policy_install_failed"
    /// 13: an IKE_SA was replaced by a new one of the same peer (uniqueness policy).
    case uniqueReplace = "unique_replace"
    /// 14: a new IKE_SA was rejected in favour of the existing one (uniqueness policy keep).
    case uniqueKeep = "unique_keep"
    /// 15: a virtual IP could not be assigned (pool exhausted, or none requested).
    case vipFailure = "vip_failure"
    /// 16: an authorization plugin (e.g. a RADIUS or group check) refused the IKE_SA.
    case authorizationFailed = "authorization_failed"
    /// 17: a certificate in the chain has expired (or is not yet valid).
    case certExpired = "cert_expired"
    /// 18: a certificate in the chain is revoked.
    case certRevoked = "cert_revoked"
    /// 19: no trusted issuer certificate was found.
    case certNoIssuer = "cert_no_issuer"
    /// 23: the peer's address (a DNS name) could not be resolved.
    case peerAddressFailed = "peer_address_failed"
    /// 24: the peer did not answer the initial IKE message (one per keying try).
    case peerUnreachable = "peer_unreachable"
    /// 25: an IKE message with an unknown SPI arrived.
    case invalidIKESPI = "invalid_ike_spi"
    /// 27: a CHILD_SA failed to establish; the IKE_SA was kept.
    case childSAFailed = "child_sa_failed"
    /// 28: an IKE_SA expired without a replacement.
    case ikeSAExpired = "ike_sa_expired"
    /// 29: a certificate's status (CRL/OCSP) could not be validated.
    case certValidationFailed = "cert_validation_failed"
    /// 30: the chain ends in a self-signed certificate that is not trusted.
    case certUntrustedRoot = "cert_untrusted_root"
    /// 31: the chain exceeds a CA's path length constraint.
    case certPathTooLong = "cert_path_too_long"
    /// 32: a certificate was rejected because of a policy constraint.
    case certPolicyViolation = "cert_policy_violation"
    /// A type this exporter does not know (a newer charon, or not a record at all).
    case unknown

    /// The position of this reason in ``allCases`` (for counters kept in arrays).
    public var index: Int {
        Self.allCases.firstIndex(of: self) ?? Self.allCases.count - 1
    }
}
