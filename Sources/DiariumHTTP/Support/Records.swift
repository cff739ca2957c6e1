import DiariumServices
import NIOPosix

/// Runs use cases off the event loops. Every `RecordsService` call blocks (SQLite through GRDB's synchronous API,
/// file I/O), so it runs on a thread pool; each job gets its own cheap `RecordsService` over the one catalog
/// the server opened at startup.
///
/// Two pools: reads run on NIO's shared pool (one thread per core: measured, more threads only add switching and
/// contention for the catalog's readers), and work that waits on the disk — syncing uploads, waiting for a group
/// commit, streaming a body to a file — runs on a larger pool, so that slow syncs never stall the readers.
struct Records: Sendable {
    let factory: RecordsService.Factory
    let threadPool: NIOThreadPool
    let blockingPool: NIOThreadPool
    /// Group commit for registrations arriving concurrently (see `GroupCommitter`).
    let committer = GroupCommitter()

    init(factory: RecordsService.Factory, threadPool: NIOThreadPool = .singleton, blockingPool: NIOThreadPool = Records.sharedBlockingPool) {
        self.factory = factory
        self.threadPool = threadPool
        self.blockingPool = blockingPool
    }

    /// One per process, started once; threads wait on fsync and on the catalog's write lock, not on the CPU.
    static let sharedBlockingPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 32)
        pool.start()
        return pool
    }()

    /// A read (or a short write such as an audit line) on the read pool.
    func run<T: Sendable>(_ body: @escaping @Sendable (RecordsService) throws -> T) async throws -> T {
        let factory = factory
        return try await threadPool.runIfActive { try body(factory.make()) }
    }

    /// A change that syncs to disk, or waits for a group commit, or a long read (a report over every document), on
    /// the blocking pool: none of them may hold up the read pool that lookups and the public diarium wait for.
    func change<T: Sendable>(_ body: @escaping @Sendable (RecordsService) throws -> T) async throws -> T {
        let factory = factory
        return try await blockingPool.runIfActive { try body(factory.make()) }
    }
}
