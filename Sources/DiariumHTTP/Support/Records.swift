import DiariumServices
import NIOPosix

/// Runs use cases off the event loops. Every `RecordsService` call blocks (SQLite through GRDB's synchronous API,
/// file I/O), so it runs on a thread pool; each job gets its own cheap `RecordsService` over the one catalog
/// the server opened at startup.
struct Records: Sendable {
    let factory: RecordsService.Factory
    let threadPool: NIOThreadPool
    /// Group commit for registrations arriving concurrently (see `GroupCommitter`).
    let committer = GroupCommitter()

    /// The pool for blocking work. More threads than cores: most jobs wait on the disk (fsync) or on the catalog's
    /// write lock, and a registration waiting for its group commit holds its thread. One per process, started once.
    static let blockingPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 32)
        pool.start()
        return pool
    }()

    func run<T: Sendable>(_ body: @escaping @Sendable (RecordsService) throws -> T) async throws -> T {
        let factory = factory
        return try await threadPool.runIfActive { try body(factory.make()) }
    }
}
