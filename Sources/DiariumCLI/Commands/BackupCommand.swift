import ArgumentParser
import DiariumCore
import DiariumServices

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the whole store into a new directory while it stays in use.",
        discussion: prose("""
            The catalog is copied as one consistent snapshot (registrations go on meanwhile), then every content file
            it names, each re-hashed as it is copied: a damaged file fails the backup, naming it. The copy is made
            durable and appears under DEST only when complete. It is a store of its own: check it with
            `diarium verify --store DEST`, and restore it with `diarium restore DEST --store NEW` (re-hashed, verified and
            logged as store.restore; stop the server before putting NEW in the broken store's place). The copy
            holds every restricted document, so it is made without access for other local accounts, and the store's
            audit log records who made it (store.backup) and up to which event the copy goes.

            Example: diarium backup /mnt/backup/diarium-2026-12-05
            """))

    @Argument(help: "The directory to create (must not exist).") var destination: String
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        // The unfinished copy holds restricted content: it goes with the process, not left for the next backup.
        let interruption = Interruption { finish in
            RecordsService.removeUnfinishedCopies { removed in
                finish(removed ? "no backup was made, and the unfinished copy was removed"
                               : "the backup was complete and being logged: see `diarium backups` for whether it was")
            }
        }
        defer { withExtendedLifetime(interruption) {} }
        let result = try store.open().backup(to: destination, actor: actor.name)
        if output.json { return try Output.json(result) }
        for leftover in result.removedLeftovers { Output.note("removed \(leftover), left by a backup that was stopped") }
        Output.line("Backed up to \(result.destination): \(result.contentFiles) content files (\(result.contentBytes) bytes), "
                    + "the audit log up to event \(result.auditHead)"
                    + (result.outboxFiles > 0 ? ", \(result.outboxFiles) outbox files" : ""))
    }
}

struct BackupsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backups",
        abstract: "List the backups the log records: when, by whom, where, and what they hold that was disposed of since.",
        discussion: prose("""
            A backup made before a disposal still holds the disposed documents' content, and the disposal decision
            (gallringsbeslut) covers copies too. Each line: the time, who made it, the destination, whether it is
            still there (on this machine), and how many of its documents were disposed of after it was made (also for
            a copy moved elsewhere, which holds them just the same).

            Example: diarium backups
            """))

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let backups = try store.open().backups()
        if output.json { return try Output.json(backups) }
        for item in backups {
            let held = item.disposedSince == 0 ? "holds nothing disposed of since"
                : item.present ? "holds \(item.disposedSince) document(s) disposed of since: remove or rotate it out"
                : "holds \(item.disposedSince) document(s) disposed of since: wherever it was moved, remove or rotate it out"
            Output.line([Output.time(item.at), item.by, item.destination, item.present ? "present" : "gone", held].joined(separator: "\t"))
        }
        if backups.isEmpty { Output.note("the log records no backup") }
    }
}
