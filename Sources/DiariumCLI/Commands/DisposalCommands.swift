import ArgumentParser
import DiariumCore
import DiariumServices

struct DisposeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispose",
        abstract: "Dispose of (gallra) documents whose retention period has run out; without --execute, list them.",
        discussion: prose("""
            A document is due when the rule that governs it disposes of it and the rule's years have run from the
            closing of its case: its class's rule (`diarium class`), for its record type or the class's own, else its
            series' rule for its record type or the series' default (`diarium retention`). Without --execute this prints the disposal
            list (gallringslista): number, record type, the day it fell due, the rule's mandate, and any legal holds
            (`diarium hold`) that keep it. --as-of previews the list of a later day.

            --execute disposes of what is due now: the given documents (all of them, or none if one is not due or is
            held), or everything due (in --series) that no hold keeps and whose record type was not changed after its
            case was closed (those are listed for review: the type decides the rule). A disposed document's content is removed
            (unless another document has the same bytes) and no one can read it again; its registration stays, with
            when, by whom and under which rule it was disposed of, and each disposal is logged (`document.dispose`).
            Exports carry that registration without the content; interchanges leave disposed documents out.

            The search index forgets a disposed text at once, but FTS5 keeps its words (with their positions) in the
            index's older segments until they are merged. So the run then merges the whole index (as `diarium index
            optimize`, in short steps: under a minute per million documents) and empties the WAL, after which no trace
            of the text is left in the catalog. --purge-later leaves that to a later `diarium index optimize`
            (`diarium index status` counts the disposals waiting for it).

            Examples:
              diarium dispose --series KS
              diarium dispose --execute "KS 2014/3-1" "KS 2014/3-2"
              diarium dispose --execute --series KS
            """))

    @Argument(help: "With --execute: exactly these documents (each must be due and not held).") var documents: [String] = []
    @Flag(help: "Dispose of them; without it, only list what is due.") var execute = false
    @Option(help: "Only this series.") var series: String?
    @Option(name: .customLong("as-of"), help: ArgumentHelp("List what is due by the end of this day instead of today (YYYY-MM-DD).", valueName: "date"))
    var asOf: String?
    @Option(help: "List at most this many (default 10000).") var limit: Int?
    @Flag(name: .customLong("purge-later"),
          help: "With --execute: leave the merge that purges the disposed words from the search index to `diarium index optimize`.")
    var purgeLater = false
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption

    func validate() throws {
        if !execute && !documents.isEmpty { throw ValidationError("documents are named only with --execute") }
        if !execute && purgeLater { throw ValidationError("--purge-later goes with --execute") }
        if execute && asOf != nil { throw ValidationError("--execute disposes of what is due now: --as-of only previews") }
        if !documents.isEmpty && series != nil { throw ValidationError("give documents or --series, not both") }
        if execute && limit != nil { throw ValidationError("--limit only shortens the list: --execute disposes of everything due (or the documents named)") }
    }

    func run() throws {
        let service = try store.open()
        let series = try series.map { try seriesCode($0) }
        guard execute else {
            let due = try service.disposalDue(asOf: try parseDate(asOf, field: "as-of"), series: series, limit: checkedLimit(limit ?? 10_000))
            if output.json { return try Output.json(due) }
            for item in due {
                Output.line("\(item.number)\t\(item.recordType.rawValue)\tdue \(Timestamp.swedishDate(of: item.dueAt))\t\(item.mandate)"
                            + (item.ruleClass.map { code in
                                " (class \(code)" + (item.ruleRecordType.map { ", its rule for \($0.rawValue)" } ?? "") + ")" } ?? "")
                            + (item.holds.isEmpty ? "" : "\theld by " + item.holds.map { "#\($0)" }.joined(separator: ", "))
                            + (item.inTransit.isEmpty ? "" : "\tin interchange " + item.inTransit.joined(separator: ", ")
                                + " (waiting for its receipt)")
                            + (item.typeChangedAfterClosing ? "\treview: its type or class was changed after the case was closed" : ""))
            }
            if due.isEmpty { Output.note("nothing is due for disposal") }
            return
        }
        let selection: DisposalSelection = documents.isEmpty
            ? .due(series: series)
            : .documents(try documents.map { try DocumentNumber(parsing: typedNumber($0)) })
        // Each batch commits on its own: what went before the signal stays disposed of, and says so.
        let interruption = Interruption(message: "what was disposed of before the signal stays disposed of (`diarium disposals` "
                                        + "lists it, `diarium dispose` what is still due); content files of disposed documents "
                                        + "still on disk go with the next `dispose --execute` or `diarium verify --remove-orphans`")
        defer { withExtendedLifetime(interruption) {} }
        var report = try service.dispose(selection, actor: actor.name)
        var purge: RecordsService.OptimizeReport?
        if report.unpurged > 0 && !purgeLater {
            // The disposals are committed: a merge that fails now is reported, not the run.
            let progress = Output.Progress()
            var failure: DiariumError?
            do {
                purge = try service.optimizeIndex(progress: { steps in progress.update("purging the search index: merge steps", steps, 0) })
                report.unpurged = purge?.unpurged ?? report.unpurged
            } catch {
                failure = error
            }
            progress.finish()
            if let failure { Output.note("merging the search index after the disposal failed (\(failure.message)); the disposal stands") }
        }
        if output.json { return try Output.json(report) }
        for number in report.disposed { Output.line("disposed of\t\(number)") }
        for number in report.held { Output.line("held\t\(number)") }
        for number in report.inTransit { Output.line("in transit\t\(number)") }
        for number in report.review { Output.line("review\t\(number)") }
        Output.note("\(report.disposed.count) document(s) disposed of, \(report.held.count) kept by legal holds, "
                    + "\(report.inTransit.count) in interchanges waiting for their receipt, "
                    + "\(report.review.count) left for review (type changed after closing: name them once reviewed); "
                    + "\(report.files) content file(s), \(report.bytes) bytes removed")
        if report.filesLeft > 0 {
            Output.note("\(report.filesLeft) file(s) of disposed content could not be removed yet: the next run, or "
                        + "`diarium verify --remove-orphans`, removes them")
        }
        if let purge, purge.purged > 0 {
            Output.note("the search index was merged (\(purge.steps) step(s)): the words of \(purge.purged) disposed document(s) "
                        + "are gone from the catalog")
        }
        for backup in report.backupsHoldingDisposedContent ?? [] {
            Output.note("the backup \(backup) was made before documents were disposed of and still holds their content: "
                        + "remove it or rotate it out (`diarium backups`)")
        }
        if report.backupsHoldingDisposedContent == nil {
            Output.note("which backups hold the disposed content could not be looked up: see `diarium backups`")
        }
        if report.unpurged > 0 {
            Output.note("the search index still holds the words of \(report.unpurged) disposed document(s): `diarium index optimize` "
                        + (purge == nil ? "purges them" : "purges them once documents stop arriving"))
        }
    }
}

