import Foundation
import StrongSwanExporter
import Testing

extension ProcessEnvironmentSuite {
    /// The watchdog settings read from `WATCHDOG_USEC` and `WATCHDOG_PID` through `sd_watchdog_enabled`.
    @Suite struct SystemdWatchdogSettingsTests {
        let notifier = SystemdNotifier()
        let ownPID = String(getpid())

        @Test func intervalIsHalfOfWatchdogUSec() {
            withEnvironment(systemdEnvironment(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": ownPID])) {
                #expect(notifier.watchdogTimeout() == .seconds(30))
                #expect(notifier.watchdogInterval() == .seconds(15))
            }
        }

        @Test func withoutWatchdogPIDTheSettingAppliesToThisProcess() {
            withEnvironment(systemdEnvironment(["WATCHDOG_USEC": "3000001"])) {
                #expect(notifier.watchdogInterval() == .microseconds(1_500_000) + .nanoseconds(500))
            }
        }

        @Test func aWatchdogForAnotherProcessIsNotOurs() {
            withEnvironment(systemdEnvironment(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": String(getpid() + 1)])) {
                #expect(notifier.watchdogTimeout() == nil)
                #expect(notifier.watchdogInterval() == nil)
                #expect(WatchdogKeeper(notifier: notifier, progressWindow: .seconds(60)) == nil)
            }
        }

        @Test(arguments: [
            ["WATCHDOG_USEC": nil],
            ["WATCHDOG_USEC": "0"],
            ["WATCHDOG_USEC": "thirty"],
            ["WATCHDOG_USEC": "-5"],
            ["WATCHDOG_USEC": "99999999999999999999999"],
            ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "nobody"],
            ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "0"],
        ] as [[String: String?]])
        func absentOrMalformedSettingsDisableTheWatchdog(_ settings: [String: String?]) {
            withEnvironment(systemdEnvironment(settings)) {
                #expect(notifier.watchdogTimeout() == nil)
                #expect(WatchdogKeeper(notifier: notifier, progressWindow: .seconds(60)) == nil)
            }
        }

        @Test func aKeeperIsMadeWhenTheWatchdogIsOn() {
            withEnvironment(systemdEnvironment(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": ownPID])) {
                #expect(WatchdogKeeper(notifier: notifier, progressWindow: .seconds(60)) != nil)
            }
        }
    }
}
