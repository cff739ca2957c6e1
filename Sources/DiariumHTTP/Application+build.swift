#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumServices
import DiariumStorage
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Where the server listens.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    public var api: APISettings
    /// A connection that sends nothing for this long, while it has no request or is part-way through sending one
    /// (a head or a body), is closed: idle keep-alive connections and stalled clients do not pile up. A response
    /// being produced or sent is never cut off by it.
    public var idleTimeout: Duration
    /// How often the outbox is looked through for interchanges due to be delivered again (`RedeliveryService`); nil:
    /// never by this server.
    public var redeliveryInterval: Duration?
    /// After SIGTERM or SIGINT, how long requests in progress have to finish before their connections are cut: a
    /// stalled client must not hold the stop for a whole idle timeout (a container manager kills a server that takes
    /// longer than its own limit, 10 s for Docker).
    public var stopTimeout: Duration
    /// The build, as the log's line at start names it with the store ("Diarium 0.1.0").
    public var build: String?

    public init(host: String = "127.0.0.1", port: Int = 8080, api: APISettings = APISettings(), idleTimeout: Duration = .seconds(60),
                redeliveryInterval: Duration? = .seconds(30), stopTimeout: Duration = .seconds(8), build: String? = nil) {
        self.host = host
        self.port = port
        self.api = api
        self.idleTimeout = idleTimeout
        self.redeliveryInterval = redeliveryInterval
        self.stopTimeout = stopTimeout
        self.build = build
    }
}

/// The HTTP application over an opened store: what `diarium serve` runs and what the tests call.
///
/// `/health`, `/metrics`, `/openapi.json`, the public diarium under `/public/v1/…` and the token-protected API under
/// `/api/v1/…`.
public func buildApplication(store: Store.Shared, settings: ServerSettings = ServerSettings(), clock: any DiariumCore.Clock = SystemClock(),
                             logger: Logger = Logger(label: "diarium.http"), uploads: UploadArea? = nil) throws(DiariumError) -> some ApplicationProtocol {
    // One scratch directory for the server: uploads land there, and every job stages its blobs there.
    let uploads: UploadArea = if let uploads { uploads } else { try UploadArea(store: store) }
    let metrics = HTTPMetrics()
    let records = Records(factory: RecordsService.Factory(store: store.sharingTempArea(uploads), clock: clock), threadPool: .singleton)
    let deliveries = OutboxDeliveries(records: records)
    let router = buildRouter(records: records, uploads: uploads, settings: settings.api, metrics: metrics, deliveries: deliveries,
                             logger: logger)
    // HTTP/1.0 requests are answered as 1.0 and their connections ended (HTTP10Installer, in front of the codec).
    // A refused upload ends its connection instead of being read to its end (RefusedBodyHandler); 100 Continue is sent
    // when a route first reads a body that asks for it (ContinueHandler). The connection
    // counter comes last, next to Hummingbird's idle timeout, to see the same request parts it does.
    let idleTimeout = settings.idleTimeout
    return Application(router: router,
                       server: .http1(configuration: .init(additionalChannelHandlers: [
                           HTTP10Installer(),
                           RefusedBodyHandler(metrics: metrics.connections),
                           ContinueHandler(),
                           ConnectionMetricsHandler(metrics: metrics.connections, idleTimeout: idleTimeout),
                       ], idleTimeout: TimeAmount(idleTimeout))),
                       configuration: .init(address: .hostname(settings.host, port: settings.port)),
                       // Before the server in the list: a service group stops its services last to first, so requests
                       // in flight finish before the redelivery stops.
                       services: settings.redeliveryInterval.map { interval in
                           [RedeliveryService(deliveries: deliveries, records: records, interval: interval, metrics: metrics.redelivery,
                                              logger: logger)]
                       } ?? [],
                       // Once bound (a port taken is one line of error, nothing before it): which build serves which store.
                       onServerRunning: { [root = store.root, build = settings.build] _ in
                           logger.info("serving", metadata: ["store": .string(root), "build": .string(build ?? "Diarium")])
                       },
                       logger: logger)
}

