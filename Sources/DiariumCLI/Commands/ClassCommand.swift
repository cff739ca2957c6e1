import ArgumentParser
import DiariumCore
import DiariumServices

struct ClassCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "class",
        abstract: "Manage the classification structure (klassificeringsstruktur): the classes cases and documents are classified under.",
        discussion: prose("""
            A class's code places it in the tree: 2.4.1 is under 2.4, which is under 2 (add the class above first).
            A class may carry a retention rule, which then governs what is classified under it or below it (unless a
            class further down has its own) before the series' rules, and rules for record types (set-rule), which
            come before the class's own for documents of that type. Once a store has classes, cases and documents
            can only be given codes that are in the structure. Exports describe the structure in ERMS
            classificationSchema, and an import of a Diarium package takes over the classes a store does not have.
            """),
        subcommands: [SetClass.self, SetRule.self, RemoveRule.self, List.self, Show.self, Remove.self])

    struct SetClass: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Add a class, or correct its title, description and rule.",
            discussion: prose("""
                Examples:
                  diarium class set 2 --title "Stödprocesser"
                  diarium class set 2.4 --title "Bygglov" --dispose-after 10 --mandate "KS 2024-03-12 § 45" --schedule "IHP 2024"
                  diarium class set 2.5 --title "Detaljplaner" --keep --mandate "RA-FS 1991:6"
                  diarium class set 2.4 --title "Bygglov (rättad)"          # keeps its description and rule
                  diarium class set 2.4 --title "Bygglov" --no-rule          # the class above it, or the series, decides

                A new class without --keep or --dispose-after has no rule of its own: the class above it decides, and
                without one, the series' rules. An existing class keeps its description and rule unless given new ones
                (--description "" clears it, --no-rule removes the rule).
                """))

        @Argument(help: "The class code, e.g. 2.4.") var code: String
        @Option(help: "The class's title, e.g. \"Bygglov\".") var title: String
        @Option(help: "What the class covers.") var description: String?
        @OptionGroup var rule: RuleOptions
        @Flag(name: .customLong("no-rule"), help: "Remove the class's own rule.") var noRule = false
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            var retention = try rule.optionalTerms()
            if noRule && retention != nil {
                throw DiariumError.invalid("no-rule", "--no-rule contradicts --keep or --dispose-after in the same command")
            }
            let service = try store.open()
            // A title corrected alone must not drop the rule (a black-box review saw disposal come a year earlier).
            let existing: ClassificationClass? = try? service.classificationClass(code)
            if retention == nil && !noRule { retention = existing?.retention }
            let item = try ClassificationClass(code: code, title: title, description: description ?? existing?.description, retention: retention)
            let saved = try service.setClass(item, actor: actor.name).saved
            if output.json { try Output.json(saved) } else { Self.lines(saved).forEach(Output.line) }
        }

        /// Code (indented by its depth), title, rule, mandate, schedule; then a line per rule for a record type, its
        /// type in brackets where the title is.
        static func lines(_ item: ClassificationClass, indented: Bool = false) -> [String] {
            let indent = indented ? String(repeating: "  ", count: item.level - 1) : ""
            func line(_ title: String, _ terms: RetentionTerms?) -> String {
                [indent + item.code, title, terms?.period ?? "", terms?.mandate ?? "", terms?.schedule ?? ""].joined(separator: "\t")
            }
            return [line(item.title, item.retention)] + item.typeRules.map { line("[\($0.type.rawValue)]", $0.terms) }
        }
    }

    struct SetRule: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-rule",
            abstract: "Set or replace a class's rule for one record type (handlingstyp).",
            discussion: prose("""
                Documents of that type classified under the class, or under a class below it without a rule of its own,
                fall under this rule before the class's own rule and before the series' rules.
                Examples:
                  diarium class set-rule 2.4 --type decision --keep --mandate "RA-FS 1991:6"
                  diarium class set-rule 2.4 --type letter --dispose-after 2 --mandate "KS 2024-03-12 § 45" --schedule "IHP 2024"
                """))

        @Argument(help: "The class code, e.g. 2.4.") var code: String
        @Option(help: "The record type (actionPlan, decision, serviceRecord, letter, minutes, report, other).") var type: String
        @OptionGroup var rule: RuleOptions
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let recordType: RecordType = try parseChoice(type, field: "type")
            let terms = try rule.terms()
            let saved = try store.open().setClassRule(code: code, type: recordType, terms, actor: actor.name).saved
            if output.json { try Output.json(saved) } else { SetClass.lines(saved).forEach(Output.line) }
        }
    }

    struct RemoveRule: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove-rule",
            abstract: "Remove a class's rule for one record type: its documents of that type fall under the class's own rule again.",
            discussion: prose("Example: diarium class remove-rule 2.4 --type letter"))

        @Argument(help: "The class code.") var code: String
        @Option(help: "The record type whose rule goes.") var type: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions

        func run() throws {
            try store.open().removeClassRule(code: code, type: try parseChoice(type, field: "type"), actor: actor.name)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the structure in tree order (code indented by depth, title, rule, mandate, schedule; a line per rule for a record type).",
            discussion: prose("Example: diarium class list --under 2"))

        @Option(help: "Only this class and those under it.") var under: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let root = try under.map { text throws in
                guard let code = try RecordRules.classification(text, field: "under") else {
                    throw DiariumError.invalid("under", "give a class code such as 2.4")
                }
                return code
            }
            let classes = try store.open().classification().filter { item in
                root.map { item.code == $0 || item.code.hasPrefix($0 + ".") } ?? true
            }
            // A class that is not there is not found (exit 3), as `class show` says, not an empty listing.
            if let root, classes.isEmpty { throw DiariumError(.notFound, "no class \(root) in the classification structure", field: "under") }
            if output.json { return try Output.json(classes) }
            for item in classes { SetClass.lines(item, indented: true).forEach(Output.line) }
            if classes.isEmpty {
                Output.note("the classification structure is empty (classes are added with `diarium class set`, or over HTTP by an admin)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one class: its title, description, and the rules that govern it (its own or from above), also per record type.",
            discussion: prose("Example: diarium class show 2.4.1"))

        @Argument(help: "The class code.") var code: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let service = try store.open()
            let item = try service.classificationClass(code)
            if output.json { return try Output.json(item) }
            Output.line("\(item.code)\t\(item.title)")
            if let description = item.description { Output.line(description) }
            let scheme = ClassificationScheme(try service.classification())
            func described(_ terms: RetentionTerms, from owner: ClassificationClass) -> String {
                (owner.code == item.code ? "" : "from class \(owner.code): ") + "\(terms.period) (\(terms.mandate)"
                    + (terms.schedule.map { ", \($0)" } ?? "") + ")"
            }
            if let governing = scheme.governingRule(of: item.code, type: nil) {
                Output.line("rule: " + described(governing.terms, from: governing.owner))
            } else {
                Output.line("rule: none of its own or above it: the series' rules apply")
            }
            // Each record type a class here or above has a rule for, where that rule is what governs the type.
            for type in RecordType.allCases {
                guard let governing = scheme.governingRule(of: item.code, type: type), governing.recordType == type else { continue }
                Output.line("rule for \(type.rawValue): " + described(governing.terms, from: governing.owner))
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a class that no class, case or document is classified under.",
            discussion: prose("Example: diarium class remove 2.4.9"))

        @Argument(help: "The class code.") var code: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions

        func run() throws {
            try store.open().removeClass(code, actor: actor.name)
        }
    }
}
