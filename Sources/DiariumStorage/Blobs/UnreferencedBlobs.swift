#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DiariumCore

/// What a removal of unreferenced content files did.
public struct RemovedBlobs: Sendable, Equatable {
    /// Files removed, and their bytes.
    public var files = 0
    public var bytes: Int64 = 0
    /// Unreferenced files left in place because `removable` declined them (changed too recently).
    public var kept = 0
}

extension BlobPublisher {
    /// Removes the content files among `digests` that no catalog row names.
    ///
    /// Runs inside a write transaction (`access`), and that is what makes it safe beside running registrations: a
    /// registration records its content under the same lock and then checks that the file is still there
    /// (`CatalogAccess.insertBlob(sha256:size:at:publishedIn:)`). So a committed row never names a removed file; at
    /// worst a registration racing a removal fails cleanly and is tried again. `removable` is given each
    /// unreferenced file's last change (`lastChange`) and decides.
    public func removeUnreferenced(_ digests: [String], in access: CatalogAccess,
                                   removable: (_ sha256: String, _ lastChange: Int64) -> Bool) throws(DiariumError) -> RemovedBlobs {
        var result = RemovedBlobs()
        var shards = Set<Substring>()
        for sha256 in digests where BlobStore.isDigest(sha256) {
            let referenced: Bool
            do { referenced = try access.isBlobReferenced(sha256) } catch { throw Catalog.map(error) }
            guard !referenced else { continue }
            let path = path(of: sha256)
            var st = stat()
            // Only plain files: anything else where content belongs is for `verify` to report, not to delete.
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, let changed = Self.lastChange(path) else { continue }
            guard removable(sha256, changed) else {
                result.kept += 1
                continue
            }
            guard unlink(path) == 0 else { throw POSIX.storageError("cannot remove", path) }
            result.files += 1
            result.bytes += Int64(st.st_size)
            shards.insert(sha256.prefix(2))
        }
        for shard in shards.sorted() { try POSIX.fsyncDirectory("\(objectsPath)/\(shard)") }
        return result
    }

    /// Takes away the files a change placed when the change then failed to commit (a lost race, a case closed
    /// meanwhile), so that a refused request leaves the store as it was. A file touched since it was placed stays:
    /// another registration published the same bytes and may be about to record them. Best effort: what is left
    /// is an unreferenced file that `verify` reports and `verify --remove-orphans` removes.
    public func removeUnrecorded(_ placed: [PlacedBlob], catalog: Catalog) {
        guard !placed.isEmpty else { return }
        let changed = Dictionary(placed.map { ($0.sha256, $0.changed) }, uniquingKeysWith: { first, _ in first })
        _ = try? catalog.write { access in
            try removeUnreferenced(placed.map(\.sha256), in: access) { sha256, lastChange in lastChange == changed[sha256] }
        }
    }
}
