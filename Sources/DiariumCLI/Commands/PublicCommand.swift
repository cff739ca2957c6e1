import ArgumentParser
import DiariumCore
import DiariumServices

/// `diarium public …`: the public diarium as a citizen sees it (`/public/v1`, the `/diarium` pages), so that a
/// registrar can check what a restriction leaves out before anyone asks.
struct PublicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "public",
        abstract: "Show the public diarium: what anyone may see without an account.",
        discussion: prose("""
            The same views as the HTTP API's /public/v1 and the /diarium pages: a restricted part is left out and
            its ground and legal reference are shown in its place. Use it to check what the public sees of a
            document or a case.

            Example:
              diarium public list --series KS --from 2026-03-01
              diarium public show "KS 2026/14-3"
              diarium public case "KS 2026/14"
            """),
        subcommands: [List.self, Show.self, Case.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List registered documents, newest registration first, as the public sees them.",
            discussion: prose("Example: diarium public list --series KS --from 2026-01-01 --to 2026-06-30 --limit 100"))

        @Option(help: "Only this series.") var series: String?
        @Option(help: "Registered on or after this day (YYYY-MM-DD, Swedish time).") var from: String?
        @Option(help: "Registered on or before this day (YYYY-MM-DD, Swedish time).") var to: String?
        @Option(help: "At most this many documents (1–\(RecordsService.publicPageSizes.upperBound)).") var limit = 50
        @Option(help: "Continue after the previous page (its next cursor).") var after: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let page = try store.open().publicDiarium(
                series: try series.map { try seriesCode($0, field: "series") },
                from: try from.map { try CalendarDate(parsing: $0, field: "from") },
                to: try to.map { try CalendarDate(parsing: $0, field: "to") }, limit: limit, after: after)
            if output.json { return try Output.json(page) }
            page.documents.forEach(PublicCommand.line)
            if page.documents.isEmpty {
                Output.note(series == nil && from == nil && to == nil && after == nil ? "no documents registered yet" : "no registered document there")
            }
            if let next = page.nextCursor { Output.note("more: --after \(next)") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one document's entry as the public sees it.",
            discussion: prose("Example: diarium public show \"KS 2026/14-3\" --json"))

        @Argument(help: "The document number.") var number: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let entry = try store.open().publicEntry(try DocumentNumber(parsing: typedNumber(number)))
            if output.json { return try Output.json(entry) }
            let hides = Set(entry.restriction?.hides ?? [])
            Output.fields([
                ("Document", entry.number.description),
                ("Title", entry.title ?? (hides.contains(.title) ? "(hidden)" : nil)),
                ("Registered", Timestamp.swedishDate(of: entry.registeredAt).description), ("Date", entry.documentDate?.description),
                ("Type", "\(entry.recordType.rawValue) (\(entry.recordType.swedishName))"), ("Direction", entry.direction.rawValue),
                ("Status", entry.status.rawValue),
                ("Sender", hides.contains(.parties) ? "(hidden)" : entry.sender),
                ("Recipient", hides.contains(.parties) ? "(hidden)" : entry.recipient),
                ("Class", entry.classification), ("Restriction", entry.restriction.map(PublicCommand.ground)),
                ("Content", entry.content.map { content in
                    content.available ? "public: \(content.mediaType ?? "?"), \(content.size ?? 0) bytes"
                        : "not public (\(content.withheld?.rawValue ?? "withheld"))"
                } ?? "none (not electronic)"),
            ])
        }
    }

    struct Case: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a case and its documents, first filed first, as the public sees them.",
            discussion: prose("Example: diarium public case \"KS 2026/14\" --limit 100"))

        @Argument(help: "The case number, e.g. \"KS 2026/14\".") var number: String
        @Option(help: "At most this many documents (1–\(RecordsService.publicPageSizes.upperBound)).") var limit = 50
        @Option(help: "Continue after the previous page (its next cursor).") var after: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let page = try store.open().publicCase(try CaseNumber(parsing: typedNumber(number)), limit: limit, after: after)
            if output.json { return try Output.json(page) }
            let c = page.case
            Output.fields([
                ("Case", c.number.description),
                ("Title", c.title ?? (c.redacted.contains(.title) ? "(hidden)" : nil)),
                ("Restriction", c.restriction.map(PublicCommand.ground)
                    ?? (c.redacted.contains(.title) ? "title hidden, no ground recorded (case opened before grounds were kept)" : nil)),
                ("Status", c.status.rawValue), ("Class", c.classification), ("Department", c.department), ("Officer", c.officer),
                ("Opened", Timestamp.swedishDate(of: c.openedAt).description),
                ("Closed", c.closedAt.map { Timestamp.swedishDate(of: $0).description }), ("Documents", String(c.documentCount)),
            ])
            page.documents.forEach(PublicCommand.line)
            if let next = page.nextCursor { Output.note("more: --after \(next)") }
        }
    }

    /// One entry on a line: number, registration day, type, direction, title, the sender or recipient (as the pages'
    /// column shows it: the sender of what came in, else the recipient), and the restriction's ground.
    static func line(_ entry: PublicEntry) {
        let hidesTitle = entry.restriction?.hides.contains(.title) == true
        let title = entry.title ?? (hidesTitle ? "(title hidden)" : "")
        let party = entry.restriction?.hides.contains(.parties) == true ? "(parties hidden)"
            : (entry.direction == .incoming ? entry.sender ?? entry.recipient : entry.recipient ?? entry.sender) ?? ""
        let ground = entry.restriction.map { "\t[\($0.kind.rawValue), \($0.legalReference)]" } ?? ""
        Output.line("\(entry.number)\t\(Timestamp.swedishDate(of: entry.registeredAt))\t\(entry.recordType.rawValue)\t"
                    + "\(entry.direction.rawValue)\t\(title)\t\(party)\(ground)")
    }

    static func ground(_ restriction: PublicEntry.Restriction) -> String {
        Output.restriction(restriction.kind, restriction.legalReference, hides: restriction.hides, until: restriction.until)
    }
}
