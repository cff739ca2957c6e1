import ArgumentParser
import DiariumCore
import DiariumServices
import Foundation

/// A party's tokens, given on the command line or read from a file (`-`: standard input), so that they need not
/// stand in the process list and the shell's history for every local account to read.
struct PartyTokenOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The token presented to the party's inbox (16–512 printable characters).", valueName: "token"))
    var token: String?
    @Option(name: .customLong("token-file"),
            help: ArgumentHelp("Read --token from the first line of this file (- for standard input).", valueName: "file"))
    var tokenFile: String?
    @Option(name: .customLong("inbound-token"),
            help: ArgumentHelp("The token the party presents to this store, when it differs from --token.", valueName: "token"))
    var inboundToken: String?
    @Option(name: .customLong("inbound-token-file"),
            help: ArgumentHelp("Read --inbound-token from the first line of this file (- for standard input).", valueName: "file"))
    var inboundTokenFile: String?

    func outbound() throws -> String? { try Self.secret(token, tokenFile, option: "token") }
    func inbound() throws -> String? { try Self.secret(inboundToken, inboundTokenFile, option: "inbound-token") }

    func validate() throws {
        if tokenFile == "-" && inboundTokenFile == "-" {
            throw ValidationError("only one token can be read from standard input (--token-file - or --inbound-token-file -)")
        }
    }

    static func secret(_ given: String?, _ file: String?, option: String) throws -> String? {
        guard let file else { return given }
        guard given == nil else { throw DiariumError.invalid(option, "give --\(option) or --\(option)-file, not both") }
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let read = FileManager.default.contents(atPath: file) else {
                throw DiariumError(.unreadableFile, "cannot read \(file) (--\(option)-file)", field: option + "-file")
            }
            data = read
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DiariumError.invalid(option + "-file", "\(file == "-" ? "standard input" : file) is not UTF-8 text")
        }
        // Its first line, as `echo "$TOKEN" > file` or a password manager writes it.
        // Character-wise: "\r\n" is one Character, a line break as "\n" is.
        return String(text.split(maxSplits: 1, omittingEmptySubsequences: false, whereSeparator: \.isNewline).first ?? "")
    }
}

struct PartyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "party",
        abstract: "Manage the parties (departments, municipalities) records are exchanged with.",
        subcommands: [Add.self, Update.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a party.",
            discussion: prose("""
                --token is the token this store presents to the party's inbox. Unless --inbound-token is given, the party
                presents the same token to this store's inbox (one shared secret per pair); only its SHA-256 is kept for
                that check. Tokens are never printed, logged or put in the audit log. --token-file and --inbound-token-file
                read them from a file's first line (- for standard input), so that they stand in no process list or history.

                Example:
                  diarium party add "Timrå kommun, barn- och utbildning" --id timra-bun --url https://diarium.timra.se \\
                      --token-file /etc/diarium/timra.token --series BUN
                """))

        @Argument(help: "The party's name.") var name: String
        @Option(help: "The agreed party id: 1–35 letters, digits, '.', '_' or '-'.") var id: String
        @Option(help: ArgumentHelp("Base URL of the party's Diarium (its inbox is URL/api/v1/exchange/inbox).", valueName: "url"))
        var url: String?
        @OptionGroup var tokens: PartyTokenOptions
        @Option(help: ArgumentHelp("The local series documents from this party are registered in.", valueName: "code"))
        var series: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let request = NewParty(id: try PartyID(parsing: id), name: name, url: url, outboundToken: try tokens.outbound(),
                                   inboundToken: try tokens.inbound(), receivingSeries: try series.map { try seriesCode($0) })
            let party = try ExchangeService(records: try store.open()).addParty(request, actor: actor.name)
            if output.json { try Output.json(party) } else { Output.line(party.id.rawValue) }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Correct a party: its name, inbox URL, tokens or receiving series.",
            discussion: prose("""
                A new --token replaces a shared token both ways (the party presents the new one here too) unless
                --inbound-token is given as well. --clear removes url, series, token or inbound-token (without an
                inbound token the party can no longer deliver here). Logged as party.update, never with a token.

                Example:
                  diarium party update timra-bun --series BUN
                  pass show diarium/timra | diarium party update timra-bun --token-file -
                """))

        @Argument(help: "The party id.") var id: String
        @Option(help: "The party's name.") var name: String?
        @Option(help: ArgumentHelp("Base URL of the party's Diarium.", valueName: "url")) var url: String?
        @OptionGroup var tokens: PartyTokenOptions
        @Option(help: ArgumentHelp("The local series documents from this party are registered in.", valueName: "code"))
        var series: String?
        @Option(help: ArgumentHelp("Remove url, series, token or inbound-token.", valueName: "field")) var clear: [String] = []
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            var change = PartyChange()
            let token = try tokens.outbound(), inboundToken = try tokens.inbound()
            change.name = name
            if let url { change.url = .some(url) }
            if let token { change.outboundToken = .some(token) }
            if let inboundToken { change.inboundToken = .some(inboundToken) }
            if let series { change.receivingSeries = .some(try seriesCode(series)) }
            for field in clear {
                func conflict(_ isSet: Bool, _ option: String) throws {
                    guard !isSet else { throw DiariumError.invalid("clear", "'--clear \(field)' contradicts \(option) in the same command") }
                }
                switch field {
                case "url": try conflict(url != nil, "--url"); change.url = .some(nil)
                case "series": try conflict(series != nil, "--series"); change.receivingSeries = .some(nil)
                case "token": try conflict(token != nil, "--token"); change.outboundToken = .some(nil)
                case "inbound-token": try conflict(inboundToken != nil, "--inbound-token"); change.inboundToken = .some(nil)
                default: throw DiariumError.invalid("clear", "cannot clear '\(field)': use url, series, token or inbound-token")
                }
            }
            let party = try ExchangeService(records: try store.open()).updateParty(try PartyID(parsing: id), change, actor: actor.name)
            if output.json { try Output.json(party) } else { Output.line(party.id.rawValue) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the parties (never their tokens).",
                                                        discussion: prose("Example: diarium party list --json"))

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let parties = try ExchangeService(records: try store.open()).parties()
            if output.json { return try Output.json(parties) }
            if parties.isEmpty { Output.note("no parties yet (add one with `diarium party add`)") }
            for party in parties {
                let tokens = (party.hasOutboundToken ? "token" : "no token") + (party.hasInboundToken ? ", inbound token" : "")
                Output.line([party.id.rawValue, party.name, party.url ?? "-", party.receivingSeries?.rawValue ?? "-", tokens]
                    .joined(separator: "\t"))
            }
        }
    }
}
