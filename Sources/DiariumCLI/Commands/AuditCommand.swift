import ArgumentParser
import DiariumCore
import DiariumServices

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List audit events, oldest first.",
        discussion: prose("""
            With an object, only the events about it (a case number includes its documents). Objects are case and
            document numbers, series codes, `user:NAME` (accounts and tokens), class codes (`2.4`),
            `SERIES/TYPE` and `CLASS/TYPE` (a record type's retention rule; a series' or class's default rule is under
            its code), package ids (imports and exports), `store`, and for exchange `party:ID` and
            `interchange:in:SENDER/REF` or `interchange:out:SENDER/REF`.

            Examples:
              diarium audit
              diarium audit "KS 2026/14" --json
              diarium audit user:anna
              diarium audit --after 1200 --limit 100
            """))

    @Argument(help: "An object: a case or document number, a series code, user:NAME, … (see above).") var number: String?
    @Option(help: "Only events after this sequence number.") var after: Int64 = 0
    @Option(help: "At most this many events.") var limit = 1000
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        // A number typed with its series in lower case, as everywhere on the command line (`typedNumber`).
        let service = try store.open()
        let number = try number.map { try Self.corrected($0, service) }
        let events = try service.audit(object: number, after: after, limit: checkedLimit(limit))
        if let number, events.isEmpty, after == 0 {
            // A case or document that is not in the store is not found (exit 3), not an empty log.
            if let caseNumber = try? CaseNumber(parsing: number) {
                _ = try service.caseStatus(caseNumber)
            } else if let document = try? DocumentNumber(parsing: number) {
                _ = try service.document(document)
            }
            // Any object the log names may be asked for (users, retention rules, packages, …); a typo lists nothing,
            // so say what the log's objects look like.
            Output.note("no events about '\(number)'; objects are case and document numbers (\"KS 2026/14\", \"KS 2026/14-3\"), "
                        + "series codes, class codes (2.4), user:NAME, party:ID, interchange:in|out:SENDER/REF, SERIES/TYPE and CLASS/TYPE (retention rules), "
                        + "package ids and store")
        }
        if output.json { return try Output.json(events) }
        for e in events {
            let version = e.version.map { " v\($0)" } ?? ""
            Output.line("\(e.sequence)\t\(Output.time(e.at))\t\(e.actor)\t\(e.action.rawValue)\t\(e.object)\(version)\t\(e.details)")
        }
    }

    /// A number or series code as the log names it: series are upper case (`ks` → `KS`, `ks/letter` → `KS/letter`,
    /// `ks 2026/1` → `KS 2026/1`), as everywhere on the command line; a code is corrected only when the store has that
    /// series, so lower-case objects (`store`, `user:…`, package ids) stay as typed.
    static func corrected(_ text: String, _ service: RecordsService) throws -> String {
        if let number = SeriesCode.correctedNumber(text) { return number }
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let head = parts.first, head.uppercased() != head, let code = SeriesCode(rawValue: head.uppercased()),
              (try? service.series(code)) != nil else { return text }
        return ([code.rawValue] + parts.dropFirst().map(String.init)).joined(separator: "/")
    }
}
