import ArgumentParser
import DiariumCore
import DiariumServices

struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Open, show, list and close cases (ärenden).",
        subcommands: [Open.self, Show.self, List.self, Update.self, History.self, Close.self, Reopen.self])

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a case; prints its new number.",
            discussion: prose("""
                The number is the next free one in the series and the current year (Swedish time), e.g. KS 2026/14.

                The title is public unless it is restricted on a stated ground: --restrict with --legal, and usually
                --public-title, which the public sees instead (e.g. when the title names the person the case is about).

                Examples:
                  diarium case open --series KS --title "Detaljplan för Norra hamnen" --class 2.4
                  diarium case open --series SN --title "Ansökan om bistånd, Åsa Öberg" --public-title "Ansökan om bistånd" \\
                    --restrict privacy --legal "OSL 26 kap. 1 §"
                """))

        @Option(help: "The series to number the case in, e.g. KS.") var series: String
        @Option(help: "The case title.") var title: String
        @Option(name: .customLong("public-title"), help: "A title to show the public while the title is restricted (needs --restrict).") var publicTitle: String?
        @OptionGroup var restriction: CaseRestrictionOptions
        @Option(name: .customLong("class"), help: "Classification code, e.g. 2.4.") var classification: String?
        @Option(help: "Responsible department.") var department: String?
        @Option(help: "Responsible officer (handläggare).") var officer: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let request = NewCase(series: try seriesCode(series), title: title, publicTitle: publicTitle,
                                  restriction: try restriction.restriction(), classification: classification, department: department, officer: officer)
            let service = try store.open()
            let record = try service.openCase(request, actor: actor.name)
            if output.json { try Output.json(VersionedCase(record, version: try service.caseVersion(record.number))) } else { Output.line(record.number.description) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a case and its documents.",
            discussion: prose("Example: diarium case show \"KS 2026/14\""))

        @Argument(help: "The case number, e.g. \"KS 2026/14\".") var number: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        struct Shown: Encodable {
            let `case`: CaseRecord
            /// What `--if-version` takes (the text output's "Version"): raised by every correction, closing and reopening.
            let version: Int
            /// The current description's number (`case history` lists the earlier ones).
            let description: Int
            let documents: [DocumentRecord]
        }

        func run() throws {
            let service = try store.open()
            let number = try CaseNumber(parsing: typedNumber(number))
            let details = try service.caseDetails(number)
            if output.json {
                return try Output.json(Shown(case: details.record, version: try service.caseVersion(number),
                                             description: try service.caseDescription(number), documents: details.documents))
            }
            let c = details.record
            Output.fields([
                ("Case", c.number.description), ("Version", String(try service.caseVersion(number))), ("Title", c.title),
                ("Public title", c.publicTitle),
                ("Restriction", c.restriction.map { "\($0.kind.rawValue), \($0.legalReference) (hides the title)" + ($0.until.map { " until \($0)" } ?? "") }
                    ?? (c.publicTitle != nil ? "title hidden, no ground recorded (case opened before grounds were kept)" : nil)),
                ("Status", c.status.rawValue), ("Class", c.classification), ("Department", c.department),
                ("Officer", c.officer), ("Opened", Output.time(c.openedAt)), ("Closed", c.closedAt.map(Output.time)),
                ("Documents", String(c.documentCount)),
            ])
            for document in details.documents {
                let v = document.current
                let status = document.disposal == nil ? v.status.rawValue : "disposed"
                Output.line("  \(document.number)\t\(v.metadata.recordType.rawValue)\t\(status)\tv\(v.number)\t\(v.metadata.title)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List cases, newest first.",
            discussion: prose("""
                Cases by when they were opened, the newest first, a page at a time: for the next page, pass the last \
                case shown as --after.
                --title finds cases by words of their title, in any order and case, any of them a prefix (at least \
                three letters before *), as search finds documents. Every word must be in the title (a word given \
                twice counts once, AND is no word); -word, OR and NOT are refused: leaving out and alternatives are \
                for search. Give a value starting with - as --title=-….
                Example: diarium case list --series KS --status open --year 2026
                         diarium case list --series KS --after "KS 2026/120"
                         diarium case list --title "bygglov storgat*"
                """))

        @Option(help: "Only cases in this series.") var series: String?
        @Option(help: "Only open or closed cases.") var status: String?
        @Option(help: "Only cases of this year (of their number).") var year: Int?
        @Option(help: "After this case (the last of the previous page).") var after: String?
        // Unconditional: words that start with '-' are the filter's to refuse with its own message, not a missing value.
        @Option(parsing: .unconditional, help: "Only cases whose title holds these words (a word ending in * is a prefix).")
        var title: String?
        @Option(help: "At most this many cases (1–1000).") var limit = 100
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let series = try series.map { try seriesCode($0) }
            let status: CaseStatus? = try status.map { try parseChoice($0, field: "status") }
            let after = try after.map { try CaseNumber(parsing: typedNumber($0), field: "after") }
            let title = try title.map { text throws(DiariumError) in
                // Unconditional parsing takes the next argument whatever it is: `--title --json` forgot the words.
                if text.hasPrefix("--"), text.count > 2, !text.contains(where: \.isWhitespace) {
                    throw .invalid("title", "--title needs the words to look for: it got the option '\(text)'")
                }
                return try TitleWords(parsing: text, field: "title")
            }
            let cases = try store.open().listCases(series: series, status: status, year: year, after: after, limit: limit, title: title)
            if output.json { return try Output.json(cases) }
            for c in cases {
                Output.line("\(c.number)\t\(c.status.rawValue)\t\(c.documentCount) document\(c.documentCount == 1 ? "" : "s")\t\(c.title)")
            }
            if cases.count == limit, let last = cases.last { Output.note("a full page: the next with --after \"\(last.number)\"") }
            if cases.isEmpty {
                let filtered = series != nil || status != nil || year != nil || after != nil || title != nil
                Output.note(filtered ? "no case matches" : "no cases yet (open one with `diarium case open --series CODE --title …`)")
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Correct a case's description, or set, correct or lift the restriction on its title.",
            discussion: prose("""
                Only what is given changes; --clear empties an optional field (public-title, class, department, officer,
                restriction). Clearing the restriction makes the title public and drops the public title.

                Examples:
                  diarium case update "SN 2026/3" --restrict privacy --legal "OSL 26 kap. 1 §" --public-title "Ansökan om bistånd"
                  diarium case update "SN 2026/3" --clear restriction
                """))

        @Argument(help: "The case number.") var number: String
        @Option(help: "The case title.") var title: String?
        @Option(name: .customLong("public-title"), help: "A title to show the public while the title is restricted.") var publicTitle: String?
        @OptionGroup var restriction: CaseRestrictionOptions
        @Option(name: .customLong("class"), help: "Classification code, e.g. 2.4.") var classification: String?
        @Option(help: "Responsible department.") var department: String?
        @Option(help: "Responsible officer (handläggare).") var officer: String?
        @Option(help: "Clear an optional field (repeatable).") var clear: [String] = []
        @OptionGroup var expected: ExpectedVersionOption
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            var change = CaseChange()
            change.title = title
            if let publicTitle { change.publicTitle = .some(publicTitle) }
            let restricting = try restriction.restriction()
            if let restricting {
                change.restriction = .some(restricting)
                change.restrictionKeepsUntil = restriction.until == nil
            }
            if let classification { change.classification = .some(classification) }
            if let department { change.department = .some(department) }
            if let officer { change.officer = .some(officer) }
            for field in clear {
                // Set and cleared at once is a contradiction, not "the last one wins".
                func conflict(_ isSet: Bool, _ option: String) throws {
                    guard !isSet else { throw DiariumError.invalid("clear", "'--clear \(field)' contradicts \(option) in the same command") }
                }
                switch field {
                case "publicTitle", "public-title": try conflict(publicTitle != nil, "--public-title"); change.publicTitle = .some(nil)
                case "class": try conflict(classification != nil, "--class"); change.classification = .some(nil)
                case "department": try conflict(department != nil, "--department"); change.department = .some(nil)
                case "officer": try conflict(officer != nil, "--officer"); change.officer = .some(nil)
                case "restriction": try conflict(restricting != nil, "--restrict"); change.restriction = .some(nil)
                default:
                    throw DiariumError.invalid("clear", "cannot clear '\(field)': use public-title, class, department, officer or restriction")
                }
            }
            let service = try store.open()
            let caseNumber = try CaseNumber(parsing: typedNumber(number))
            let before = try service.caseVersion(caseNumber)
            let (record, version) = try service.updateCaseVersioned(caseNumber, change, expectedVersion: try expected.version(), actor: actor.name)
            if output.json { return try Output.json(VersionedCase(record, version: version)) }
            // The values it already had: nothing was corrected or logged, and saying "Updated" would claim otherwise.
            Output.line(version == before ? "Unchanged: \(record.number) already has these values" : "Updated \(record.number)")
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a case's earlier descriptions: what each correction replaced, when and by whom.",
            discussion: prose("Example: diarium case history \"KS 2026/14\""))

        @Argument(help: "The case number.") var number: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        struct Shown: Encodable {
            let `case`: CaseRecord
            let revisions: [CaseRevision]
        }

        func run() throws {
            let history = try store.open().caseHistory(try CaseNumber(parsing: typedNumber(number)))
            if output.json { return try Output.json(Shown(case: history.record, revisions: history.revisions)) }
            func ground(_ r: AccessRestriction?) -> String { r.map { "; restricted: \($0.kind.rawValue), \($0.legalReference)" } ?? "" }
            for r in history.revisions {
                Output.line("\(r.n)\treplaced \(Output.time(r.replacedAt)) by \(r.replacedBy)\t\(r.title)"
                            + (r.publicTitle.map { " (public: \($0))" } ?? "") + ground(r.restriction))
            }
            let c = history.record
            Output.line("now\t\t\(c.title)" + (c.publicTitle.map { " (public: \($0))" } ?? "") + ground(c.restriction))
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a case: it takes no new documents, and retention periods run from now.",
            discussion: prose("Example: diarium case close \"KS 2026/14\""))

        @OptionGroup var change: CaseStatusChangeOptions

        func run() throws {
            try change.apply("Closed") { service, number, expected, actor in
                let closed = try service.closeCase(number, expectedVersion: expected, actor: actor)
                // Not refused: a draft never sent may rightly stay one. But a draft is not shown to the public and
                // goes to the e-archive as one, so a clerk who forgot to finalise it is told which.
                let drafts = try service.caseDetails(number).documents.filter { $0.current.status == .draft && $0.disposal == nil }
                    .map(\.number.description)
                if !drafts.isEmpty {
                    Output.note("note: \(number) still has \(drafts.count) draft document(s): \(drafts.prefix(10).joined(separator: ", "))"
                                + (drafts.count > 10 ? ", …" : "") + " (finalise what is done: `diarium finalise NUMBER`)")
                }
                return closed
            }
        }
    }

    struct Reopen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a closed case again (a late appeal, a matter taken up again): it takes documents again.",
            discussion: prose("""
                Retention periods that ran from its closing start again when it is closed next; until then none of \
                its documents is due for disposal.
                Example: diarium case reopen "KS 2026/14"
                """))

        @OptionGroup var change: CaseStatusChangeOptions

        func run() throws {
            try change.apply("Opened again") { service, number, expected, actor in
                try service.reopenCase(number, expectedVersion: expected, actor: actor)
            }
        }
    }
}

/// The arguments closing and opening a case again take, and their output.
struct CaseStatusChangeOptions: ParsableArguments {
    @Argument(help: "The case number.") var number: String
    @OptionGroup var expected: ExpectedVersionOption
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption

    func apply(_ done: String, _ change: (RecordsService, CaseNumber, Int?, String) throws -> CaseRecord) throws {
        let service = try store.open()
        let record = try change(service, try CaseNumber(parsing: typedNumber(number)), try expected.version(), actor.name)
        if output.json { try Output.json(VersionedCase(record, version: try service.caseVersion(record.number))) } else { Output.line("\(done): \(record.number)") }
    }
}

/// A case as a change left it, with the version a following `--if-version` takes (as `case show --json` gives it).
struct VersionedCase: Encodable {
    let record: CaseRecord
    let version: Int

    init(_ record: CaseRecord, version: Int) {
        self.record = record
        self.version = version
    }

    private enum Keys: String, CodingKey { case version }

    func encode(to encoder: any Encoder) throws {
        try record.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(version, forKey: .version)
    }
}
