import ArgumentParser
import DiariumCore
import DiariumServices

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the whole store into a new directory while it stays in use.",
        discussion: """
            The catalog is copied as one consistent snapshot (registrations go on meanwhile), then every content file
            it names, each re-hashed as it is copied: a damaged file fails the backup, naming it. The copy is made
            durable and appears under DEST only when complete. It is a store of its own: check it with
            `diarium verify --store DEST`, restore by serving it (`--store DEST`) or moving it into place. The copy
            holds every restricted document, so it is made without access for other local accounts, and the store's
            audit log records who made it (store.backup) and up to which event the copy goes.

            Example: diarium backup /mnt/backup/diarium-2026-12-05
            """)

    @Argument(help: "The directory to create (must not exist).") var destination: String
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let result = try store.open().backup(to: destination, actor: actor.name)
        if output.json { return try Output.json(result) }
        for leftover in result.removedLeftovers { Output.note("removed \(leftover), left by a backup that was stopped") }
        Output.line("Backed up to \(result.destination): \(result.contentFiles) content files (\(result.contentBytes) bytes), "
                    + "the audit log up to event \(result.auditHead)"
                    + (result.outboxFiles > 0 ? ", \(result.outboxFiles) outbox files" : ""))
    }
}
