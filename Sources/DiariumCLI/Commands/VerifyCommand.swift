import ArgumentParser
import DiariumCore
import DiariumServices

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove that nothing in the store was altered or lost.",
        discussion: prose("""
            Re-hashes every stored file, checks every version's content exists, walks the audit hash chain,
            cross-checks the log against the versions it records, and runs SQLite's integrity checks. The check is
            logged as store.verify (what was checked and found), except with --read-only.
            Exits 0 when all is well, 1 naming each problem otherwise. Files no catalog row names (left by an
            interrupted or refused registration) are reported as notes, not problems; --remove-orphans removes
            them once verify finds nothing wrong. --read-only checks a store this user may not write to (a copy on
            read-only media, an auditor's account). The full-text index is derived from the documents (`diarium
            index rebuild` remakes it), and checking it holds the write lock throughout: only --check-index does.
            Checks left out are listed as skipped.

            Example: diarium verify --json
                     diarium verify --remove-orphans
                     diarium verify --read-only --store /mnt/backup/diarium
                     diarium verify --check-index
            """))

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption
    @Flag(name: .customLong("remove-orphans"), help: ArgumentHelp(
        "Then remove the unreferenced files found, unless verify found a problem (logged as store.prune).",
        discussion: prose("Safe while the server runs: a registration in flight keeps its own copy of its file until it commits.")))
    var removeOrphans = false
    @Flag(name: .customLong("read-only"), help: "Open the store read-only: write nothing.")
    var readOnly = false
    @Flag(name: .customLong("check-index"), help: ArgumentHelp(
        "Also check the full-text index against the documents.",
        discussion: prose("Holds the write lock for the whole check, about a minute per million documents: registrations wait meanwhile.")))
    var checkIndex = false

    func validate() throws {
        if readOnly && removeOrphans {
            throw ValidationError("--remove-orphans removes files, so it cannot run with --read-only")
        }
        if readOnly && checkIndex {
            throw ValidationError("--check-index runs an FTS5 command that needs write access, so it cannot run with --read-only")
        }
    }

    func run() throws {
        let progress = Output.Progress()
        let service = try store.open(readOnly: readOnly)
        let report = try service.verify(checkingSearchIndex: checkIndex) { phase, done, total in
            progress.update("checking \(phase)", done, total)
        }
        progress.finish()
        // Logged unless nothing may be written (then the report is the only record of the check).
        if !service.store.catalog.isReadOnly {
            do {
                try service.recordVerification(report, actor: actor.name)
            } catch {
                Output.note("note: the check could not be logged: \(error.message)")
            }
        }
        var removed: OrphanRemoval?
        if removeOrphans && report.ok {
            removed = try service.removeOrphanBlobs(found: report, actor: actor.name)
        }
        if output.json {
            try Output.json(VerifyOutput(report: report, removedOrphans: removed))
        } else {
            for problem in report.problems { Output.line("PROBLEM \(problem.code): \(problem.message)") }
            if !report.orphanBlobs.isEmpty {
                Output.line("note: \(report.orphanBlobs.count) stored file(s) not referenced by any version (left by an interrupted registration or disposal)")
            }
            if let removed {
                Output.line("removed \(removed.files) unreferenced file(s), \(removed.bytes) bytes")
            } else if removeOrphans && !report.ok {
                Output.line("note: unreferenced files are kept until the problems are resolved")
            }
            Output.line("checked \(report.blobsChecked) files (\(report.bytesChecked) bytes) and \(report.auditEventsChecked) audit events")
            if let head = report.auditHead { Output.line("audit head \(head)") }
            for check in report.skipped { Output.line("skipped \(check)") }
            Output.line(report.ok ? "OK" : "FAILED: \(report.problems.count) problem(s)")
        }
        if !report.ok { throw VerifyFailed(code: ExitCodes.verifyFailed) }
    }
}

/// The report as the API gives it, with what `--remove-orphans` did beside it.
private struct VerifyOutput: Encodable {
    let report: VerifyReport
    let removedOrphans: OrphanRemoval?

    private enum Keys: String, CodingKey { case removedOrphans }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(removedOrphans, forKey: .removedOrphans)
    }
}
