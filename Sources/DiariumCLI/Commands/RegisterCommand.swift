import ArgumentParser
import DiariumCore
import DiariumServices

struct RegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register documents into a case; prints each new number.",
        discussion: prose("""
            Every file becomes one document with the metadata given; without a file, one document kept on paper (it needs
            --title). Numbers are printed (one per line) only
            once the batch holding them is committed, so a printed number is always complete and readable.
            Many files are committed in batches of --batch-size.

            A restriction needs its legal ground: --restrict secrecy --legal "OSL 26 kap. 1 §".

            Examples:
              diarium register plan.pdf --case "KS 2026/14" --type actionPlan --title "Handlingsplan 2026"
              diarium register brev.pdf --case "KS 2026/14" --type letter --direction incoming \\
                  --sender "Anna Andersson" --date 2026-03-01 --restrict privacy --legal "OSL 26 kap. 1 §" --hide parties
              diarium register scans/*.pdf --case "KS 2026/14" --type other
              diarium register --case "KS 2026/14" --type letter --direction incoming --title "Brev från Anna Andersson"
            """))

    @Argument(help: "The files to register (none: one document kept on paper, with --title).") var files: [String] = []
    @Option(name: .customLong("case"), help: "The case to register into, e.g. \"KS 2026/14\".") var caseNumber: String
    @Option(help: "Record type: actionPlan, decision, serviceRecord, letter, minutes, report, other.") var type: String
    @Option(help: "Title (default: the file name without extension).") var title: String?
    @Option(name: .customLong("public-title"), help: "A title to show the public while the restriction hides the title (needs --hide title).") var publicTitle: String?
    @Option(help: "incoming, outgoing or internal.") var direction = "internal"
    @Option(help: "The document's own date, YYYY-MM-DD.") var date: String?
    @Option(help: "Sender (for incoming documents).") var sender: String?
    @Option(help: "Recipient (for outgoing documents).") var recipient: String?
    @Option(name: .customLong("class"), help: "Classification code, e.g. 2.4.") var classification: String?
    @Option(name: .customLong("media-type"), help: "Media type of the content (default: from the file name; plain text gets the charset its bytes are in).") var mediaType: String?
    @OptionGroup var restriction: RestrictionOptions
    @Option(name: .customLong("batch-size"), help: "Documents per commit.") var batchSize = 500
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption

    /// ArgumentParser's handling of positional arguments is quadratic in their number (2 s of CPU for 10,000
    /// files, measured). In the documented form `register FILE… --case …` the files come before any option,
    /// so they cannot be option values: take them off before parsing and hand them to the command directly.
    static func takeLeadingFiles(_ arguments: inout [String]) -> [String] {
        guard arguments.first == "register" else { return [] }
        let end = arguments.dropFirst().firstIndex { $0.hasPrefix("-") } ?? arguments.endIndex
        let files = Array(arguments[1..<end])
        arguments.removeSubrange(1..<end)
        return files
    }

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        let caseNumber = try CaseNumber(parsing: typedNumber(caseNumber), field: "case")
        let recordType: RecordType = try parseChoice(type, field: "type")
        let direction: Direction = try parseChoice(direction, field: "direction")
        let documentDate = try parseDate(date, field: "date")
        let restriction = try restriction.restriction()
        func metadata(_ title: String) -> DocumentMetadata {
            DocumentMetadata(title: title, publicTitle: publicTitle, recordType: recordType, direction: direction, documentDate: documentDate,
                             sender: sender, recipient: recipient, classification: classification, restriction: restriction)
        }
        let documents: [NewDocument]
        if files.isEmpty {
            // A document kept on paper (or on another medium): registered with its metadata, no content.
            guard let title else {
                throw DiariumError.invalid("title", "give the files to register, or --title for a document kept on paper")
            }
            documents = [NewDocument(file: nil, metadata: metadata(title))]
        } else {
            documents = try files.map { file in
                let name = file.split(separator: "/").last.map(String.init) ?? file
                let stem = name.lastIndex(of: ".").map { String(name[..<$0]) }.flatMap { $0.isEmpty ? nil : $0 } ?? name
                // A title made from the file's name is checked here, naming the file: in a batch of 200 scans the
                // one with a tab in its name is found by its name, not by "title".
                if title == nil {
                    do throws(DiariumError) { _ = try TextRules.line(stem, field: "title") } catch {
                        throw DiariumError.invalid("title", "\(file): the title made from the file name is refused (\(error.message)); "
                                                   + "give --title, or rename the file")
                    }
                }
                // The name is kept as the content's original name: refused the same way, naming the file, with a title too.
                do throws(DiariumError) { _ = try TextRules.fileName(name) } catch {
                    throw DiariumError.invalid("originalName", "\(file): the file's name cannot be kept as it is (\(error.message)); rename the file")
                }
                return NewDocument(file: file, metadata: metadata(title ?? stem), mediaType: mediaType)
            }
        }
        let service = try store.open()
        let progress = Output.Progress()
        var done = 0
        var withoutText = 0
        let records = try service.register(documents, in: caseNumber, actor: actor.name, batchSize: batchSize) { batch in
            done += batch.count
            if !output.json {
                for record in batch { Output.line(record.number.description) }
                Output.flush()
            }
            progress.update("registered", done, documents.count)
        } textIssue: { number, rendition in
            // Files that simply have no text (images, binaries) are summed up; failures are named one by one.
            if rendition.status == .unsupported {
                withoutText += 1
            } else {
                Output.note("note: \(number): text not fully indexed (\(rendition.status.rawValue)): \(rendition.message ?? "no text")")
            }
        }
        progress.finish()
        // The same bytes twice in one batch (a glob and a name, two copies of one scan) make two documents: said, not
        // refused, since two letters can be the same bytes, so that a clerk who did not mean it sees it at once.
        var first: [String: (DocumentNumber, String)] = [:]
        for record in records {
            guard let content = record.current.content else { continue }
            if let (number, name) = first[content.sha256] {
                Output.note("note: \(record.number) (\(content.originalName)) has the same content as \(number) (\(name))")
            } else {
                first[content.sha256] = (record.number, content.originalName)
            }
        }
        // A file's name often names the person a letter is about ("Ansökan Eva Ek.pdf"); made the title, it is public
        // while the restriction hides the parties: said, so the registrar looks before anyone else does.
        if title == nil, !files.isEmpty, let restriction, restriction.hides.contains(.parties), !restriction.hides.contains(.title) {
            Output.note("note: the title\(files.count == 1 ? " is the file's name" : "s are the files' names") and public, though the restriction "
                        + "hides the parties: check that no one is named in \(files.count == 1 ? "it" : "them"), or correct with "
                        + "`diarium update NUMBER --title …` (or --hide title with --public-title)")
        }
        if withoutText > 0 {
            Output.note("note: \(withoutText) document(s) have no extractable text and are searchable by metadata only (see `diarium show`)")
        }
        if output.json { try Output.json(records) }
    }
}