/// Runs the server until SIGTERM/SIGINT (graceful: requests in flight finish), then stops the jobs still writing
/// into its scratch area (an export, cancelled between files; given up to 10 s) and removes the area.
public func serve(store: Store.Shared, settings: ServerSettings, logger: Logger) async throws {
    let uploads = try UploadArea(store: store)
    defer { uploads.removeAll() }
    do {
        let application = try buildApplication(store: store, settings: settings, logger: logger, uploads: uploads)
        var group = ServiceGroupConfiguration(services: [application, StopNotice(logger: logger, timeout: settings.stopTimeout)],
                                              gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Past it the requests still running are cancelled and their connections closed.
        group.maximumGracefulShutdownDuration = settings.stopTimeout
        try await ServiceGroup(configuration: group).run()
    } catch let error where error is SocketAddressError || error is SocketAddressError.UnknownHost {
        throw DiariumError(.invalidField, "cannot listen on \(settings.host): not an address or a name that resolves", field: "host")
    } catch let error as IOError {
        // Binding is what fails at start: the port taken, or not this machine's address.
        throw DiariumError(.storage, "cannot listen on \(settings.host) port \(settings.port): \(String(cString: strerror(error.errnoCode)))")
    }
}

/// Says in the log that the server is stopping and how long requests in progress have. Last in the group, so it
/// hears the signal first (a group stops its services last to first).
struct StopNotice: Service {
    let logger: Logger
    let timeout: Duration

    func run() async throws {
        // Cancelled instead (the server failed, e.g. its port taken): nothing stops gracefully, nothing to say.
        do { try await gracefulShutdown() } catch { return }
        logger.info("stopping: requests in progress may finish", metadata: ["within": .string("\(timeout.components.seconds) s")])
    }
}

func buildRouter(records: Records, uploads: UploadArea, settings: APISettings, metrics: HTTPMetrics, deliveries: OutboxDeliveries,
                 logger: Logger) -> Router<DiariumRequestContext> {
    let router = Router(context: DiariumRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Outermost first. Middleware applies to the routes added after it, and to unknown paths.
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: NULMiddleware())
    router.add(middleware: RequestBodyMiddleware())

    // Unknown query parameters are a 400 here too, as everywhere (a typo is never silently ignored).
    router.get("/health") { request, context -> Response in
        _ = try QueryParameters(request, allowed: [])
        do {
            try await records.run { service in try service.checkCatalog() }
        } catch {
            context.logger.error("health check failed", metadata: ["error.message": .string(String(describing: error))])
            throw Problem(status: .serviceUnavailable, code: "store-unavailable", title: "Store unavailable",
                          detail: "The store does not answer. The problem has been logged.")
        }
        return try JSONCoding.response(["status": "ok"])
    }
    let exports = ExportJobs()
    router.get("/metrics") { request, _ -> Response in
        _ = try QueryParameters(request, allowed: [])
        // Left out when the store does not answer (`/health` says so).
        let store = (try? await records.run { service in
            (try service.unpurgedDisposals(), try ExchangeService(records: service).outboxWaiting())
        }).map { unpurged, outbox in
            """
            # HELP diarium_index_unpurged_disposals Disposed documents whose words the search index still holds (the merge after a disposal purges them; else `diarium index optimize`).
            # TYPE diarium_index_unpurged_disposals gauge
            diarium_index_unpurged_disposals \(unpurged)
            # HELP diarium_exchange_outbox_interchanges Sent interchanges not yet delivered: scheduled (tried again by a server by itself) or stalled (waiting for a person: `diarium exchange resend` or `withdraw`).
            # TYPE diarium_exchange_outbox_interchanges gauge
            diarium_exchange_outbox_interchanges{state="scheduled"} \(outbox.scheduled)
            diarium_exchange_outbox_interchanges{state="stalled"} \(outbox.stalled)

            """
        } ?? ""
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition() + exports.exposition() + store)))
    }
    router.get("/openapi.json") { request, _ -> Response in
        _ = try QueryParameters(request, allowed: [])
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.json)))
    }
    let publicRoutes = PublicRoutes(records: records, threadPool: records.threadPool)
    publicRoutes.add(to: router)
    PublicPages(records: records).add(to: router)
    let api = APIRoutes(records: records, uploads: uploads, settings: settings, exports: exports, deliveries: deliveries)
    api.add(to: router)
    // A purge a stopped server left unfinished (or a disposal made with --purge-later) is taken up at start.
    if ((try? records.factory.make().unpurgedDisposals()) ?? 0) > 0 {
        api.purger.schedule(records, stopping: { uploads.isClosed }, logger: logger)
    }
    // Parties, not users: outside the user API's authentication (the route checks the party's token itself).
    ExchangeRoutes(records: records, uploads: uploads, settings: settings).add(to: router)

    // Other methods get 405 with Allow, not 404 (and not 401: the method is wrong whoever asks); TRACE, OPTIONS and
    // QUERY too, which this server never answers otherwise.
    let readOnly: [(path: String, methods: [HTTPRequest.Method])] = (["/health", "/metrics", "/openapi.json"] + PublicRoutes.paths + PublicPages.paths.map(PublicPages.routed)).map { ($0, [.get]) }
    for (path, methods) in readOnly + APIRoutes.routes + ExchangeRoutes.routes {
        var names = methods.map(\.rawValue)
        if methods.contains(.get) { names.insert("HEAD", at: 1) }
        let allow = names
        for method: HTTPRequest.Method in [.get, .post, .put, .patch, .delete, .trace, .options, .connect, HTTPRequest.Method("QUERY")!]
            where !methods.contains(method) {
            router.on(RouterPath(path), method: method) { _, _ -> Response in
                throw Problem.methodNotAllowed(allow: allow.joined(separator: ", "))
            }
        }
    }
    return router
}
