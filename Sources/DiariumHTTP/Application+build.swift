import DiariumCore
import DiariumServices
import DiariumStorage
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// Where the server listens.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// The HTTP application over an opened store: what `diarium serve` runs and what the tests call.
///
/// Public, read-only routes only for now: `/health`, `/metrics` and `/public/v1/…`. Nothing else answers.
public func buildApplication(store: Store.Shared, settings: ServerSettings = ServerSettings(), clock: any DiariumCore.Clock = SystemClock(),
                             logger: Logger = Logger(label: "diarium.http")) -> some ApplicationProtocol {
    let router = buildRouter(records: Records(factory: RecordsService.Factory(store: store, clock: clock), threadPool: .singleton),
                             metrics: HTTPMetrics())
    return Application(router: router, configuration: .init(address: .hostname(settings.host, port: settings.port)),
                       logger: logger)
}

func buildRouter(records: Records, metrics: HTTPMetrics) -> Router<DiariumRequestContext> {
    let router = Router(context: DiariumRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Outermost first. Middleware applies to the routes added after it, and to unknown paths.
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    router.add(middleware: ProblemMiddleware())

    router.get("/health") { _, context -> Response in
        do {
            try await records.run { service in try service.checkCatalog() }
        } catch {
            context.logger.error("health check failed", metadata: ["error.message": .string(String(describing: error))])
            throw Problem(status: .serviceUnavailable, code: "store-unavailable", title: "Store unavailable",
                          detail: "The store does not answer. The problem has been logged.")
        }
        return try JSONCoding.response(["status": "ok"])
    }
    router.get("/metrics") { _, _ -> Response in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
    }
    let publicRoutes = PublicRoutes(records: records, threadPool: records.threadPool)
    publicRoutes.add(to: router)

    // Every route is read-only: other methods get 405 with Allow, not 404.
    for path in ["/health", "/metrics"] + PublicRoutes.paths {
        for method: HTTPRequest.Method in [.post, .put, .patch, .delete] {
            router.on(RouterPath(path), method: method) { _, _ -> Response in
                throw Problem.methodNotAllowed(allow: "GET, HEAD")
            }
        }
    }
    return router
}
