import DiariumCore
import DiariumExtraction
import DiariumStorage

extension RecordsService {
    /// What a long-running process (the HTTP server) shares between threads: the store opened once, the clock and
    /// the text extractor. `RecordsService` itself is not Sendable (its blob store has a buffer and a temp area), so
    /// each job makes its own with `make()`, which does no I/O.
    public struct Factory: Sendable {
        public let store: Store.Shared
        let clock: any Clock
        let extractor: TextExtractor

        public init(store: Store.Shared, clock: any Clock = SystemClock()) {
            self.store = store
            self.clock = clock
            self.extractor = TextExtractor()
        }

        public func make() -> RecordsService {
            RecordsService(store: store.makeStore(), clock: clock, extractor: extractor)
        }
    }
}
