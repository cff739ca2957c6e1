import CDiariumSystem
import Crypto
import DiariumCore
import Foundation
import GRDB
import Synchronization

/// The `.partial-…` copies this process is writing, for `Store.removeUnfinishedCopies` (a signal handler).
private let unfinishedCopies = Mutex<Set<String>>([])

/// What a backup holds: the catalog as of one moment, and every content file that catalog names.
public struct BackupResult: Codable, Sendable, Equatable {
    public let destination: String
    public let contentFiles: Int
    public let contentBytes: Int64
    /// The newest audit event in the copy (0 for none) and its hash: what the copy can be anchored and compared by.
    public let auditHead: Int64
    public let auditHeadHash: String?
    public let outboxFiles: Int
    /// Unfinished copies (`DEST.partial-…`) that backups to the same destination left when they were killed, removed
    /// before this one began: they hold the store's restricted content.
    public var removedLeftovers: [String] = []
}

extension Store {
    /// How many content files are copied and made durable together.
    static let backupBatch = 128

    /// Copies the store to `destination`, a path that must not exist yet (nor lie inside the store), while it stays
    /// in use.
    ///
    /// The catalog is copied as one snapshot (SQLite's `VACUUM INTO`, on a reader: registrations go on meanwhile),
    /// then every content file that snapshot names, each hashed as it is copied: a file that no longer matches its
    /// name fails the backup, naming it. Everything is written under `destination` + `.partial-…` and made durable;
    /// `beforePublishing` then runs (the caller logs the copy there: a copy it cannot log is not published), and the
    /// whole is renamed into place last, never over anything, so `destination` is either a complete store or absent.
    /// Files in the outbox (sent interchanges awaiting their receipt) are copied as found. A backup killed part way
    /// leaves its `.partial-…` directory, which holds restricted content: the next backup to the same destination
    /// removes it (`removedLeftovers`), or remove it by hand.
    public func backup(to destination: String,
                       beforePublishing: (BackupResult) throws(DiariumError) -> Void = { _ in }) throws(DiariumError) -> BackupResult {
        try makeCopy(to: destination, beforePublishing: { result, _ throws(DiariumError) in try beforePublishing(result) }, afterSnapshot: {})
    }

    /// `backup(to:beforePublishing:)` whose `beforePublishing` is also given the unfinished copy's directory, to check
    /// or amend the copy before it is published (a restore verifies it and logs itself in it). `prepareCatalog` runs on
    /// that directory once the catalog is copied, before the content is (a restore upgrades an older backup's catalog
    /// there, since the content is listed from the copy).
    public func copy(to destination: String, prepareCatalog: (_ copyRoot: String) throws(DiariumError) -> Void = { _ in },
                     beforePublishing: (BackupResult, _ copyRoot: String) throws(DiariumError) -> Void) throws(DiariumError) -> BackupResult {
        try makeCopy(to: destination, prepareCatalog: prepareCatalog, beforePublishing: beforePublishing, afterSnapshot: {})
    }

    /// `backup(to:beforePublishing:)`, calling `afterSnapshot` once each snapshot is taken (tests change the store there).
    package func backup(to destination: String, beforePublishing: (BackupResult) throws(DiariumError) -> Void,
                        afterSnapshot: () -> Void) throws(DiariumError) -> BackupResult {
        try makeCopy(to: destination, beforePublishing: { result, _ throws(DiariumError) in try beforePublishing(result) },
                     afterSnapshot: afterSnapshot)
    }

