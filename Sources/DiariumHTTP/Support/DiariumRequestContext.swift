import DiariumCore
import Foundation
import Hummingbird
import NIOCore

/// The request context of every Diarium route: Hummingbird's basics, with Diarium's JSON encoding.
public struct DiariumRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who is asking, set by `AuthenticationMiddleware` on `/api/v1`; nil on public routes.
    public var principal: Principal?
    /// The connection, for what only its pipeline can do (`100 Continue`, see `RequestBodyMiddleware`).
    let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    public var responseEncoder: JSONEncoder { JSONCoding.encoder() }
    public var requestDecoder: JSONDecoder { JSONCoding.decoder() }

    /// The authenticated principal; only called on routes behind `AuthenticationMiddleware`.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw Problem.unauthenticated("Give a token: Authorization: Bearer <token>.") }
        return principal
    }
}
