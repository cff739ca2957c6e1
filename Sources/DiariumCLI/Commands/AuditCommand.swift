import ArgumentParser
import DiariumCore
import DiariumServices

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List audit events, oldest first.",
        discussion: """
            With a number, only the events about that object (a case number includes its documents); exchange events
            are about `party:ID` and `interchange:in:SENDER/REF` or `interchange:out:SENDER/REF`.

            Examples:
              diarium audit
              diarium audit "KS 2026/14" --json
              diarium audit --after 1200 --limit 100
            """)

    @Argument(help: "A case or document number, or a series code.") var number: String?
    @Option(help: "Only events after this sequence number.") var after: Int64 = 0
    @Option(help: "At most this many events.") var limit = 1000
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        if let number {
            // Reject typos early instead of listing nothing.
            if (try? DocumentNumber(parsing: number)) == nil, (try? CaseNumber(parsing: number)) == nil,
               SeriesCode(rawValue: number) == nil, number != "store",
               !number.hasPrefix("party:"), !number.hasPrefix("interchange:") {
                throw DiariumError(.invalidNumber, "invalid number '\(number)': expected a case number (\"KS 2026/14\"), a document number (\"KS 2026/14-3\") or a series code", field: "number")
            }
        }
        let events = try store.open().audit(object: number, after: after, limit: max(1, limit))
        if output.json { return try Output.json(events) }
        for e in events {
            let version = e.version.map { " v\($0)" } ?? ""
            Output.line("\(e.sequence)\t\(Output.time(e.at))\t\(e.actor)\t\(e.action.rawValue)\t\(e.object)\(version)\t\(e.details)")
        }
    }
}
