import DiariumServices
import NIOPosix

/// Runs use cases off the event loops. Every `RecordsService` call blocks (SQLite through GRDB's synchronous API,
/// file I/O), so it runs on NIO's thread pool; each job gets its own cheap `RecordsService` over the one catalog
/// the server opened at startup.
struct Records: Sendable {
    let factory: RecordsService.Factory
    let threadPool: NIOThreadPool

    func run<T: Sendable>(_ body: @escaping @Sendable (RecordsService) throws -> T) async throws -> T {
        let factory = factory
        return try await threadPool.runIfActive { try body(factory.make()) }
    }
}
