import DiariumCore
import DiariumStorage

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
