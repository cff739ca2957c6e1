import Hummingbird

/// Counts requests and their latency by route template, method and status into `HTTPMetrics`.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.record(route: context.routeLabel, method: request.method.rawValue, status: response.status.code,
                       seconds: (ContinuousClock.now - start).seconds)
        return response
    }
}

extension RequestContext {
    /// The matched route template (`/public/v1/documents/{number}`), or `unmatched`: unknown paths share one label,
    /// since a label per probed URL would grow without bound.
    var routeLabel: String {
        guard let path = endpointPath, path != "NotFound" else { return "unmatched" }
        // A document's or a case's page takes the rest of the path (`PublicPages.routed`); it is named as the
        // OpenAPI names it.
        return PublicPages.documented(path)
    }
}
