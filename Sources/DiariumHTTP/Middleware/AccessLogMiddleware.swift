import DiariumStorage
import Foundation
import Hummingbird
import Logging

/// One log line per request: method, path (never the query string; a token pasted into it cut to its prefix), route
/// template, status and duration.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        context.logger.info("request", metadata: [
            "http.method": .string(request.method.rawValue),
            "http.path": .string(Self.loggable(request.uri.path)),
            "http.route": .string(context.routeLabel),
            "http.status": .stringConvertible(response.status.code),
            "http.duration_ms": .string(Self.milliseconds(elapsed)),
        ])
        return response
    }

    /// The path with any token in it cut to what `token list` shows of it (`dia_AbCdEf…`): a client that puts its
    /// token where an id goes (`DELETE /api/v1/tokens/dia_…`) must not leave it in the log.
    static func loggable(_ path: String) -> String {
        guard path.contains(TokenSecret.scheme) else { return path }
        var result = ""
        var rest = Substring(path)
        while let start = rest.range(of: TokenSecret.scheme) {
            result += rest[..<start.lowerBound]
            let token = rest[start.lowerBound...].prefix { $0 != "/" }
            result += TokenSecret.prefix(String(token)) + (token.count > TokenSecret.scheme.count + 6 ? "…" : "")
            rest = rest[token.endIndex...]
        }
        return result + rest
    }

    /// "12.34": two decimals without `String(format:)`, which costs more than the rest of the line.
    static func milliseconds(_ duration: Duration) -> String {
        let hundredths = Int((duration.seconds * 100_000).rounded())   // of a millisecond
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
