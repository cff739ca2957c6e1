import ArgumentParser
import DiariumCore
import DiariumServices

struct PartyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "party",
        abstract: "Manage the parties (departments, municipalities) records are exchanged with.",
        subcommands: [Add.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a party.",
            discussion: """
                --token is the token this store presents to the party's inbox. Unless --inbound-token is given, the party
                presents the same token to this store's inbox (one shared secret per pair); only its SHA-256 is kept for
                that check. Tokens are never printed, logged or put in the audit log.

                Example:
                  diarium party add "Timrå kommun, barn- och utbildning" --id timra-bun --url https://diarium.timra.se \\
                      --token "$TIMRA_TOKEN" --series BUN
                """)

        @Argument(help: "The party's name.") var name: String
        @Option(help: "The agreed party id: 1–35 letters, digits, '.', '_' or '-'.") var id: String
        @Option(help: ArgumentHelp("Base URL of the party's Diarium (its inbox is URL/api/v1/exchange/inbox).", valueName: "url"))
        var url: String?
        @Option(help: ArgumentHelp("The token presented to the party's inbox (16–512 printable characters).", valueName: "token"))
        var token: String?
        @Option(name: .customLong("inbound-token"),
                help: ArgumentHelp("The token the party presents to this store, when it differs from --token.", valueName: "token"))
        var inboundToken: String?
        @Option(help: ArgumentHelp("The local series documents from this party are registered in.", valueName: "code"))
        var series: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let request = NewParty(id: try PartyID(parsing: id), name: name, url: url, outboundToken: token,
                                   inboundToken: inboundToken, receivingSeries: try series.map { try SeriesCode(parsing: $0) })
            let party = try ExchangeService(records: try store.open()).addParty(request, actor: actor.name)
            if output.json { try Output.json(party) } else { Output.line(party.id.rawValue) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the parties (never their tokens).",
                                                        discussion: "Example: diarium party list --json")

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let parties = try ExchangeService(records: try store.open()).parties()
            if output.json { return try Output.json(parties) }
            for party in parties {
                let tokens = (party.hasOutboundToken ? "token" : "no token") + (party.hasInboundToken ? ", inbound token" : "")
                Output.line([party.id.rawValue, party.name, party.url ?? "-", party.receivingSeries?.rawValue ?? "-", tokens]
                    .joined(separator: "\t"))
            }
        }
    }
}
