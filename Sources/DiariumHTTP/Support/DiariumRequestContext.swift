import Foundation
import Hummingbird

/// The request context of every Diarium route: Hummingbird's basics, with Diarium's JSON encoding.
public struct DiariumRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var responseEncoder: JSONEncoder { JSONCoding.encoder() }
}
