import ArgumentParser
import DiariumCore
import DiariumServices

struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Manage the retention schedule (informationshanteringsplan): what is kept and what is disposed of.",
        discussion: prose("""
            Each series has a default rule and may have rules per record type, which take precedence. Disposal
            (gallring) is counted from the closing of the document's case. A class of the classification structure
            with a rule of its own (`diarium class set`) governs what is classified under it before these. Exports
            carry the rules as ERMS disposal, and an import takes over the rules a store does not have yet.
            """),
        subcommands: [SetRule.self, List.self, Remove.self])

    struct SetRule: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set the rule for a series, or for one record type in it.",
            discussion: prose("""
                Examples:
                  diarium retention set KS --dispose-after 10 --mandate "KS 2024-03-12 § 45" --schedule "IHP KS 2024"
                  diarium retention set KS --type decision --keep --mandate "RA-FS 1991:6"
                """))

        @Argument(help: "The series code.") var series: String
        @Option(help: "Only for this record type (actionPlan, decision, serviceRecord, letter, minutes, report, other); default: the whole series.")
        var type: String?
        @OptionGroup var rule: RuleOptions
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let terms = try self.rule.terms()
            let recordType: RecordType? = try type.map { try parseChoice($0, field: "type") }
            let rule = try RetentionRule(series: try seriesCode(series), recordType: recordType, action: terms.action,
                                         years: terms.years, mandate: terms.mandate, schedule: terms.schedule)
            let saved = try store.open().setRetentionRule(rule, actor: actor.name)
            if output.json { try Output.json(saved) } else { Output.line(Self.line(saved)) }
        }

        static func line(_ rule: RetentionRule) -> String {
            [rule.series.rawValue, rule.recordType?.rawValue ?? "*", rule.period, rule.mandate, rule.schedule ?? ""].joined(separator: "\t")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the rules (series, record type or * for the series' default, rule, mandate, schedule).",
            discussion: prose("Example: diarium retention list --series KS"))

        @Option(help: "Only this series.") var series: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let rules = try store.open().retentionSchedule(series: try series.map { try seriesCode($0) })
            if output.json { return try Output.json(rules) }
            for rule in rules { Output.line(SetRule.line(rule)) }
            if rules.isEmpty {
                Output.note("no retention rules" + (series.map { " for \($0)" } ?? "")
                            + ": nothing is due for disposal until one is set (`diarium retention set`)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the rule for a series (its default) or for one record type in it.",
            discussion: prose("Example: diarium retention remove KS --type decision"))

        @Argument(help: "The series code.") var series: String
        @Option(help: "The record type whose rule goes; without it, the series' default goes.") var type: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions

        func run() throws {
            let recordType: RecordType? = try type.map { try parseChoice($0, field: "type") }
            try store.open().removeRetentionRule(series: try seriesCode(series), recordType: recordType, actor: actor.name)
        }
    }
}
