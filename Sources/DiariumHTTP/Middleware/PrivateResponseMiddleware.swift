import Hummingbird

/// Every `/api/v1` answer is for its token's holder alone: `Cache-Control: private, no-store`. A shared cache that
/// ignores `Authorization` (nginx's `proxy_cache` keys on the URL) would otherwise serve one clerk's unredacted view
/// to the next caller, and a browser would keep restricted files on a shared workstation's disk. The public routes
/// say `no-cache` instead: anyone may keep them, and must ask again before using them.
struct PrivateResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    static var value: String { "private, no-store" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers[.cacheControl] = Self.value
            return response
        } catch var error as Problem {
            error.headers[.cacheControl] = Self.value
            throw error
        }
    }
}
