import Testing
@testable import StrongSwanExporter

/// ``ConfigurationSchedule`` with an injected clock: when the configuration collectors run.
@Suite struct ConfigurationScheduleTests {
    let start = ContinuousClock.now
    let probes = ["conns": ["rw", "site-0001"]]

    @Test func firstPollThenOnlyOnTheIntervalWhileNothingChanges() {
        var schedule = ConfigurationSchedule(interval: .seconds(300))
        #expect(schedule.reason(at: start, probes: probes) == .connected)
        schedule.ran(at: start, probes: probes, succeeded: true)
        #expect(schedule.reason(at: start + .seconds(15), probes: probes) == nil)
        #expect(schedule.reason(at: start + .seconds(299), probes: probes) == nil)
        #expect(schedule.reason(at: start + .seconds(300), probes: probes) == .interval)
        schedule.ran(at: start + .seconds(300), probes: probes, succeeded: true)
        #expect(schedule.reason(at: start + .seconds(315), probes: probes) == nil)
    }

    @Test func aChangedProbeAnswerRunsThemAtOnce() {
        var schedule = ConfigurationSchedule(interval: .seconds(300))
        schedule.ran(at: start, probes: probes, succeeded: true)
        let loaded = ["conns": ["rw", "site-0001", "site-0002"]]
        #expect(schedule.reason(at: start + .seconds(15), probes: loaded) == .probeChanged)
        schedule.ran(at: start + .seconds(15), probes: loaded, succeeded: true)
        #expect(schedule.reason(at: start + .seconds(30), probes: loaded) == nil)
        #expect(schedule.reason(at: start + .seconds(45), probes: probes) == .probeChanged, "an unloaded one too")
    }

    @Test func aReconnectOrARequestRunsThemOnTheNextPoll() {
        var schedule = ConfigurationSchedule(interval: .seconds(300))
        schedule.ran(at: start, probes: probes, succeeded: true)
        schedule.connected()
        #expect(schedule.reason(at: start + .seconds(15), probes: probes) == .connected)
        schedule.ran(at: start + .seconds(15), probes: probes, succeeded: true)
        schedule.request()
        #expect(schedule.reason(at: start + .seconds(30), probes: probes) == .requested)
        schedule.ran(at: start + .seconds(30), probes: probes, succeeded: true)
        #expect(schedule.reason(at: start + .seconds(45), probes: probes) == nil)
    }

    @Test func aFailedRunIsRetriedOnTheNextPoll() {
        var schedule = ConfigurationSchedule(interval: .seconds(300))
        schedule.ran(at: start, probes: probes, succeeded: false)
        #expect(schedule.reason(at: start + .seconds(15), probes: probes) != nil)
        schedule.ran(at: start + .seconds(15), probes: probes, succeeded: true)
        #expect(schedule.reason(at: start + .seconds(30), probes: probes) == nil)
    }
}
