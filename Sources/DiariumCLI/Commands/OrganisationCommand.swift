import ArgumentParser
import DiariumCore
import DiariumServices

struct OrganisationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "organisation",
        abstract: "Show or set the organisation (arkivbildare) whose records the store keeps.",
        discussion: prose("""
            Every package `diarium export` writes names this organisation as the records' archival creator
            (METS agent ARCHIVIST, FGS arkivbildare) and, unless --submitter is given, as the organisation
            submitting it, with its identification code: an organisationsnummer is checked and written as
            FGS does (ORG:2120001355); any other code names its scheme (VAT:SE212000135501).
            """),
        subcommands: [Show.self, Assign.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the store's organisation.",
                                                        discussion: prose("Example: diarium organisation show --json"))

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
            discussion: prose("""
                Examples:
                  diarium organisation set "Exempelby kommun" --code 212000-1355
                  diarium organisation set "Exempelby kommun, kommunstyrelsen"   # the code stays
                """))

        @Argument(help: "The organisation's name, e.g. the municipality or board.") var name: String
        @Option(help: ArgumentHelp("Its organisationsnummer (NNNNNN-NNNN) or another code with its scheme (SCHEME:code); "
                                   + "without it, the code set before stays.", valueName: "code"))
        var code: String?
        @Flag(name: .customLong("no-code"), help: "The organisation has no code (removes the one set before).") var noCode = false
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func validate() throws {
            if code != nil && noCode { throw ValidationError("give --code or --no-code, not both") }
        }

        func run() throws {
            let service = try store.open()
            // A new name alone keeps the code: packages name the archival creator by it, so it goes only when asked.
            let code = noCode ? nil : try code ?? service.organisation()?.code
            let organisation = try service.setOrganisation(try Organisation(name: name, code: code), actor: actor.name)
            if output.json { try Output.json(organisation) } else { Output.line([organisation.name, organisation.code ?? "-"].joined(separator: "\t")) }
        }
    }
}
