import DiariumCore
import Synchronization

/// Principals of recently seen tokens, for `ttl` seconds: a busy client would otherwise cost a catalog read (and a
/// trip to the thread pool) per request just to learn who it is. Keyed by the token's SHA-256, never the token.
/// A revocation or a disabled account takes effect within `ttl` for other processes (the CLI) and at once for
/// changes made through this server (`removeAll`). Unknown tokens are not cached, so a new token works at once.
final class TokenCache: Sendable {
    static let ttl: Duration = .seconds(2)
    static let capacity = 10_000

    private struct Entry {
        let principal: Principal
        let expires: ContinuousClock.Instant
    }

    /// `generation` counts `removeAll` calls: a principal read from the catalog before one is not stored after it
    /// (a lookup in flight while a token was revoked would otherwise cache the revoked principal for `ttl`).
    private let state = Mutex<(entries: [String: Entry], generation: UInt64)>(([:], 0))

    /// The cached principal, or nil and the generation to pass to `store` with what the catalog says.
    func principal(for digest: String) -> (principal: Principal?, generation: UInt64) {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[digest] else { return (nil, state.generation) }
            guard entry.expires > now else {
                state.entries[digest] = nil
                return (nil, state.generation)
            }
            return (entry.principal, state.generation)
        }
    }

    /// Stores a principal read after `principal(for:)` returned `generation`, unless the cache was cleared since.
    func store(_ principal: Principal, for digest: String, readAt generation: UInt64) {
        let entry = Entry(principal: principal, expires: ContinuousClock.now + Self.ttl)
        state.withLock { state in
            guard state.generation == generation else { return }
            // Many distinct tokens within two seconds is unusual; start over rather than track ages.
            if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[digest] = entry
        }
    }

    func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.generation &+= 1
        }
    }
}
