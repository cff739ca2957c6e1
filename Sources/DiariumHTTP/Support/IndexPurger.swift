import DiariumServices
import Logging
import Synchronization

/// Purges disposed text from the catalog after a disposal over the API: FTS5 keeps a removed document's words in
/// the index's older segments until they are merged, and the merge (`RecordsService.optimizeIndex`) takes 47 s at a
/// million documents (Benchmarks/RESULTS.md), too long for the request that disposed. So it runs here, on the
/// blocking pool, one at a time; a disposal while it runs asks for one more pass (the running one counted only the
/// disposals before it). It stops between steps when the server stops; what is left stays counted in the catalog
/// (`index status`, `/metrics`, the next disposal's report), and the server takes it up when it starts again.
final class IndexPurger: Sendable {
    private let state = Mutex<(running: Bool, again: Bool)>((false, false))

    func schedule(_ records: Records, stopping: @escaping @Sendable () -> Bool, logger: Logger) {
        let start = state.withLock { state in
            if state.running { state.again = true }
            defer { state.running = true }
            return !state.running
        }
        guard start else { return }
        let factory = records.factory
        records.blockingPool.submit { poolState in
            var pass = true
            while pass {
                if case .active = poolState, !stopping() {
                    do {
                        let report = try factory.make().optimizeIndex(shouldStop: stopping)
                        logger.info("search index merged after a disposal", metadata: [
                            "index.steps": .stringConvertible(report.steps), "index.purged": .stringConvertible(report.purged),
                            "index.unpurged": .stringConvertible(report.unpurged),
                        ])
                    } catch {
                        logger.error("purging the search index after a disposal failed",
                                     metadata: ["error.message": .string(String(describing: error))])
                    }
                }
                pass = self.state.withLock { state in
                    let again = state.again
                    state.again = false
                    state.running = again
                    return again
                }
            }
        }
    }
}
