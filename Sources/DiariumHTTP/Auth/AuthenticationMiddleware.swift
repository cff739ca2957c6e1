import DiariumCore
import DiariumServices
import DiariumStorage
import Hummingbird

/// Resolves `Authorization: Bearer <token>` to a principal for `/api/v1`. No token or an unusable one is a 401 with
/// `WWW-Authenticate`; what a known user may do is decided per route (403). The token never reaches a log line.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = DiariumRequestContext
    let records: Records
    let cache: TokenCache
    let uses: TokenUse
    /// Whether the server is stopping (its scratch area closed): no more token uses are written.
    let stopping: @Sendable () -> Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let token = try Self.bearerToken(request, missing: "This resource needs a token: Authorization: Bearer <token> (see `diarium token create`).")
        guard TokenSecret.isWellFormed(token) else {
            throw Problem.unauthenticated("The token is unknown, revoked, or its user is disabled.", tokenGiven: true)
        }
        let digest = TokenSecret.digest(token)
        var (principal, generation) = cache.principal(for: digest)
        if principal == nil {
            principal = try await records.run { service in try service.authenticate(token: token) }
            if let principal { cache.store(principal, for: digest, readAt: generation) }
        }
        guard let principal else {
            throw Problem.unauthenticated("The token is unknown, revoked, or its user is disabled.", tokenGiven: true)
        }
        // Noted once the route has answered (or failed), so that the route never waits on that write.
        defer { uses.note(digest, records: records, stopping: stopping, logger: context.logger) }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }

    /// The token of `Authorization: Bearer <token>`; a 401 when there is none (`missing` says what to send).
    /// Shared with the exchange inbox, whose callers are parties rather than users.
    static func bearerToken(_ request: Request, missing: String) throws -> String {
        guard let header = request.headers[.authorization] else { throw Problem.unauthenticated(missing) }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        // Case-insensitive without `lowercased()`, which allocates (every API request passes here). `| 0x20` folds
        // only letters onto "bearer": every byte of the scheme is one.
        guard parts.count == 2, parts[0].utf8.elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }) else {
            throw Problem.unauthenticated("Use the Bearer scheme: Authorization: Bearer <token>.")
        }
        return String(parts[1]).trimmingSpaces()
    }
}
