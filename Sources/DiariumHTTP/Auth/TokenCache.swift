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

    private let entries = Mutex<[String: Entry]>([:])

    func principal(for digest: String) -> Principal? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[digest] else { return nil }
            guard entry.expires > now else {
                entries[digest] = nil
                return nil
            }
            return entry.principal
        }
    }

    func store(_ principal: Principal, for digest: String) {
        let entry = Entry(principal: principal, expires: ContinuousClock.now + Self.ttl)
        entries.withLock { entries in
            // Many distinct tokens within two seconds is unusual; start over rather than track ages.
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[digest] = entry
        }
    }

    func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}
