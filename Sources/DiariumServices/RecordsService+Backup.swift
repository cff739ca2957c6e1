import DiariumCore
import DiariumStorage
import Foundation

extension RecordsService {
    /// Copies the whole store to `destination` (a new path outside the store) while it stays in use; see
    /// `Store.backup(to:)`. The copy holds every restricted document, so who made it, and where, is logged before the
    /// copy is published: a copy that cannot be logged (a store this account may only read, a log that cannot be
    /// written) is not made.
    public func backup(to destination: String, actor: String) throws(DiariumError) -> BackupResult {
        let actor = try checkedActor(actor)
        guard !store.catalog.isReadOnly else {
            throw DiariumError(.storage, "this account may only read the store, so the backup could not be logged: "
                               + "back it up as an account that may write it")
        }
        return try store.backup(to: destination) { (result) throws(DiariumError) in
            var details = AuditDetails()
            details["destination"] = .string(result.destination)
            details["files"] = .int(Int64(result.contentFiles))
            details["bytes"] = .int(result.contentBytes)
            details["auditHead"] = .int(result.auditHead)
            if !result.removedLeftovers.isEmpty { details["removedLeftovers"] = .strings(result.removedLeftovers) }
            try store.catalog.write { access in
                try access.appendAudit(at: clock.now(), actor: actor, action: .storeBackup, object: "store", version: nil, details: details.json)
            }
        }
    }
}

/// What a restore made: the new store, and how far the backup it came from reaches.
public struct RestoreResult: Codable, Sendable, Equatable {
    public let destination: String
    public let backup: String
    public let contentFiles: Int
    public let contentBytes: Int64
    /// The backup's newest audit event and when it was written: the restored store holds nothing after it.
    public let backupAuditHead: Int64
    public let backupAuditHeadAt: Date?
    /// The `store.restore` event in the restored store.
    public let auditSequence: Int64
}

extension RecordsService {
    /// Removes the unfinished copies of this process's backups and restores, then `finish`es (told whether there was
    /// one) before the copying thread can go on: for a signal handler (`Store.removeUnfinishedCopies`).
    public static func removeUnfinishedCopies(then finish: (_ removed: Bool) -> Never) -> Never {
        Store.removeUnfinishedCopies(then: finish)
    }

    /// Makes a new store at `destination` (a path that must not exist) from the backup at `backup`, which is only read.
    ///
    /// The copy is made as `backup` makes one (the catalog's snapshot, then every content file, each hashed as it is
    /// copied: a damaged file fails the restore, naming it), then verified before it is published (the audit chain,
    /// the catalog against the log, SQLite's integrity: a backup that does not verify is not restored, and the report's
    /// first problems say why), and `store.restore` is logged in it, by `actor`, naming the backup and its last event.
    /// Nothing is left at `destination` unless all of that succeeded. To put it in place of a broken store, move that
    /// aside first: nothing is restored over a store.
    public static func restore(from backup: String, to destination: String, actor: String,
                               clock: any Clock = SystemClock()) throws(DiariumError) -> RestoreResult {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        guard !backup.isEmpty else { throw .invalid("backup", "give the directory `diarium backup` made") }
        let backup = Paths.absolute(backup)   // as the restored store's log names it
        // Only read, whichever Diarium made it: its copy is upgraded before anything reads it through today's schema.
        let source: Store
        do throws(DiariumError) {
            source = try Store.open(at: backup, readOnly: true, acceptingOlderSchema: true)
        } catch {
            throw DiariumError(error.code, error.code == .notAStore ? "no Diarium store at \(backup): give the directory `diarium backup` made"
                                                                    : "the backup at \(backup): \(error.message)", field: "backup")
        }
        var restored: (sequence: Int64, headAt: Date?)?
        let copy: BackupResult
        do throws(DiariumError) {
            copy = try source.copy(to: destination, prepareCatalog: { copyRoot throws(DiariumError) in
                _ = try Store.open(at: copyRoot)   // migrated as it opens
            }, beforePublishing: { (result, copyRoot) throws(DiariumError) in
                let service = RecordsService(store: try Store.open(at: copyRoot), clock: clock)
                let report = try service.verify(checkingSearchIndex: false, reHashingContent: false)
                guard report.ok else {
                    let shown = report.problems.prefix(3).map(\.message).joined(separator: "; ")
                    throw DiariumError(.integrity, "the backup at \(backup) does not verify (\(report.problems.count) problem(s): \(shown)); "
                                       + "nothing was restored. See `diarium verify --store \(backup)`", field: "backup")
                }
                restored = try service.store.catalog.write { access in
                    let headAt = try access.auditEvents(object: nil, includeChildren: false, afterSequence: result.auditHead - 1, limit: 1).first?.at
                    var details = AuditDetails()
                    details["backup"] = .string(backup)
                    details["backupAuditHead"] = .int(result.auditHead)
                    details["backupAuditHeadHash"] = result.auditHeadHash.map { .string($0) }
                    details["files"] = .int(Int64(result.contentFiles))
                    details["bytes"] = .int(result.contentBytes)
                    let event = try access.appendAudit(at: clock.now(), actor: actor, action: .storeRestore, object: "store", version: nil,
                                                       details: details.json)
                    return (event.sequence, headAt)
                }
                // Everything in the catalog file itself before the directory is renamed into place.
                try service.store.catalog.checkpointTruncating()
            })
        } catch where error.code == .integrity && error.field != "backup" {
            // Content the copy found damaged or missing is the backup's: say so, and where to look (not at the default
            // store). Other failures (the destination's disk, a name taken meanwhile) say what they are.
            throw DiariumError(error.code, "the backup at \(backup): \(error.message.replacingOccurrences(of: "run `diarium verify`", with: "see `diarium verify --store \(backup)`"))",
                               field: "backup")
        }
        return RestoreResult(destination: copy.destination, backup: backup, contentFiles: copy.contentFiles, contentBytes: copy.contentBytes,
                             backupAuditHead: copy.auditHead, backupAuditHeadAt: restored?.headAt, auditSequence: restored?.sequence ?? 0)
    }
}

