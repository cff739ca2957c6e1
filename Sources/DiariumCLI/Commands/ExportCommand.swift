#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Dispatch
import DiariumCore
import DiariumExchange
import DiariumPackage
import DiariumServices

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a series, a year, a case or a search result as an information package for the e-archive.",
        discussion: prose("""
            The package is an E-ARK SIP 2.1 (FGS Paketstruktur 2.0) with the records described in FGS
            Ärendehantering 2.0 (ERMS), PREMIS preservation metadata and a Swedish index under documentation/.
            Restricted documents are included with their restriction and legal reference. --versions all (the
            default) keeps every version, so `diarium import` into another store loses nothing; final keeps
            each document's current version only. The file is written under a temp name and renamed when
            complete: a failed export leaves nothing at --out.

            Each content file's PRONOM format (e.g. fmt/354, PDF/A-1b) is told from its bytes as it is copied
            and recorded in PREMIS; the export ends with the count per format and the versions whose format
            could not be told (see README, "File formats").

            Formats: eark-tar (tar), eark-zip (zip; text-like content deflated, the rest stored),
            bagit (a BagIt bag as tar, whose data/ is the E-ARK package).

            Example: diarium export --series KS --year 2025 --format eark-tar --out ks-2025.tar
            """))

    @Option(help: ArgumentHelp("Export every case of this series.", valueName: "code"))
    var series: String?

    @Option(help: ArgumentHelp("With --series: only cases registered this year.", valueName: "year"))
    var year: Int?

    @Option(name: .customLong("case"), help: ArgumentHelp("Export this case, e.g. \"KS 2025/14\".", valueName: "number"))
    var caseNumber: String?

    @Option(help: ArgumentHelp("Export the documents this search finds (see `diarium search --help`).", valueName: "query"))
    var query: String?

    @Option(help: ArgumentHelp("eark-tar, eark-zip or bagit.", valueName: "format"))
    var format: String

    @Option(help: ArgumentHelp("The package file to write.", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("all (every version, the default) or final (current versions only).", valueName: "which"))
    var versions: String = "all"

    @Option(help: ArgumentHelp("The archival creator (arkivbildare) the package names, if not the store's organisation "
                               + "(see `diarium organisation`).", valueName: "name"))
    var organisation: String?

    @Option(name: .customLong("organisation-code"),
            help: ArgumentHelp("With --organisation: its organisationsnummer (NNNNNN-NNNN) or SCHEME:code.", valueName: "code"))
    var organisationCode: String?

    @Option(help: ArgumentHelp("The organisation submitting the package, if not the archival creator.", valueName: "name"))
    var submitter: String?

    @Option(name: .customLong("submitter-code"), help: ArgumentHelp("With --submitter: its code.", valueName: "code"))
    var submitterCode: String?

    @Option(help: ArgumentHelp("The archive that receives and preserves the package.", valueName: "name"))
    var archive: String?

    @Option(name: .customLong("archive-code"), help: ArgumentHelp("With --archive: its code.", valueName: "code"))
    var archiveCode: String?

    @Option(name: .customLong("submission-agreement"),
            help: ArgumentHelp("The submission agreement (leveransöverenskommelse) the package is delivered under.", valueName: "reference"))
    var submissionAgreement: String?

    @Option(name: .customLong("reference-code"),
            help: ArgumentHelp("Where the package goes in the archive's reference code structure.", valueName: "code"))
    var referenceCode: String?

    @Flag(name: .customLong("verify-content"), help: "Re-hash every content file while exporting; fail on damage.")
    var verifyContent = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let chosen = [series != nil, caseNumber != nil, query != nil].filter { $0 }.count
        guard chosen == 1 else {
            throw DiariumError.invalid("selection", "give exactly one of --series, --case and --query")
        }
        if year != nil && series == nil { throw DiariumError.invalid("year", "--year needs --series") }
        let selection: ExportRequest.Selection
        if let series {
            selection = .series(try seriesCode(series), year: year)
        } else if let caseNumber {
            selection = .case(try CaseNumber(parsing: typedNumber(caseNumber)))
        } else {
            selection = .query(query!)
        }
        let format: PackageFormat = try parseChoice(format, field: "format")
        // A name that says the other kind of archive (ks.zip holding a tar) is a mistake someone finds out in the e-archive.
        let named = out.lowercased()
        for (suffix, kind) in [(".zip", "zip"), (".tar", "tar"), (".tar.gz", "gzip"), (".tgz", "gzip")]
            where named.hasSuffix(suffix) && kind != format.fileExtension {
            throw DiariumError.invalid("out", "\(format.rawValue) is written as a \(format.fileExtension), not a \(kind): "
                                       + "name it …\(format.fileExtension == "zip" ? ".zip" : ".tar")")
        }
        var request = ExportRequest(selection: selection, format: format,
                                    versions: try parseChoice(versions, field: "versions"), output: out, verifyContent: verifyContent)
        request.organisation = try Self.organisation(organisation, code: organisationCode, field: "organisation")
        request.submitter = try Self.organisation(submitter, code: submitterCode, field: "submitter")
        request.archive = try Self.organisation(archive, code: archiveCode, field: "archive")
        request.submissionAgreement = submissionAgreement
        request.referenceCode = referenceCode
        // Ctrl-C or a TERM mid-export: remove the half-written temp file before exiting (deinit never runs then).
        // Handled on another thread, since this one is busy exporting.
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                ArchiveWriter.removeUnfinishedFiles()
                Glibc.exit(128 + number)
            }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        let progress = Output.Progress()
        let service = try store.open()
        try service.refuseOutputInStore(out, field: "out")
        let report = try service.exportPackage(request, actor: actor.name) { state in
            progress.update(state.phase, state.done, state.total)
        }
        progress.finish()
        if output.json {
            try Output.json(report)
        } else {
            Output.line("wrote \(report.output) (\(report.format.rawValue), \(report.archiveBytes) bytes): package \(report.packageID)")
            Output.line("\(report.cases) case(s), \(report.documents) document(s) (\(report.restrictedDocuments) restricted), "
                + "\(report.exportedVersions) version(s), \(report.files) file(s)")
            // What an archivist checks first: how much is in an archival format, and what could not be told.
            var formats = report.formats.map { count in
                "\(count.files) \(count.format.puid) (\(count.format.name)\(count.format.version.map { " " + $0 } ?? ""))"
            }
            if report.unidentifiedFiles > 0 { formats.append("\(report.unidentifiedFiles) not identified") }
            if !formats.isEmpty { Output.line("content formats (PRONOM): " + formats.joined(separator: ", ")) }
            if !report.unidentified.isEmpty {
                let more = report.unidentifiedFiles - report.unidentified.count
                Output.line("not identified: " + report.unidentified.joined(separator: ", ") + (more > 0 ? " and \(more) more" : ""))
            }
        }
        if report.archivalCreator == nil {
            Output.note("note: the package names no archival creator (arkivbildare); name the store's organisation once with "
                        + "`diarium organisation set NAME --code NNNNNN-NNNN`, or give --organisation")
        }
        // Another Diarium reads the package within its import limits: say so before someone finds out there.
        let defaults = ArchiveLimits()
        if let needed = PackageReader.limitsNeeded(files: report.files, cases: report.cases, versions: report.exportedVersions,
                                                   bytes: report.archiveBytes, limits: defaults) {
            let options = (needed.maxEntries > defaults.maxEntries ? ["--max-files \(needed.maxEntries)"] : [])
                + (needed.maxTotalBytes > defaults.maxTotalBytes ? ["--max-bytes \(needed.maxTotalBytes)"] : [])
            Output.note("note: `diarium import` refuses this package with its default limits (\(defaults.maxEntries) files and folders, "
                        + "\(defaults.maxTotalBytes) bytes) unless given \(options.joined(separator: " ")); or export a year at a time (--year)")
        }
    }

    /// `--NAME` and `--NAME-code` as one organisation; a code without its name is refused.
    static func organisation(_ name: String?, code: String?, field: String) throws -> Organisation? {
        guard let name else {
            if code != nil { throw DiariumError.invalid("\(field).code", "--\(field)-code goes with --\(field)") }
            return nil
        }
        return try Organisation(name: name, code: code, field: field)
    }
}
