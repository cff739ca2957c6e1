import ArgumentParser
import DiariumCore
import DiariumPackage
import DiariumServices

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an information package (directory, tar or zip) made by `diarium export` or another E-ARK tool.",
        discussion: prose("""
            Checks the package's structure, METS, every file's size and SHA-256 and its ERMS, then imports every
            case, document and version (with original times, authors and restrictions) in one transaction, with
            an audit event for each; any problem imports nothing and lists where it is (file:line <element>).
            Case numbers are kept unless --into-series gives the cases new numbers there (the original numbers
            are kept as external references). A package from another tool (without Diarium's ERMS) needs
            --into-case: its files become documents of that case, its Dublin Core title/date/creator are mapped,
            and every metadata file is attached as an original.

            Example: diarium import ks-2025.tar --dry-run
            """))

    @Argument(help: ArgumentHelp("The package: a directory, or a .tar/.zip holding one.", valueName: "package"))
    var package: String

    @Flag(name: .customLong("dry-run"), help: "Check and report, import nothing.")
    var dryRun = false

    @Option(name: .customLong("into-series"), help: ArgumentHelp("Give the cases new numbers in this series.", valueName: "code"))
    var intoSeries: String?

    @Option(name: .customLong("into-case"), help: ArgumentHelp("For packages from other tools: the case their files go into.", valueName: "number"))
    var intoCase: String?

    @Option(name: .customLong("max-files"), help: ArgumentHelp("Refuse archives with more entries than this.", valueName: "n"))
    var maxFiles: Int = ArchiveLimits().maxEntries

    @Option(name: .customLong("max-bytes"), help: ArgumentHelp("Refuse archives larger than this when decompressed.", valueName: "bytes"))
    var maxBytes: Int64 = ArchiveLimits().maxTotalBytes

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption

    func validate() throws {
        // --into-case imports a package's files as documents of that case: a series to renumber into has no part in it.
        if intoSeries != nil && intoCase != nil { throw ValidationError("give --into-series or --into-case, not both") }
        guard maxFiles >= 1 else { throw ValidationError("--max-files must be at least 1") }
        guard maxBytes >= 1 else { throw ValidationError("--max-bytes must be at least 1") }
    }

    func run() throws {
        var options = ImportOptions(dryRun: dryRun,
                                    limits: ArchiveLimits(maxEntries: maxFiles, maxEntryBytes: maxBytes, maxTotalBytes: maxBytes))
        if let intoSeries { options.numbering = .renumber(into: try seriesCode(intoSeries, field: "into-series")) }
        if let intoCase { options.intoCase = try CaseNumber(parsing: typedNumber(intoCase), field: "into-case") }
        let progress = Output.Progress()
        let report = try store.open().importPackage(at: package, options: options, actor: actor.name) { state in
            progress.update(state.phase, state.done, state.total)
        }
        progress.finish()
        if output.json {
            try Output.json(report)
            return
        }
        for diagnostic in report.diagnostics { Output.note(diagnostic.description) }
        let verb = report.dryRun ? "would import" : "imported"
        Output.line("\(verb) package \(report.packageID): \(report.documents) document(s), \(report.versions) version(s), "
            + "\(report.files) file(s), \(report.contentBytes) bytes")
        for mapping in report.cases {
            Output.line(mapping.original == mapping.assigned ? "  case \(mapping.assigned)" : "  \(mapping.original) → \(mapping.assigned)")
        }
        // Whose records they are and who sent them, as the package says.
        for agent in report.agents where ["ARCHIVIST", "SUBMITTER", "PRESERVATION"].contains(agent.role) && agent.type != "INDIVIDUAL" {
            let label = ["ARCHIVIST": "archival creator", "SUBMITTER": "submitted by", "PRESERVATION": "for archive"][agent.role]!
            Output.line("  \(label): \(agent.description)")
        }
        for line in report.mapped { Output.line("  mapped: \(line)") }
        for line in report.classes { Output.line("  class taken over: \(line)") }
        for line in report.retention { Output.line("  retention rule taken over: \(line)") }
        for line in report.holds { Output.line("  legal hold \(report.dryRun ? "to be placed" : "placed") again: \(line)") }
        for path in report.keptAsOriginal { Output.line("  kept as attached original: \(path)") }
    }
}
