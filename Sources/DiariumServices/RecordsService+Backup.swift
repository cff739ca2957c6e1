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

/// A backup the log records: where it went, and whether it still holds content disposed of since.
public struct BackupEntry: Codable, Sendable, Equatable {
    public let at: Date
    public let by: String
    public let destination: String
    /// The newest audit event in the copy.
    public let auditHead: Int64
    /// Whether something is still at `destination` (on this machine).
    public let present: Bool
    /// Documents in the copy disposed of after it was made: their content is still in the copy, which is then to be
    /// removed or rotated out, as the disposal decision covers copies too.
    public let disposedSince: Int
}

extension RecordsService {
    /// Every backup the log records, oldest first, with whether it is still where it was written and how many of its
    /// documents were disposed of since.
    public func backups() throws(DiariumError) -> [BackupEntry] {
        let logged = try store.catalog.read { try $0.loggedBackups() }
        return logged.map { item in
            BackupEntry(at: item.at, by: item.by, destination: item.destination, auditHead: item.auditHead,
                        present: FileManager.default.fileExists(atPath: item.destination), disposedSince: item.disposedSince)
        }
    }

    /// The backups logged up to event `mark` and still present that hold one of `disposed`: made after its
    /// registration. Best effort, as the run it reports on is committed.
    func backups(holding disposed: [DocumentNumber], before mark: Int64) -> [String] {
        guard let found = try? store.catalog.read({ access in
            (try access.loggedBackups(countingDisposals: false), try access.firstEvent(ofAny: disposed.map(\.description)))
        }), let registered = found.1 else { return [] }
        return found.0.filter { $0.auditHead <= mark && $0.auditHead >= registered && FileManager.default.fileExists(atPath: $0.destination) }
            .map(\.destination)
    }
}
