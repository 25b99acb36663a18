/// The state names charon 5.9 uses, in its order, so state-set families list every state (0 when none).
public enum SAStates {
    /// IKE_SA states (`ike_sa_state_names`).
    public static let ike = ["CREATED", "CONNECTING", "ESTABLISHED", "PASSIVE", "REKEYING", "REKEYED", "DELETING", "DESTROYING"]
    /// CHILD_SA states (`child_sa_state_names`).
    public static let child = ["CREATED", "ROUTED", "INSTALLING", "INSTALLED", "UPDATING", "REKEYING", "REKEYED",
                               "RETRYING", "DELETING", "DELETED", "DESTROYING"]
    /// CHILD_SA states in which the SA still carries traffic: a tunnel with a CHILD_SA in one of them is up.
    /// An old SA that is being (or has been) replaced by a rekey still forwards until it is deleted, so a
    /// rekey never reads as down.
    public static let childUp: Set<String> = ["INSTALLED", "UPDATING", "REKEYING", "REKEYED"]
}
