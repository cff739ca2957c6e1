import DiariumCore
import DiariumStorage

extension RecordsService {
    /// Copies the whole store to `destination` (a path that must not exist) while it stays in use, then logs who
    /// made the copy: it holds every restricted document. See `Store.backup(to:)`. A store this process may only read
    /// is copied without the log entry (there is nowhere to write it).
    public func backup(to destination: String, actor: String) throws(DiariumError) -> BackupResult {
        let actor = try checkedActor(actor)
        let result = try store.backup(to: destination)
        guard !store.catalog.isReadOnly else { return result }
        var details = AuditDetails()
        details["files"] = .int(Int64(result.contentFiles))
        details["bytes"] = .int(result.contentBytes)
        details["auditHead"] = .int(result.auditHead)
        try store.catalog.write { access in
            try access.appendAudit(at: clock.now(), actor: actor, action: .storeBackup, object: "store", version: nil, details: details.json)
        }
        return result
    }
}