struct DisposalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disposals",
        abstract: "The disposal record (gallringsprotokoll): what was disposed of, per day, series, record type and rule.",
        discussion: prose("""
            One line per day, series, record type, archivist and rule: how many documents went, the years of the cases
            they came from, the rule as applied (years after closing, mandate, schedule) and who ran it. Counts, not
            titles: the record says what kind of records were destroyed and from which period, as a record of gallring
            does; each document is in `diarium case show` and in the log (`document.dispose`).

            Examples:
              diarium disposals --from 2028-01-01 --to 2028-12-31
              diarium disposals --series KS --json
            """))

    @Option(help: "Only this series.") var series: String?
    @Option(help: ArgumentHelp("From this day (YYYY-MM-DD, Swedish time).", valueName: "date")) var from: String?
    @Option(help: ArgumentHelp("Through this day (YYYY-MM-DD).", valueName: "date")) var to: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let lines = try store.open().disposalRecord(series: try series.map { try seriesCode($0) },
                                                    from: try parseDate(from, field: "from"), to: try parseDate(to, field: "to"))
        if output.json { return try Output.json(lines) }
        for line in lines {
            let cases = line.firstCaseYear == line.lastCaseYear
                ? "cases of \(line.firstCaseYear)" : "cases of \(line.firstCaseYear)–\(line.lastCaseYear)"
            Output.line("\(line.day)\t\(line.series)\t\(line.recordType.rawValue)\t\(line.documents) document(s), \(cases)\t"
                        + "\(line.years) year(s) after closing, \(line.mandate)" + (line.schedule.map { " (\($0))" } ?? "")
                        + (line.ruleClass.map { code in ", rule of class \(code)" + (line.ruleRecordType.map { " for \($0.rawValue)" } ?? "") } ?? "")
                        + "\tby \(line.by)")
        }
        if lines.isEmpty { Output.note("nothing was disposed of" + (from != nil || to != nil ? " in that period" : "")) }
    }
}

