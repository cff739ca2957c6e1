import DiariumServices
import Logging
import Synchronization

/// Writes when each token was last accepted (`TokenInfo.lastUsedAt`), so that an operator can find the tokens nobody
/// uses any more. At most once a minute per token (a failed write too: it is not retried sooner), and never on the
/// request's path: a write per request would put every read through the catalog's one writer. One job on the
/// blocking pool writes whatever uses are waiting, in one transaction; a use noted while it writes is taken by its
/// next round. Once the server stops (`stopping`), uses are dropped.
final class TokenUse: Sendable {
    static let interval: Duration = .seconds(60)
    /// Tokens remembered as written; beyond, the memory starts over (each token is then written once more).
    static let capacity = 100_000

    private struct State {
        /// When each token's use was last handed to the writer, by the token's SHA-256 (never the token).
        var written: [String: ContinuousClock.Instant] = [:]
        var waiting: [String] = []
        var writing = false
    }
    private let state = Mutex(State())

    /// Notes a use of the token with SHA-256 `digest`, writing it unless it was written less than `interval` ago.
    func note(_ digest: String, records: Records, stopping: @escaping @Sendable () -> Bool, logger: Logger) {
        let now = ContinuousClock.now
        let start = state.withLock { state -> Bool in
            if let last = state.written[digest], now - last < Self.interval { return false }
            if state.written.count >= Self.capacity { state.written.removeAll(keepingCapacity: true) }
            state.written[digest] = now
            state.waiting.append(digest)
            defer { state.writing = true }
            return !state.writing
        }
        guard start else { return }
        let factory = records.factory
        records.blockingPool.submit { poolState in
            while true {
                let digests = self.state.withLock { state -> [String] in
                    defer { state.waiting.removeAll() }
                    if state.waiting.isEmpty { state.writing = false }
                    return state.waiting
                }
                guard !digests.isEmpty else { return }
                guard case .active = poolState, !stopping() else { continue }   // the server is stopping: drop them
                do {
                    try factory.make().recordTokenUse(sha256: digests)
                } catch {
                    // The requests were served; only the note of their tokens' use is lost (written again a minute on).
                    logger.warning("recording when tokens were last used failed", metadata: ["error.message": .string(String(describing: error))])
                }
            }
        }
    }
}
