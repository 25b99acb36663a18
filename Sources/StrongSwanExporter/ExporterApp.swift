#if canImport(Glibc)
import Glibc
#endif
import ExporterHTTP
import Logging
import NIOCore
import PrometheusExposition
import ServiceLifecycle
import StrongSwanCollectors
import UnixSignals
import VICI

/// Wires the agent: poller, event follower, snapshot store, HTTP server, the `/probe` target manager (when
/// probe targets are allowed), systemd notifications and the watchdog, run as one ServiceLifecycle group that
/// shuts down gracefully on SIGTERM/SIGINT and reloads the web config (and the probe targets file) on SIGHUP.
public struct ExporterApp: Sendable {
    /// The configuration in force.
    public let configuration: ExporterConfiguration
    let logger: Logger
    /// Command connection settings, built once: `--vici.socket` and every probe target use these.
    let viciConnection: VICIConnection.Configuration
    /// Event subscription settings (its buffer bound included), built once for `--vici.socket` and every
    /// probe target.
    let viciEvents: VICIEventStream.Configuration

    /// Creates the agent.
    public init(configuration: ExporterConfiguration) {
        self.configuration = configuration
        self.logger = Logger(label: "strongswan_exporter")
        self.viciConnection = configuration.viciConnection
        self.viciEvents = configuration.viciEvents
    }

    func makeConnector() -> @Sendable () async throws -> VICIConnection {
        let uri = configuration.viciURI
        let settings = viciConnection
        return {
            let endpoint = try VICIEndpoint(parsing: uri)
            return try await VICIConnection.connect(to: endpoint, configuration: settings)
        }
    }

    func makeSubscriber() -> @Sendable ([String]) async throws -> VICIEventStream {
        let uri = configuration.viciURI
        let settings = viciEvents
        return { events in
            let endpoint = try VICIEndpoint(parsing: uri)
            return try await VICIEventStream.subscribe(to: endpoint, events: events, configuration: settings)
        }
    }

    /// How probe targets' pipelines connect: the same settings as for `--vici.socket`.
    func makeProbeConnectors() -> ProbeConnectors {
        ProbeConnectors(connection: viciConnection, events: configuration.followEvents ? viciEvents : nil)
    }

    /// The `/probe` manager, when probing is configured (reads the targets file; throws if it is invalid).
    func makeProbeManager() throws -> ProbeTargetManager<ContinuousClock>? {
        guard configuration.probe.isEnabled else { return nil }
        let allowList = try configuration.probe.loadAllowList()
        return ProbeTargetManager(
            allowList: allowList, poller: configuration.poller, connectors: makeProbeConnectors(),
            idleTimeout: configuration.probe.idleTimeout, maxTargets: configuration.probe.maxTargets,
            firstPollTimeout: configuration.viciTimeout, clock: ContinuousClock(), logger: logger)
    }

    /// One poll, rendered: the exposition bytes and whether charon was reached (`dump`).
    public func dumpOnce() async -> ([UInt8], Bool) {
        let store = SnapshotStore()
        let core = ExporterCore(configuration: configuration.poller, store: store, logger: logger)
        let connect = makeConnector()
        let poller = Poller(
            configuration: configuration.poller, connect: { try await connect() }, core: core, trigger: PollTrigger(),
            logger: logger)
        var up = false
        do {
            let session = try await connect()
            var schedule = ConfigurationSchedule(interval: configuration.poller.configInterval)
            up = await poller.pollOnce(session, started: ContinuousClock().now, clock: ContinuousClock(), schedule: &schedule)
            await session.close()
        } catch {
            // pollFailed logs the outage (once, as `run` does); logging here too printed it twice.
            await core.pollFailed(error: "\(error)", statuses: [:], duration: 0)
        }
        var bytes = store.snapshot.map { Array($0.identity.readableBytesView) } ?? []
        var suffix = MetricSet()
        ProcessMetrics.render(into: &suffix)
        suffix.encode(into: &bytes)
        return (bytes, up)
    }

