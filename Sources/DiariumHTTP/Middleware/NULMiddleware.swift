import DiariumCore
import Hummingbird

/// Refuses an address holding NUL (`%00`), which no name, number or query contains. SQLite reads a bound text only
/// up to its first NUL, so `users/anna%00junk` was answered as anna, past the checks that compare the whole name (an
/// admin's guard against changing their own role among them). The JSON routes only (`/api/`, `/public/`): the pages
/// answer a mistake with a page of their own, and look up nothing by a name a NUL could cut short.
struct NULMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let uri = request.uri.description
        // One pass over a short string on every request; the rest only when there is a NUL.
        if uri.utf8.count >= 3, uri.contains("%00"), [.api, .publicJSON].contains(RouteArea(path: request.uri.path)) {
            let inPath = request.uri.path.contains("%00") || request.uri.path.contains("\0")
            // The parameter that holds it, when the query names one (`q=a%00b` → "q"), as other mistakes in it are.
            let parameter = inPath ? nil : request.uri.queryParameters.first { $0.value.contains("\0") || $0.key.contains("\0") }
                .map { String($0.key) }.flatMap { $0.contains("\0") || $0.isEmpty ? nil : $0 }
            throw DiariumError.invalid(inPath ? "path" : parameter ?? "query",
                                       "the \(inPath ? "path" : parameter.map { "parameter \($0)" } ?? "query") holds a NUL character (%00), "
                                       + "which no name, number or query contains")
        }
        return try await next(request, context)
    }
}