    private func makeCopy(to destination: String, prepareCatalog: (String) throws(DiariumError) -> Void = { _ in },
                          beforePublishing: (BackupResult, String) throws(DiariumError) -> Void,
                          afterSnapshot: () -> Void) throws(DiariumError) -> BackupResult {
        guard !destination.isEmpty else {
            throw DiariumError(.invalidField, "give the path of the new directory", field: "destination")
        }
        // From the root: the log keeps it, and `backups` and disposals look for it from wherever they run.
        var target = Paths.absolute(destination)
        while target.count > 1, target.hasSuffix("/") { target.removeLast() }
        guard !POSIX.fileExists(target) else {
            throw DiariumError(.alreadyExists, "\(target) already exists: a backup or restore makes a new directory", field: "destination")
        }
        let parent = Paths.parent(of: target)
        guard POSIX.isDirectory(parent) else {
            throw DiariumError(.notFound, "the folder \(parent) does not exist", field: "destination")
        }
        // Inside the store it would copy itself, and the temp area's clean-up could take it.
        if holds(target) {
            throw DiariumError(.invalidField, "\(target) is inside the store being copied: give a path outside it", field: "destination")
        }
        let leftovers = Self.removeAbandonedCopies(of: target)
        var partial = target + Self.partialSuffix()
        unfinishedCopies.withLock { _ = $0.insert(partial) }
        defer { unfinishedCopies.withLock { _ = $0.remove(partial) } }
        do {
            // A disposal that removes a file after the snapshot was taken makes the snapshot stale, not the store
            // damaged: a new snapshot (which has the disposal) is taken, a few times at most.
            var attempt = 1
            var made = try backup(into: partial, naming: target, prepareCatalog: prepareCatalog, afterSnapshot: afterSnapshot)
            while made == nil && attempt < Self.backupAttempts {
                POSIX.removeTree(partial)
                unfinishedCopies.withLock { _ = $0.remove(partial) }
                partial = target + Self.partialSuffix()
                unfinishedCopies.withLock { _ = $0.insert(partial) }
                attempt += 1
                made = try backup(into: partial, naming: target, prepareCatalog: prepareCatalog, afterSnapshot: afterSnapshot)
            }
            guard var result = made else {
                throw DiariumError(.invalidState, "content was disposed of during each of \(Self.backupAttempts) attempts to copy the store: "
                                   + "back it up when no disposal runs", field: "destination")
            }
            result.removedLeftovers = leftovers
            // From here the copy is complete and about to be logged: a signal no longer removes it (a kill before the
            // log's commit leaves it for the next backup to the same destination to remove).
            unfinishedCopies.withLock { _ = $0.remove(partial) }
            try beforePublishing(result, partial)
            guard diarium_rename_noreplace(partial, target) == 0 else {
                throw errno == EEXIST
                    ? DiariumError(.alreadyExists, "\(target) was made by someone else during the backup", field: "destination")
                    : POSIX.storageError("cannot rename into place", target)
            }
            try POSIX.fsyncDirectory(parent)
            return result
        } catch let error as DiariumError {
            POSIX.removeTree(partial)
            throw error
        } catch {
            POSIX.removeTree(partial)
            throw DiariumError(.storage, "backup to \(target) failed: \(error)")
        }
    }

    static let backupAttempts = 3

    /// Removes the copies a backup or restore of this process has not finished, then calls `finish` (whether there
    /// was one) still holding the lock, so the copying thread, which takes it to finish or fail, stays where it is
    /// until `finish` ends the process: one exit, one message. For a signal handler (a SIGKILL leaves the copy for the
    /// next backup to the same destination to remove). A complete copy being logged and published is not touched.
    public static func removeUnfinishedCopies(then finish: (_ removed: Bool) -> Never) -> Never {
        unfinishedCopies.withLock { paths -> Never in
            let removed = !paths.isEmpty
            for path in paths {
                // Out of the copy's way first: its thread goes on writing under the old name until the process
                // exits, and fails there (the folder is gone) instead of refilling what is being removed.
                let doomed = path + ".removing"
                if rename(path, doomed) == 0 { POSIX.removeTree(doomed) }
                for _ in 0..<50 where POSIX.fileExists(path) {
                    POSIX.removeTree(path)
                    usleep(2000)
                }
            }
            paths.removeAll()
            finish(removed)
        }
    }