    /// Runs until SIGTERM/SIGINT.
    public func run() async throws {
        let logger = self.logger
        ProcessMetrics.noteStart()
        MallocTuning.apply()
        let notifier = SystemdNotifier()
        // Trap SIGHUP before anything can tell systemd we are ready (an untrapped SIGHUP terminates).
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let store = SnapshotStore()
        let errorNotify = try configuration.errorNotifyURI.map { try VICIEndpoint(parsing: $0) }
        let core = ExporterCore(
            configuration: configuration.poller, store: store, logger: logger, followsFailures: errorNotify != nil)
        await core.publish()
        let trigger = PollTrigger()
        let connect = makeConnector()

        var webConfig = WebConfig()
        if let path = configuration.webConfigFile {
            webConfig = try WebConfig.load(path: path)
            for warning in webConfig.warnings { logger.warning("web config", metadata: ["file": "\(path)", "warning": "\(warning)"]) }
        }
        var addresses: [ListenAddress] = []
        // Socket activation: sockets passed by systemd (LISTEN_FDS) take precedence over --web.listen-address.
        let inherited = try SystemdListenFDs.fromEnvironment().sockets
        if !inherited.isEmpty {
            addresses = inherited.map { ListenAddress.boundSocket(descriptor: $0.descriptor) }
        } else if configuration.systemdSocket {
            throw SystemdError(code: .invalidListenEnvironment, message: "--web.systemd-socket: systemd passed no socket (LISTEN_FDS)")
        } else {
            for text in configuration.listenAddresses { addresses.append(try ListenAddress(parsing: text)) }
        }
        let probes = try makeProbeManager()
        if let probes {
            logger.info("probing enabled", metadata: [
                "path": "\(ProbeRoute.path)", "allowed_targets": "\(probes.statistics.allowedTargets)",
                "idle_timeout": "\(configuration.probe.idleTimeout)", "max_targets": "\(probes.maxTargets)",
            ])
        }
        let httpStatistics = HTTPServerStatistics()
        let responder = ClosureMetricsResponder { _ in
            var suffix = MetricSet()
            ProcessMetrics.render(into: &suffix)
            httpStatistics.render(into: &suffix)
            probes?.statistics.render(into: &suffix)
            var suffixBytes: [UInt8] = []
            suffix.encode(into: &suffixBytes)
            let snapshot = store.snapshot
            return ScrapeBody(
                lazyIdentity: { snapshot?.identity ?? ByteBuffer() }, gzip: snapshot?.gzip, suffix: ByteBuffer(bytes: suffixBytes))
        }
        let server = try await MetricsHTTPServer.bind(
            configuration: MetricsHTTPServerConfiguration(
                listenAddresses: addresses, telemetryPath: configuration.telemetryPath,
                landingPageTitle: "strongSwan Exporter", landingPageDescription: "Prometheus exporter for strongSwan's charon",
                authenticationRealm: "strongswan_exporter",
                routes: probes.map { [ProbeRoute.make(manager: $0, statistics: httpStatistics)] } ?? []),
            webConfig: webConfig, responder: responder, statistics: httpStatistics, logger: logger)
        logger.info("listening", metadata: ["addresses": "\(server.localAddresses)", "vici": "\(configuration.viciURI)"])

        // The watchdog's lease: the poll loop reports after every attempt, and an attempt may legitimately take
        // one connect plus every command of the enabled collectors, each up to --vici.timeout. Only a poll loop
        // that overruns that (a hang, which a restart can cure) stops the pings; a slow charon does not.
        let commands = CollectorCatalogue.commandsPerPoll(enabled: configuration.poller.enabledCollectors)
        let progressWindow = configuration.poller.interval + configuration.viciConnectTimeout + configuration.viciTimeout * commands + .seconds(5)
        let keeper: WatchdogKeeper<SuspendingClock>? = notifier.watchdogInterval().map { interval in
            WatchdogKeeper(
                interval: interval, progressWindow: progressWindow,
                clock: SuspendingClock(), logger: logger, ping: { notifier.watchdog() })
        }
        let readySent = OnceFlag()
        let poller = Poller(
            configuration: configuration.poller, connect: { try await connect() }, core: core, trigger: trigger,
            logger: logger,
            onPollFinished: { core in
                keeper?.progress()
                let status = await core.statusLine()
                if readySent.setOnce() { _ = notifier.ready(status: status) } else { _ = notifier.status(status) }
            })
        // The group shuts down in reverse order: the SIGHUP reloader first, then STOPPING=1 goes out, then the
        // watchdog, the event follower, the poller, and the HTTP server last (in-flight scrapes finish).
        var services: [any Service] = [server, poller]
        if configuration.followEvents {
            services.append(EventFollower(subscribe: makeSubscriber(), core: core, trigger: trigger, logger: logger))
        }
        if let errorNotify {
            services.append(ErrorNotifyFollower(
                endpoint: errorNotify,
                connect: ErrorNotifyFollower.connector(to: errorNotify, timeout: configuration.viciConnectTimeout),
                core: core, logger: logger))
        }
        // Stops before the server: probes arriving meanwhile get 503, every probe target's connections close.
        if let probes { services.append(probes) }
        if let keeper { services.append(keeper) }
        services.append(SystemdStoppingService(notifier: notifier))
        // Last, so that it stops first: no reload starts once shutdown has begun.
        services.append(HangupReloader(hangups: hangups, notifier: notifier) {
            if let path = configuration.webConfigFile {
                do {
                    server.reload(webConfig: try WebConfig.load(path: path))
                    logger.info("web config reloaded", metadata: ["file": "\(path)"])
                } catch {
                    logger.error("web config reload failed; keeping the previous one", metadata: ["error": "\(error)"])
                }
            }
            if let probes, let path = configuration.probe.targetsFile {
                do {
                    let allowList = try configuration.probe.loadAllowList()
                    await probes.replaceAllowList(allowList)
                    logger.info("probe targets reloaded", metadata: ["file": "\(path)", "allowed_targets": "\(allowList.count)"])
                } catch {
                    logger.error("probe targets reload failed; keeping the previous ones", metadata: ["error": "\(error)"])
                }
            }
            return await core.statusLine()
        })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

