import Testing

/// Every hostile-peer test, one at a time: each runs an agent with short deadlines against a misbehaving
/// peer, and a few of them start a flood in a child process (``HostileMemoryTests``); running them side by
/// side would only load a small machine for nothing. No test here counts in a wall-clock window or bounds a
/// latency tightly: they wait for what they expect with generous deadlines and check lower bounds.
@Suite(.serialized) enum HostileSuite {}