    /// `.partial-HOST-PID-N`: the unfinished copy's name beside its destination. HOST (8 hex digits of the host
    /// name's SHA-256) keeps a backup from taking another machine's running copy, on a shared destination, for
    /// abandoned because its process number is not running here.
    package static func partialSuffix(pid: pid_t = getpid(), random: UInt32 = .random(in: 0 ... .max)) -> String {
        ".partial-\(hostTag)-\(pid)-\(random)"
    }

    static let hostTag: String = {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        return String(BlobStore.hex(SHA256.hash(data: Data(host.utf8))).prefix(8))
    }()

    /// Removes the unfinished copies (`TARGET.partial-HOST-PID-N`) that backups to `target` from this machine left when
    /// they were killed: this account's, whose process is gone (one still running may be writing its own). A symbolic
    /// link of that name is left alone, and the tree is removed without following links (`POSIX.removeTree`). A
    /// process number reused since is taken as alive: the copy stays for a later backup, or for removal by hand.
    static func removeAbandonedCopies(of target: String) -> [String] {
        let base = target.lastIndex(of: "/").map { String(target[target.index(after: $0)...]) } ?? target
        let prefix = base + ".partial-\(hostTag)-"
        var removed: [String] = []
        for name in (try? POSIX.listDirectory(Paths.parent(of: target))) ?? [] where name.hasPrefix(prefix) {
            let parts = name.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0, UInt32(parts[1]) != nil,
                  kill(pid, 0) == -1, errno == ESRCH else { continue }
            let path = target + name.dropFirst(base.count)
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == geteuid() else { continue }
            POSIX.removeTree(path)
            removed.append(path)
        }
        return removed.sorted()
    }

    /// The copy, or nil when a file the snapshot names was disposed of since (start again with a new snapshot).
    private func backup(into partial: String, naming target: String, prepareCatalog: (String) throws(DiariumError) -> Void,
                        afterSnapshot: () -> Void) throws(DiariumError) -> BackupResult? {
        try POSIX.makeDirectory(partial, mode: Self.privateDirectoryMode)
        try POSIX.makeDirectory(partial + "/objects", mode: Self.privateDirectoryMode)
        try BlobStore.createLayout(objectsPath: partial + "/objects/sha256")
        try POSIX.makeDirectory(partial + "/tmp", mode: Self.privateDirectoryMode)
        let catalogCopy = Self.catalogPath(partial)
        try catalog.snapshot(to: catalogCopy)
        chmod(catalogCopy, Self.privateFileMode)
        afterSnapshot()

        // SQLite syncs the copy as the reading connection's `synchronous` says; durable here whatever that is.
        let catalogFD = try POSIX.open(catalogCopy, O_RDONLY | O_CLOEXEC)
        defer { close(catalogFD) }
        try POSIX.fsync(catalogFD, path: catalogCopy)

        func openCopy() throws(DiariumError) -> DatabaseQueue {
            do {
                var config = Configuration()
                config.readonly = true
                config.prepareDatabase { db in try Catalog.registerSearch(db) }
                return try DatabaseQueue(path: catalogCopy, configuration: config)
            } catch {
                throw DiariumError(.storage, "cannot read the copied catalog \(catalogCopy): \(error)")
            }
        }
        // The copy's last event, read before `prepareCatalog`: upgrading an older backup's copy logs the upgrade in
        // it, which is no event of the store the copy was made of.
        let head: (seq: Int64, hash: String)?
        do {
            let snapshot = try openCopy()
            defer { try? snapshot.close() }
            head = try snapshot.read { db in
                try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                    .map { row in (seq: try row.value(at: 0) as Int64, hash: try row.value(at: 1) as String) }
            }
        } catch let error as DiariumError {
            throw error
        } catch {
            throw Catalog.map(error)
        }
        try prepareCatalog(partial)

        // What the snapshot names, read from the copy itself (exactly the files it needs), a page at a time: a
        // million digests would otherwise be a hundred MiB held at once.
        let copy = try openCopy()
        defer { try? copy.close() }
        func read<T>(_ body: (Database) throws -> T) throws(DiariumError) -> T {
            do { return try copy.read(body) } catch { throw Catalog.map(error) }
        }

        let destination = BlobStore(objectsPath: partial + "/objects/sha256", tempRoot: partial + "/tmp")
        var files = 0
        var bytes: Int64 = 0
        var after = ""
        while true {
            let batch = try read { db in
                try Row.fetchAll(db, sql: "SELECT sha256, size FROM blobs WHERE sha256 > ? AND disposed_at IS NULL ORDER BY sha256 LIMIT ?",
                                 arguments: [after, Self.backupBatch])
                    .map { row in (sha256: try row.value(at: 0) as String, size: try row.value(at: 1) as Int64) }
            }
            guard let last = batch.last else { break }
            var staged: [StagedBlob] = []
            var disposedMeanwhile = false
            do throws(DiariumError) {
                for blob in batch {
                    let source = blobs.path(of: blob.sha256)
                    guard POSIX.fileExists(source) else {
                        if try catalog.read({ try $0.isBlobDisposed(blob.sha256) }) {
                            disposedMeanwhile = true
                            break
                        }
                        throw DiariumError(.integrity, "content file \(blob.sha256) is missing from the store (run `diarium verify`)",
                                           field: blob.sha256)
                    }
                    let copied: StagedBlob
                    do throws(DiariumError) {
                        copied = try destination.stage(copying: source)
                    } catch {
                        // Removed between the look and the copy.
                        if try catalog.read({ try $0.isBlobDisposed(blob.sha256) }) {
                            disposedMeanwhile = true
                            break
                        }
                        throw error
                    }
                    staged.append(copied)
                    guard copied.sha256 == blob.sha256, copied.size == blob.size else {
                        throw DiariumError(.integrity, "content file \(blob.sha256) no longer holds the bytes it is named by "
                                           + "(\(copied.size) bytes hashing to \(copied.sha256)); run `diarium verify`", field: blob.sha256)
                    }
                    bytes += copied.size
                }
                if disposedMeanwhile {
                    destination.discard(staged)
                    return nil
                }
                try destination.publisher.publish(staged, durability: .batch(of: staged.count))
                destination.publisher.release(staged)
            } catch {
                destination.discard(staged)
                throw error
            }
            files += batch.count
            after = last.sha256
        }

        let outbox = try copyOutbox(into: partial)
        try POSIX.fsyncDirectory(partial + "/objects")
        try POSIX.fsyncDirectory(partial)
        return BackupResult(destination: target, contentFiles: files, contentBytes: bytes,
                            auditHead: head?.seq ?? 0, auditHeadHash: head?.hash, outboxFiles: outbox)
    }

