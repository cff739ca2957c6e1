import ArgumentParser
import DiariumCore
import DiariumServices

/// `diarium formats`: which file formats the store holds, for preservation planning before an export.
struct FormatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "formats",
        abstract: "The file formats (PRONOM) of the store's content, per series; identify content stored before.",
        discussion: prose("""
            Each content's format is identified from its bytes when it is registered (PRONOM's signatures, as DROID
            and fido read them; the same as an export's PREMIS records). `formats` counts the current content of each
            series' documents by format, those disposed of left out: what would need converting or a closer look
            before it goes to the e-archive. Content no signature matched is listed by its declared media type
            (`unidentified`); content stored before formats were identified, or identified with signatures since
            revised, is `pending` until `diarium formats identify` reads it.

            Examples:
              diarium formats
              diarium formats --series KS --json
              diarium formats documents --state unidentified --series KS
              diarium formats identify
            """),
        subcommands: [Report.self, Documents.self, Identify.self], defaultSubcommand: Report.self)

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count the current content of each series by format.",
            discussion: prose("Example: diarium formats --series KS"))

        @Option(help: "Only this series.") var series: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let tallies = try store.open().formatReport(series: try series.map { try seriesCode($0) })
            if output.json { return try Output.json(tallies) }
            for tally in tallies {
                let what = switch tally.state {
                case .identified: tally.format.map { "\($0.puid)\t\($0.nameWithVersion)" } ?? ""
                case .unidentified, .pending: "\(tally.state.rawValue)\t\(tally.mediaType ?? "")"
                }
                Output.line("\(tally.series)\t\(what)\t\(tally.documents) document(s)\t\(tally.bytes) bytes")
            }
            let pending = tallies.filter { $0.state == .pending }.reduce(0) { $0 + $1.documents }
            if pending > 0 { Output.note("\(pending) document(s) whose format is not known yet: run `diarium formats identify`") }
            if tallies.isEmpty { Output.note("no content" + (series.map { " in \($0)" } ?? "")) }
        }
    }

    struct Documents: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the documents whose current content's format is not known, by number.",
            discussion: prose("""
                The documents behind the report's unidentified or pending lines: number, declared media type, size and
                original file name, in number order. Page on with --after (the last number listed).

                Example: diarium formats documents --state unidentified --series KS --limit 100
                """))

        @Option(help: "unidentified (no signature matched) or pending (not looked at yet).") var state: String = "unidentified"
        @Option(help: "Only this series.") var series: String?
        @Option(help: "After this document number (the last of the previous page).") var after: String?
        @Option(help: "At most this many documents (1–1000).") var limit = 100
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            guard let state = FormatTally.State(rawValue: state), state != .identified else {
                throw DiariumError.invalid("state", "unknown state '\(state)': use unidentified or pending")
            }
            let documents = try store.open().formatlessDocuments(
                state: state, series: try series.map { try seriesCode($0) },
                after: try after.map { try DocumentNumber(parsing: typedNumber($0), field: "after") }, limit: limit)
            if output.json { return try Output.json(documents) }
            for document in documents {
                Output.line("\(document.number)\t\(document.mediaType)\t\(document.size) bytes\t\(document.originalName)")
            }
            if documents.count == limit, let last = documents.last { Output.note("more: --after \"\(last.number)\"") }
            if documents.isEmpty { Output.note("no document's current content is \(state.rawValue)" + (series.map { " in \($0)" } ?? "")) }
        }
    }

    struct Identify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Identify the format of content stored before formats were identified (or with older signatures).",
            discussion: prose("""
                Reads each such file once, 200 at a time; registrations go on meanwhile. A file that is missing or
                unreadable is left as it was, counted, and looked at again next time (`diarium verify` tells why).
                Running it again does nothing until the signatures change.

                Example: diarium formats identify
                """))

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let progress = Output.Progress()
            let report = try store.open().identifyFormats { done, total in progress.update("identifying", done, total) }
            progress.finish()
            if output.json { return try Output.json(report) }
            Output.line("identified \(report.identified), unidentified \(report.unidentified)"
                        + (report.unreadable > 0 ? ", unreadable \(report.unreadable) (run `diarium verify`)" : ""))
        }
    }
}
