import ArgumentParser
import DiariumCore
import DiariumServices

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find documents by words and metadata.",
        discussion: prose("""
            Query language:
              words            all must match, in the title, the text, the parties or
                               the case's title (in any case; å, ä, ö are letters of
                               their own: "får" is not "far")
              "a phrase"       the words in this order
              prefix*          words starting so (at least 3 letters);
                               "handlings pla"* for a phrase
              a OR b           either
              -word, NOT word  must not match
              type:decision    actionPlan decision serviceRecord letter minutes
                               report other
              series:KS  status:final  direction:incoming
              year:2026        the year registered
              from:2026-01-01  to:2026-06-30
                               document date (registration date when it has none)
              class:2.4        classification, including 2.4.x
              case:"KS 2026/14"  number:"KS 2026/14-3"
              sender:andersson  sender:anders*  recipient:"Anna Andersson"
                               a party's words, in any order
              SFS 2009:400     text: a colon after digits or one letter is no
                               filter; quote other colons ("typ:x")

            Filters alone work without words and cannot be negated; at most 32 words, phrases and prefixes (a party filter's words count too). Words rank by relevance (the title weighs more than the text, parties and the case's title in between);
            filters alone list newest first. A query matching very many documents is answered newest first,
            and the result says so. Counts per type, series, status and year come with every result.

            --public shows exactly what the public may see: restricted parts are neither searched nor shown.
            --user NAME shows what that user finds over the API: an archivist everything; a clerk the restricted
            parts of their departments' series and the public parts of the others; an admin the public view.
            Nothing is recorded as read by them: it is the operator who reads. A disabled account is refused
            (exit 4): the API refuses its tokens.

            Examples:
              diarium search klimatanpassning type:decision
              diarium search '"detaljplan för" hamn* -remiss' series:KS from:2026-01-01
              diarium search type:letter status:final --limit 50 --json
              diarium search sender:andersson --public
              diarium search elevärende --user anna
            """))

    @Argument(help: "The query (quote it in the shell).") var query: [String]
    @Option(help: "Hits per page (1–100).") var limit = 20
    @Option(help: "Continue after this cursor (the nextCursor of the previous page).") var after: String?
    @Flag(help: "Search as the public: restricted parts are neither searched nor shown.") var `public` = false
    @Option(help: ArgumentHelp("Search as this user may, over the API (see below).", valueName: "name")) var user: String?
    @Flag(name: .customLong("no-facets"), help: "Skip the counts per type, series, status and year.") var noFacets = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    /// `-word` is the query language's negation, but to ArgumentParser a word starting with "-" is short options:
    /// `search '-remiss hello'` printed the help (`-h` among them) and exited 0. The command has no short option
    /// but `-h`, so such a word (not an option's value, not after `--`) is query text: a space in front keeps it so,
    /// and the query parser trims it.
    static func keepNegatedWords(_ arguments: inout [String]) {
        guard arguments.first == "search" else { return }
        let takesValue: Set<String> = ["--limit", "--after", "--user", "--store"]
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { return }
            if takesValue.contains(argument) {
                index += 2
                continue
            }
            if argument.hasPrefix("-"), !argument.hasPrefix("--"), argument != "-h", argument.count > 1 {
                arguments[index] = " " + argument
            }
            index += 1
        }
    }

    func validate() throws {
        if self.public && user != nil { throw ValidationError("give --public or --user, not both") }
    }

    func run() throws {
        let options = SearchOptions(limit: try checkedLimit(limit, maximum: 100), cursor: after, facets: !noFacets)
        let service = try store.open()
        // The space keepNegatedWords put in front of a "-word" goes again: columns in errors count what was typed.
        let text = query.map { $0.hasPrefix(" -") ? String($0.dropFirst()) : $0 }.joined(separator: " ")
        let result = if let user {
            try service.search(text, as: try Self.principal(user, service), options: options).result
        } else {
            try service.search(text, view: self.public ? .public : .full, options: options)
        }
        if output.json { return try Output.json(result) }
        // No hits: stdout stays empty (as every empty listing), the count and any note go to stderr.
        if result.hits.isEmpty {
            Output.note((after == nil ? "no document matches" : "no more documents") + (result.note.map { " (\($0))" } ?? ""))
            return
        }
        let total = result.totalIsExact ? "\(result.total)" : "more than \(result.total)"
        Output.line("\(total) document(s), \(result.order == .relevance ? "best match first" : "newest first")")
        if let note = result.note { Output.line("note: \(note)") }
        for hit in result.hits {
            var line = "\(hit.number)\t\(hit.recordType.rawValue)\t\(hit.status.rawValue)\t\(hit.title ?? "(title restricted)")"
            if let legal = hit.legalReference { line += "\t[restricted: \(legal)]" }
            Output.line(line)
            if let snippet = hit.snippet { Output.line("    " + snippet.split(whereSeparator: \.isNewline).joined(separator: " ")) }
        }
        if let facets = result.facets {
            func show(_ name: String, _ counts: [FacetCount]) {
                guard !counts.isEmpty else { return }
                Output.line("\(name): " + counts.prefix(10).map { "\($0.value) \($0.count)" }.joined(separator: ", "))
            }
            show("type", facets.type)
            show("series", facets.series)
            show("status", facets.status)
            show("year", facets.year)
            if !facets.exact { Output.line("(counts over the newest matches only)") }
        }
        if let next = result.nextCursor { Output.line("more: --after \(next)") }
    }
}

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Inspect, rebuild and optimize the search index.",
        subcommands: [Rebuild.self, Status.self, Optimize.self])

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the full-text and metadata index from the catalog.",
            discussion: prose("""
                The index is kept up to date in the same transaction as every change, so a rebuild is only needed
                after an upgrade that changes the index, or to repair it. --extract also extracts text from content
                that has none yet (e.g. registered before search existed); --extract-all extracts everything again
                (e.g. after installing pdftotext).

                Example: diarium index rebuild --extract
                """))

        @Flag(help: "Extract text from content that has no text rendition yet.") var extract = false
        @Flag(name: .customLong("extract-all"), help: "Extract text from all content again.") var extractAll = false
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func validate() throws {
            if extract && extractAll { throw ValidationError("give --extract or --extract-all, not both") }
        }

        func run() throws {
            let progress = Output.Progress()
            let report = try store.open().rebuildIndex(reextract: extractAll ? .all : extract ? .missing : nil) { phase, done, total in
                progress.update(phase, done, total)
            }
            progress.finish()
            if output.json { return try Output.json(report) }
            Output.line("indexed \(report.documents) document(s); extracted text from \(report.extracted) file(s), \(report.textIssues) without usable text")
            if report.purged > 0 { Output.line("purged the words of \(report.purged) disposed document(s) from the catalog") }
        }
    }

    struct Optimize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge the full-text index into one segment, for faster searches after a bulk load.",
            discussion: prose("""
                FTS5 keeps its index as several b-trees (segments) and merges them as documents arrive; every term of a
                query, and every snippet, is looked up in each. After a large import or a migration, optimize merges
                them all into one. It works in short steps, each its own transaction, so the server and other commands
                carry on meanwhile; it can be stopped at any time and run again. Best run when few documents arrive: a
                registration between two steps makes FTS5 start the merge over, so under a steady stream it stops after
                twice the work of one merge and says so. Needs free disk space about the size of the index.

                It also purges disposed text: FTS5 keeps a removed document's words in the older segments until they
                are merged, so a complete merge (and the WAL emptied after it) is what removes them from the catalog.
                `diarium dispose --execute` runs it unless told --purge-later.

                Example: diarium index optimize
                """))

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let progress = Output.Progress()
            let report = try store.open().optimizeIndex(progress: { steps in progress.update("merge steps", steps, 0) })
            progress.finish()
            if output.json { return try Output.json(report) }
            if report.steps == 0 {
                Output.line("the index is already optimized (\(report.segmentsAfter) segment(s))")
            } else {
                Output.line("merged \(report.segmentsBefore) segment(s) into \(report.segmentsAfter) in \(report.steps) step(s)")
                if !report.complete {
                    Output.line("stopped before one segment was left: documents kept arriving (run it again when the store is quieter)")
                }
            }
            if report.purged > 0 { Output.line("purged the words of \(report.purged) disposed document(s) from the catalog") }
            if report.unpurged > 0 { Output.line("the words of \(report.unpurged) disposed document(s) are still in the index") }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the index version, text extraction counts, and optionally check the index.",
            discussion: prose("Example: diarium index status --check --json"))

        @Flag(help: "Run FTS5's integrity check of the index against the catalog.") var check = false
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let status = try store.open().indexStatus(check: check)
            if output.json { return try Output.json(status) }
            Output.fields([
                ("Index version", "\(status.version ?? "none") (this build writes \(status.expectedVersion))"),
                ("Documents", String(status.documents)),
                ("Segments", "\(status.segments) in the full-text index" + (status.segments > 4 ? " (`diarium index optimize` merges them)" : "")),
                ("Text renditions", status.renditions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    + (status.missingRenditions > 0
                        ? "; \(status.missingRenditions) content file(s) without (`diarium index rebuild --extract` extracts them)" : "")),
                ("PDF text", status.pdfExtraction ? "pdftotext available" : "pdftotext not installed: PDFs are indexed by metadata only"),
                ("Disposed text", status.unpurged == 0 ? "none left in the index"
                    : "the words of \(status.unpurged) disposed document(s) are still in the index (`diarium index optimize` purges them)"),
                ("Check", check ? (status.problems.isEmpty ? "OK" : status.problems.joined(separator: "; ")) : nil),
            ])
            if check && !status.problems.isEmpty { throw VerifyFailed(code: ExitCodes.verifyFailed) }
        }
    }
}

extension SearchCommand {
    /// The user `--user` names, as the API would take them: a disabled account's tokens are refused there (401), so it
    /// finds nothing, which is said rather than shown as a search.
    static func principal(_ name: String, _ service: RecordsService) throws -> Principal {
        let user = try service.user(name)
        if user.disabledAt != nil {
            throw DiariumError(.invalidState, "user \(user.name) is disabled: the API refuses their tokens, so they find nothing "
                               + "(enable them with `diarium user update \(user.name) --enable`)", field: "user")
        }
        return Principal(user: user)
    }
}