    /// The outbox's files, each copied and synced: a pending interchange is resent with the same bytes.
    private func copyOutbox(into partial: String) throws(DiariumError) -> Int {
        let source = root + "/exchange/outbox"
        guard POSIX.isDirectory(source) else { return 0 }
        try POSIX.makeDirectory(partial + "/exchange", mode: Self.privateDirectoryMode)
        try POSIX.makeDirectory(partial + "/exchange/outbox", mode: Self.privateDirectoryMode)
        var copied = 0
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        for name in try POSIX.listDirectory(source) where !name.hasPrefix(".") {
            // Gone since the listing: its receipt came, and the copy's row for it may say pending; a resend would
            // then find no file and say so. Anything else that cannot be read fails the backup.
            let from = source + "/" + name
            let input = Glibc.open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            if input < 0 {
                if errno == ENOENT { continue }
                throw POSIX.storageError("cannot read", from)
            }
            defer { close(input) }
            let path = partial + "/exchange/outbox/" + name
            let output = try POSIX.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
            defer { close(output) }
            while true {
                let count = try POSIX.read(input, buffer, 1 << 20, path: from)
                if count == 0 { break }
                try POSIX.writeAll(output, UnsafeRawBufferPointer(start: buffer, count: count), path: path)
            }
            try POSIX.fsync(output, path: path)
            copied += 1
        }
        try POSIX.fsyncDirectory(partial + "/exchange/outbox")
        try POSIX.fsyncDirectory(partial + "/exchange")
        return copied
    }
}
