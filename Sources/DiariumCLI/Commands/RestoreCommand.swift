import ArgumentParser
import DiariumCore
import DiariumServices

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Make a new store from a backup, verified, and log the restore in it.",
        discussion: prose("""
            Copies the backup (made by `diarium backup`, which is only read) to --store, a directory that must not
            exist: the catalog, then every content file, each re-hashed as it is copied. The copy is verified (the
            audit chain, the catalog against the log) before it appears, and its log records who restored it from
            where (store.restore). It holds what the backup holds: nothing registered after the backup was made,
            and content disposed of since, whose disposal is then to be repeated.
            To replace a broken store, move it aside first (mv Storage Storage.broken); nothing is restored over a
            store.

            Example: diarium restore /mnt/backup/diarium-2026-12-05 --store /srv/diarium
            """))

    @Argument(help: "The backup's directory.") var backup: String
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let interruption = Interruption { finish in
            RecordsService.removeUnfinishedCopies { removed in
                finish(removed ? "nothing was restored, and the unfinished copy was removed"
                               : "the restored copy was complete and being logged: see whether the store is there")
            }
        }
        defer { withExtendedLifetime(interruption) {} }
        let result = try RecordsService.restore(from: backup, to: store.path, actor: actor.name)
        if output.json { return try Output.json(result) }
        Output.line("Restored \(result.backup) to \(result.destination): \(result.contentFiles) content files (\(result.contentBytes) bytes), "
                    + "the audit log up to event \(result.backupAuditHead)"
                    + (result.backupAuditHeadAt.map { " of \(Output.time($0))" } ?? "") + ", then the restore (event \(result.auditSequence))")
        Output.note("note: what was registered or changed after the backup was made is not in the restored store, and what was "
                    + "disposed of since is back in it: repeat those disposals (`diarium dispose` lists what is due)")
    }
}
