import Testing

/// Every hostile-peer test, one at a time: they measure the resident memory of the test process and time
/// deadlines, which parallel runs of each other would blur.
@Suite(.serialized) enum HostileSuite {}
