import Hummingbird

/// Turns every error a route (or the router, for unknown paths) throws into its problem+json response: the one
/// place where errors meet HTTP. Innermost, so the access log and the metrics see the status that was sent.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Problem.from(error, logger: context.logger)
            let area = RouteArea(path: request.uri.path)
            // An address under the pages that leads nowhere (`/diarium/handlingar/`, a mistyped link) is read in a
            // browser: a page that says so and leads back to the register, not JSON.
            var response = area == .pages && [.get, .head].contains(request.method) ? Page.problem(problem)
                : try problem.response(from: request, context: context)
            // An error answers this request now: never kept (404 and 405 are cacheable by default, RFC 9111), and under
            // the API for the token's holder alone, as its other answers (PrivateResponseMiddleware); also for the
            // errors raised outside the API group's middleware (unknown paths, other methods).
            if response.headers[.cacheControl] == nil {
                response.headers[.cacheControl] = area == .api ? PrivateResponseMiddleware<Context>.value : "no-store"
            }
            return response
        }
    }
}
