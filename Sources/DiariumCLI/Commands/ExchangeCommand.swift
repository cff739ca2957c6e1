import ArgumentParser
import DiariumCore
import DiariumServices

struct ExchangeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange",
        abstract: "Exchange records with other departments and municipalities.",
        subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List interchanges, newest first, with their status and receipt.",
            discussion: """
                Status: queued, sent, delivered, accepted, rejected.

                Examples:
                  diarium exchange list
                  diarium exchange list --outbox --json
                """)

        @Flag(help: "Only interchanges received.") var inbox = false
        @Flag(help: "Only interchanges sent.") var outbox = false
        @Option(help: ArgumentHelp("Only interchanges with this party.", valueName: "id")) var party: String?
        @Option(help: "At most this many.") var limit = 1000
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func validate() throws {
            if inbox && outbox { throw ValidationError("give --inbox or --outbox, not both (neither lists both)") }
        }

        func run() throws {
            let direction: InterchangeDirection? = inbox ? .inbound : outbox ? .outbound : nil
            let records = try ExchangeService(records: try store.open())
                .interchanges(direction: direction, peer: try party.map { try PartyID(parsing: $0, field: "party") }, limit: limit)
            if output.json { return try Output.json(records) }
            for record in records {
                let box = record.direction == .inbound ? "in  from" : "out to  "
                var line = "\(Output.time(record.createdAt))\t\(box) \(record.peer)\t\(record.controlReference)\t"
                    + "\(record.messageType.rawValue)\t\(record.status.rawValue)"
                if !record.links.isEmpty {
                    line += "\t" + record.links.map { "\($0.senderNumber) → \($0.receiverNumber)" }.joined(separator: ", ")
                }
                if let error = record.lastError, !record.status.isFinal { line += "\tlast attempt: \(error)" }
                Output.line(line)
            }
        }
    }
}
