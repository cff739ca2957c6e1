import ArgumentParser
import DiariumCore
import DiariumServices

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List audit events, oldest first.",
        discussion: """
            With an object, only the events about it (a case number includes its documents). Objects are case and
            document numbers, series codes, `user:NAME` (accounts and tokens), `SERIES/TYPE` (a record type's retention rule; a series' default
            rule is under the series code), package ids (imports and exports), `store`, and for exchange `party:ID` and
            `interchange:in:SENDER/REF` or `interchange:out:SENDER/REF`.

            Examples:
              diarium audit
              diarium audit "KS 2026/14" --json
              diarium audit user:anna
              diarium audit --after 1200 --limit 100
            """)

    @Argument(help: "An object: a case or document number, a series code, user:NAME, … (see above).") var number: String?
    @Option(help: "Only events after this sequence number.") var after: Int64 = 0
    @Option(help: "At most this many events.") var limit = 1000
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        // A number typed with its series in lower case, as everywhere on the command line (`typedNumber`).
        let number = number.map { SeriesCode.correctedNumber($0) ?? $0 }
        let events = try store.open().audit(object: number, after: after, limit: checkedLimit(limit))
        if let number, events.isEmpty, after == 0 {
            // Any object the log names may be asked for (users, retention rules, packages, …); a typo lists nothing,
            // so say what the log's objects look like.
            Output.note("no events about '\(number)'; objects are case and document numbers (\"KS 2026/14\", \"KS 2026/14-3\"), "
                        + "series codes, user:NAME, party:ID, interchange:in|out:SENDER/REF, SERIES/TYPE (retention rules), "
                        + "package ids and store")
        }
        if output.json { return try Output.json(events) }
        for e in events {
            let version = e.version.map { " v\($0)" } ?? ""
            Output.line("\(e.sequence)\t\(Output.time(e.at))\t\(e.actor)\t\(e.action.rawValue)\t\(e.object)\(version)\t\(e.details)")
        }
    }
}
