import ExporterHTTP
import ServiceLifecycle

extension MetricsHTTPServer: Service {
    /// Serves (``MetricsHTTPServer/serve()``) until the service group shuts down gracefully, which begins the
    /// server's graceful shutdown (in-flight requests finish), or until the task is cancelled.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await self.serve()
        } onGracefulShutdown: {
            self.beginGracefulShutdown()
        }
    }
}
