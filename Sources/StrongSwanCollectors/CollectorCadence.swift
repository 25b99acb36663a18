/// When a collector runs.
public enum CollectorCadence: Sendable, Hashable {
    /// Every poll: state and traffic (`list-sas`, `stats`, counters, pool leases).
    case everyPoll
    /// On the configuration clock (`--poll.config-interval`) and whenever a change is detected: answers
    /// shaped by charon's configuration (`list-conns`, `list-certs`, `version`), which barely ever change
    /// between polls and can cost charon more than the state does.
    case configuration
}
