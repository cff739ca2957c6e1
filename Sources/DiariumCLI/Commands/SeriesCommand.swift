import ArgumentParser
import DiariumCore
import DiariumServices

struct SeriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "Manage the registers (diarieserier) cases are numbered in.",
        subcommands: [Add.self, List.self, Department.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a series.",
            discussion: prose("Example: diarium series add KS --name Kommunstyrelsen"))

        @Argument(help: "The series code: 1–12 upper-case letters or digits, starting with a letter (e.g. KS).")
        var code: String
        @Option(help: "The board or committee that keeps the series.")
        var name: String
        @Option(help: ArgumentHelp("The department whose clerks register in it (default: the series code).", valueName: "code"))
        var department: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let code = try seriesCode(code)
            let department = try department.map { try DiariumCore.Department(parsing: $0) }
            let series = try store.open().addSeries(code: code, name: name, department: department, actor: actor.name)
            if output.json { try Output.json(series) } else { Output.line(series.code.rawValue) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the series.", discussion: prose("Example: diarium series list --json"))

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let series = try store.open().listSeries()
            if output.json { return try Output.json(series) }
            for item in series { Output.line("\(item.code.rawValue)\t\(item.department)\t\(item.name)") }
            if series.isEmpty { Output.note("no series yet (an admin adds one with `diarium series add CODE --name …`)") }
        }
    }

    struct Department: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the department that keeps a series (its clerks register in it and may read its restricted documents).",
            discussion: prose("Example: diarium series department BUN UTB"))

        @Argument(help: "The series code.") var code: String
        @Argument(help: "The department code.") var department: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let series = try store.open().setSeriesDepartment(try seriesCode(code), try DiariumCore.Department(parsing: department),
                                                              actor: actor.name)
            if output.json { try Output.json(series) } else { Output.line("\(series.code.rawValue)\t\(series.department)") }
        }
    }
}
