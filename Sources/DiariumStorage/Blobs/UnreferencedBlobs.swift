#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DiariumCore
import Foundation

/// What a removal of unreferenced content files did.
public struct RemovedBlobs: Sendable, Equatable {
    /// Files removed, and their bytes.
    public var files = 0
    public var bytes: Int64 = 0
}

extension BlobPublisher {
    /// Removes the content files among `digests` that no catalog row names, `batchSize` at a time, each batch in one
    /// write transaction, in which `record` is then called with what that batch removed (when it removed anything).
    /// `busyTimeout`: how long each batch waits for another writer's lock; the catalog's own wait when nil.
    ///
    /// Safe beside running registrations because of two things: the check and the removal happen under the catalog's
    /// write lock, under which every commit records its files; and a registration keeps its own reserve copy of each
    /// file until it has committed, and links it back should the file have gone meanwhile (`CatalogAccess.insertBlob`).
    public func removeUnreferenced(_ digests: [String], catalog: Catalog, batchSize: Int = 1000, busyTimeout: TimeInterval? = nil,
                                   record: (CatalogAccess, RemovedBlobs) throws -> Void) throws(DiariumError) -> RemovedBlobs {
        var total = RemovedBlobs()
        var start = 0
        while start < digests.count {
            let batch = digests[start..<min(start + max(1, batchSize), digests.count)]
            start += batch.count
            let removeBatch = { (access: CatalogAccess) throws -> RemovedBlobs in
                var removed = RemovedBlobs()
                var shards = Set<Substring>()
                for sha256 in batch where BlobStore.isDigest(sha256) {
                    guard try !access.isBlobReferenced(sha256) else { continue }
                    let path = path(of: sha256)
                    var st = stat()
                    // Only plain files: anything else where content belongs is for `verify` to report, not to delete.
                    guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, unlink(path) == 0 else { continue }
                    removed.files += 1
                    removed.bytes += Int64(st.st_size)
                    shards.insert(sha256.prefix(2))
                }
                // Logged with what is actually gone; a failure from here on leaves removed files unlogged, never the
                // reverse.
                for shard in shards.sorted() { try? POSIX.fsyncDirectory("\(objectsPath)/\(shard)") }
                if removed.files > 0 { try record(access, removed) }
                return removed
            }
            let removed = if let busyTimeout {
                try catalog.write(busyTimeout: busyTimeout, removeBatch)
            } else {
                try catalog.write(removeBatch)
            }
            total.files += removed.files
            total.bytes += removed.bytes
        }
        return total
    }

    /// `publish`, and should it fail after linking some files into place (a later file cannot be linked, a shard
    /// directory cannot be synced), takes away those no row names: a change refused at that point leaves nothing
    /// either. (`publish` itself only drops the temp names: only a removal under the write lock may decide.)
    public func publish(_ blobs: [StagedBlob], durability: Durability = .eachFile, cleaningUpIn catalog: Catalog) throws(DiariumError) {
        do {
            try publish(blobs, durability: durability)
        } catch {
            removeUnrecorded(blobs, catalog: catalog)
            throw error
        }
    }

    /// Takes away the files of a change that failed to commit (a lost race, a case closed meanwhile, a refused
    /// import) which no row names, so that a refused request leaves the store as it was. Also the files it found
    /// already in place or put back at its commit: under the write lock, a file no row names is an orphan, and a
    /// registration of the same bytes still in flight holds its own reserve copy. Best effort: what is left is an
    /// unreferenced file that `verify` reports and `verify --remove-orphans` removes.
    ///
    /// Waits at most `busyTimeout` for the write lock: the change may have failed because another process held
    /// the lock for the catalog's whole minute, and its caller (an HTTP request, a clerk) should not wait a second one.
    public func removeUnrecorded(_ blobs: [StagedBlob], catalog: Catalog, busyTimeout: TimeInterval = 5) {
        guard !blobs.isEmpty else { return }
        _ = try? removeUnreferenced(blobs.map(\.sha256), catalog: catalog, busyTimeout: busyTimeout) { _, _ in }
    }
}
