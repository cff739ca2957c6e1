import ArgumentParser
import DiariumCore
import DiariumServices

struct RestrictionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restrictions",
        abstract: "List restrictions whose end date has passed: due for review.",
        discussion: prose("""
            A restriction lasts only as long as its ground. Cases and documents whose restriction's last day
            (--restrict-until) is before today (Swedish time), or before --as-of, oldest end first, with the ground:
            lift them (`diarium update NUMBER --clear restriction`, `diarium case update NUMBER --clear restriction`;
            an archived document takes this correction too) or give a new end on a ground that still holds.
            Documents disposed of are not listed: their registration stays as the record of what was destroyed.

            Example: diarium restrictions --series SN
            """))

    @Option(name: .customLong("as-of"), help: ArgumentHelp("Ended before this day instead of today (YYYY-MM-DD).", valueName: "date"))
    var asOf: String?
    @Option(help: "Only this series.") var series: String?
    @Option(help: "At most this many.") var limit = 1000
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let service = try store.open()
        let series = try series.map { try seriesCode($0) }
        // A mistyped series lists nothing, which reads as "nothing to review": said, as dispose and retention say it.
        if let series, try !service.listSeries().contains(where: { $0.code == series }) {
            throw DiariumError.notFound("series", series.rawValue)
        }
        let ended = try service.restrictionsEnded(asOf: try parseDate(asOf, field: "as-of"), series: series, limit: checkedLimit(limit))
        if output.json { return try Output.json(ended) }
        for item in ended {
            let r = item.restriction
            Output.line("\(item.number)\t\(item.holder.rawValue)\tlast day \(r.until.map { "\($0)" } ?? "")\t\(r.kind.rawValue), \(r.legalReference)"
                        + " (hides \(r.hides.map(\.rawValue).joined(separator: "+")))")
        }
        if ended.isEmpty { Output.note("no restriction has passed its end date" + (series.map { " in \($0)" } ?? "") + ": nothing to review") }
    }
}