/// A backup the log records: where it went, and whether it still holds content disposed of since.
public struct BackupEntry: Codable, Sendable, Equatable {
    public let at: Date
    public let by: String
    public let destination: String
    /// The newest audit event in the copy.
    public let auditHead: Int64
    /// Whether a store is still at `destination` (on this machine): not merely a file or an empty folder.
    public let present: Bool
    /// Documents in the copy disposed of after it was made: their content is still in the copy, which is then to be
    /// removed or rotated out, as the disposal decision covers copies too. Counted also for a copy no longer at its
    /// destination: one moved off site holds them just the same.
    public let disposedSince: Int
}

extension RecordsService {
    /// Every backup the log records, oldest first, with whether it is still where it was written and how many of its
    /// documents were disposed of since (wherever the copy is now).
    public func backups() throws(DiariumError) -> [BackupEntry] {
        let (logged, spans) = try store.catalog.read { access in (try access.loggedBackups(), try access.disposalSpans()) }
        // One pass over the disposals, then per copy two binary searches: held = disposed after it − registered after it
        // (a document registered after the copy was also disposed of after it).
        let disposed = spans.map(\.disposed).sorted(), registered = spans.map(\.registered).sorted()
        func after(_ head: Int64, in sorted: [Int64]) -> Int {
            var low = 0, high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                if sorted[middle] <= head { low = middle + 1 } else { high = middle }
            }
            return sorted.count - low
        }
        return logged.map { item in
            let present = Store.exists(at: item.destination)   // a store there, not any file or an empty folder
            return BackupEntry(at: item.at, by: item.by, destination: item.destination, auditHead: item.auditHead, present: present,
                               disposedSince: after(item.auditHead, in: disposed) - after(item.auditHead, in: registered))
        }
    }

    /// The backups still present that hold one of `disposed` (their copy reaches past its registration but not its
    /// disposal). Nil when that could not be read: the run it reports on is committed, so this is best effort.
    func backups(holding disposed: [DocumentNumber]) -> [String]? {
        guard let (logged, spans) = try? store.catalog.read({ access in
            (try access.loggedBackups(), try access.disposalSpans(of: disposed.map(\.description)))
        }) else { return nil }
        return logged.filter { backup in
            spans.contains { $0.isHeld(byCopyUpTo: backup.auditHead) } && Store.exists(at: backup.destination)
        }.map(\.destination)
    }
}