struct HoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Legal holds: keep a case or document from disposal whatever the retention schedule says.",
        discussion: prose("""
            A hold on a case covers all its documents. Holds are released, never deleted; both are logged
            (`hold.place`, `hold.release`) with the hold's number. The reason is kept with the hold, not in the log
            (it may say what the records are wanted for, and admins read the log without clearance).
            """),
        subcommands: [Place.self, Release.self, List.self, Show.self])

    struct Place: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Place a hold on a case or a document.",
            discussion: prose("Example: diarium hold place \"KS 2014/3\" --reason \"Överklagande, förvaltningsrätten mål 1234-26\""))

        @Argument(help: "A case number (KS 2026/14) or a document number (KS 2026/14-3).") var target: String
        @Option(help: "Why (at most 500 characters).") var reason: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let hold = try store.open().placeHold(on: try HoldTarget(parsing: typedNumber(target)), reason: reason, actor: actor.name)
            if output.json { try Output.json(hold) } else { Output.line(List.line(hold)) }
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release a hold by its number.",
            discussion: prose("Example: diarium hold release 3 --reason \"Domen har vunnit laga kraft\""))

        @Argument(help: "The hold's number (see `diarium hold list`).") var id: Int64
        @Option(help: "Why it is released (at most 500 characters; kept with the hold).") var reason: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let hold = try store.open().releaseHold(id: id, reason: reason, actor: actor.name)
            if output.json { try Output.json(hold) } else { Output.line(List.line(hold)) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List active holds (number, case or document, placed, by, reason), newest first.",
            discussion: prose("Example: diarium hold list --on \"KS 2014/3\" --all"))

        @Option(help: "Only holds on this case (and its documents) or document.") var on: String?
        @Flag(help: "Also released holds.") var all = false
        @Option(help: "After this hold (the id of the last of the previous page: older ones follow).") var after: Int64?
        @Option(help: "At most this many (1–1000).") var limit = 1000
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            if let after, after < 1 { throw DiariumError.invalid("after", "a hold's id is 1 or more, not \(after)") }
            let holds = try store.open().legalHolds(includingReleased: all, on: try on.map { try HoldTarget(parsing: typedNumber($0), field: "on") },
                                                    after: after, limit: limit)
            if output.json { return try Output.json(holds) }
            for hold in holds { Output.line(Self.line(hold)) }
            if holds.isEmpty {
                Output.note((all ? "no legal hold has been placed" : "no legal hold is in force") + (on == nil && after == nil ? "" : " there"))
            }
            if holds.count == limit, let last = holds.last { Output.note("a full page: the next with --after \(last.id)") }
        }

        static func line(_ hold: LegalHold) -> String {
            "#\(hold.id)\t\(hold.number)\tplaced \(Output.time(hold.placedAt)) by \(hold.placedBy)\t"
                + (hold.releasedAt.map { "released \(Output.time($0)) by \(hold.releasedBy ?? "")" + (hold.releaseReason.map { ": \($0)" } ?? "") + "\t" } ?? "")
                + hold.reason
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one hold: what it keeps, why, who placed it, and whether and why it was released.",
            discussion: prose("Example: diarium hold show 3"))

        @Argument(help: "The hold's number.") var id: Int64
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let hold = try store.open().legalHold(id: id)
            if output.json { return try Output.json(hold) }
            Output.fields([
                ("Hold", "#\(hold.id)"), ("On", "\(hold.scope.rawValue) \(hold.number)"), ("Reason", hold.reason),
                ("Placed", "\(Output.time(hold.placedAt)) by \(hold.placedBy)"),
                ("Released", hold.releasedAt.map { "\(Output.time($0)) by \(hold.releasedBy ?? "?")" } ?? "no: in force"),
                ("Why released", hold.releaseReason),
            ])
        }
    }
}
