import ArgumentParser
import DiariumCore
import DiariumServices

struct OrganisationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "organisation",
        abstract: "Show or set the organisation (arkivbildare) whose records the store keeps.",
        discussion: """
            Every package `diarium export` writes names this organisation as the records' archival creator
            (METS agent ARCHIVIST, FGS arkivbildare) and, unless --submitter is given, as the organisation
            submitting it, with its identification code: an organisationsnummer is checked and written as
            FGS does (ORG:2120001355); any other code names its scheme (VAT:SE212000135501).
            """,
        subcommands: [Show.self, Assign.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the store's organisation.",
                                                        discussion: "Example: diarium organisation show --json")

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let organisation = try store.open().organisation()
            if output.json { return try Output.json(organisation) }
            guard let organisation else {
                return Output.line("no organisation set (diarium organisation set NAME --code NNNNNN-NNNN)")
            }
            Output.line([organisation.name, organisation.code ?? "-"].joined(separator: "\t"))
        }
    }

    struct Assign: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set the store's organisation (audited).",
            discussion: "Example: diarium organisation set \"Exempelby kommun\" --code 212000-1355")

        @Argument(help: "The organisation's name, e.g. the municipality or board.") var name: String
        @Option(help: ArgumentHelp("Its organisationsnummer (NNNNNN-NNNN) or another code with its scheme (SCHEME:code); "
                                   + "without it, the organisation has no code.", valueName: "code"))
        var code: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let organisation = try store.open().setOrganisation(try Organisation(name: name, code: code), actor: actor.name)
            if output.json { try Output.json(organisation) } else { Output.line([organisation.name, organisation.code ?? "-"].joined(separator: "\t")) }
        }
    }
}
