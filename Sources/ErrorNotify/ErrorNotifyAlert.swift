/// What one error-notify record means: a failure with its reason, or a notice.
public enum ErrorNotifyAlert: Sendable, Hashable {
    /// Something failed (authentication, negotiation, a timeout, a certificate, ...).
    case failure(FailureReason)
    /// Worth counting, not a failure (retransmissions, narrowed traffic selectors).
    case notice(IKENotice)

    /// Maps an `ERROR_NOTIFY_*` type number (strongSwan 5.9's `error_notify_msg.h`).
    public init(type: Int32) {
        switch type {
        case 1: self = .failure(.radiusNotResponding)
        case 2: self = .failure(.localAuthFailed)
        case 3: self = .failure(.peerAuthFailed)
        case 4, 5: self = .failure(.parseError)
        case 6: self = .failure(.retransmitTimeout)
        case 7: self = .failure(.halfOpenTimeout)
        case 8: self = .failure(.ikeProposalMismatch)
        case 9: self = .failure(.childProposalMismatch)
        case 10: self = .failure(.tsMismatch)
        case 11: self = .failure(.childSAInstallFailed)
        case 12: self = .failure(.policyInstallFailed)
        case 13: self = .failure(.uniqueReplace)
        case 14: self = .failure(.uniqueKeep)
        case 15: self = .failure(.vipFailure)
        case 16: self = .failure(.authorizationFailed)
        case 17: self = .failure(.certExpired)
        case 18: self = .failure(.certRevoked)
        case 19: self = .failure(.certNoIssuer)
        case 20: self = .notice(.retransmitSent)
        case 21: self = .notice(.retransmitCleared)
        case 22: self = .notice(.retransmitReceived)
        case 23: self = .failure(.peerAddressFailed)
        case 24: self = .failure(.peerUnreachable)
        case 25: self = .failure(.invalidIKESPI)
        case 26: self = .notice(.tsNarrowed)
        case 27: self = .failure(.childSAFailed)
        case 28: self = .failure(.ikeSAExpired)
        case 29: self = .failure(.certValidationFailed)
        case 30: self = .failure(.certUntrustedRoot)
        case 31: self = .failure(.certPathTooLong)
        case 32: self = .failure(.certPolicyViolation)
        default: self = .failure(.unknown)
        }
    }
}
