import Hummingbird

/// Turns every error a route (or the router, for unknown paths) throws into its problem+json response: the one
/// place where errors meet HTTP. Innermost, so the access log and the metrics see the status that was sent.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try Problem.from(error, logger: context.logger).response(from: request, context: context)
        }
    }
}
