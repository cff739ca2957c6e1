import ArgumentParser
import DiariumCore
import DiariumExchange
import DiariumServices
import Foundation

struct ExchangeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange",
        abstract: "Exchange records with other departments and municipalities.",
        subcommands: [Identity.self, Send.self, Resend.self, Withdraw.self, Receive.self, List.self])

    struct List: ParsableCommand {
        /// An interchange as `--json` lists it: the record, and whether an attempt holds it now (as the API says).
        struct Listed: Encodable {
            let record: InterchangeRecord
            let attemptUnderWay: Bool

            private enum Keys: String, CodingKey { case attemptUnderWay }

            func encode(to encoder: any Encoder) throws {
                try record.encode(to: encoder)
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(attemptUnderWay, forKey: .attemptUnderWay)
            }
        }

        static let configuration = CommandConfiguration(
            abstract: "List interchanges, newest first, with their status and receipt.",
            discussion: prose("""
                Status: queued, sent, delivered, accepted, rejected; "withdrawn" follows an outbound one that was. One
                still to be delivered shows its last failure and when a server (`diarium serve`) or `exchange resend
                --due` tries it next, or that none will and it waits for `exchange resend` or `exchange withdraw`.

                Examples:
                  diarium exchange list
                  diarium exchange list --outbox --json
                  diarium exchange list --document "KS 2026/14-3"
                  diarium exchange list --limit 50 --after out:sundsvall-ks/01JQ7Z8K4M2P9X
                """))

        @Flag(help: "Only interchanges received.") var inbox = false
        @Flag(help: "Only interchanges sent.") var outbox = false
        @Option(help: ArgumentHelp("Only interchanges with this party.", valueName: "id")) var party: String?
        @Option(help: ArgumentHelp("Only interchanges that carried this document (sent) or brought it (received).",
                                   valueName: "number")) var document: String?
        @Option(help: ArgumentHelp("The next page: after this interchange (the last one listed, as in:SENDER/REF or out:SENDER/REF).",
                                   valueName: "interchange")) var after: String?
        @Option(help: "At most this many.") var limit = 1000
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func validate() throws {
            if inbox && outbox { throw ValidationError("give --inbox or --outbox, not both (neither lists both)") }
        }

        func run() throws {
            let direction: InterchangeDirection? = inbox ? .inbound : outbox ? .outbound : nil
            let exchange = ExchangeService(records: try store.open())
            let peer = try party.map { try PartyID(parsing: $0, field: "party") }
            let cursor = try after.map { try InterchangeKey(parsing: $0) }
            let records = try document.map { try DocumentNumber(parsing: typedNumber($0), field: "document") }.map { number in
                try exchange.interchanges(carrying: number, direction: direction, peer: peer, after: cursor, limit: checkedLimit(limit))
            } ?? exchange.interchanges(direction: direction, peer: peer, after: cursor, limit: checkedLimit(limit))
            if records.count == limit, let last = records.last {
                Output.note("more: --after \(last.key)")
            }
            if output.json {
                return try Output.json(records.map { Listed(record: $0, attemptUnderWay: exchange.attemptUnderWay($0)) })
            }
            if records.isEmpty {
                Output.note("no interchanges" + (direction == nil && party == nil && document == nil ? " yet" : " there"))
            }
            for record in records {
                let box = record.direction == .inbound ? "in  from" : "out to  "
                var line = "\(Output.time(record.createdAt))\t\(box) \(record.peer)\t\(record.controlReference)\t"
                    + "\(record.messageType.rawValue)\t\(record.status.rawValue)"
                    + (record.withdrawnAt.map { " (withdrawn \(Output.time($0)))" } ?? "")
                if !record.links.isEmpty {
                    line += "\t" + record.links.map { "\($0.senderNumber) → \($0.receiverNumber)" }.joined(separator: ", ")
                }
                if let error = record.lastError, !record.status.isFinal { line += "\tlast attempt: \(error)" }
                if record.awaitsDelivery {
                    if let next = record.nextAttemptAt, exchange.attemptUnderWay(record) {
                        line += "\tan attempt is under way (or was cut off: tried again by itself from \(Output.time(next)))"
                    } else if let next = record.nextAttemptAt {
                        line += "\tnext attempt \(Output.time(next))"
                    } else if record.lastError?.hasSuffix("resend or withdraw it") != true {
                        line += "\tno automatic attempt: resend or withdraw it"
                    }
                }
                // Why it was rejected; or, accepted, what the receiver noted (a document it had received before).
                if record.status.isFinal, let receipt = ExchangeOutput.receipt(of: record), !receipt.diagnostics.isEmpty {
                    line += "\t" + receipt.diagnostics.map(\.description).joined(separator: "; ")
                }
                Output.line(line)
            }
        }
    }
}

extension ExchangeCommand {
    struct Identity: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the party id this store goes by in exchanges.",
            discussion: prose("""
                The id is the envelope's sender on everything this store sends, and an interchange must be addressed to
                it to be received. Partners add this store under the same id (`diarium party add … --id`). Set once.

                Example:
                  diarium exchange identity sundsvall-ks
                """))

        @Argument(help: "The party id to set (1–35 letters, digits, '.', '_' or '-').") var id: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions

        func run() throws {
            let exchange = ExchangeService(records: try store.open())
            if let id {
                try exchange.setIdentity(try PartyID(parsing: id), actor: actor.name)
            }
            guard let current = try exchange.identity() else {
                throw DiariumError(.notFound, "this store has no party id for exchanges yet (set it with `diarium exchange identity ID`)")
            }
            Output.line(current.rawValue)
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a case or documents to a party.",
            discussion: prose("""
                Exports the current version of each document with its content as an E-ARK package, puts it in the outbox
                under a new control reference and delivers it to the party's inbox (POST URL/api/v1/exchange/inbox),
                retrying with backoff on transport failures (same control reference and bytes each time). Prints the
                receipt: the numbers the party registered the documents under, or why it rejected them.

                With --out DIR the interchange is written for other transport instead and marked sent:
                  DIR/REF.xml + DIR/REF.tar      (--format eark: the envelope and the package)
                  DIR/REF.edi + DIR/REF.tar      (--format edifact: a UN/EDIFACT DIAREC interchange and the package)
                The receiver runs `diarium exchange receive DIR/REF.xml --from ID` (ID: this store's identity; or REF.edi), writing REF.receipt.xml;
                `diarium exchange receive REF.receipt.xml` here stores that receipt.

                Exit codes: 0 accepted (or written), 8 not delivered (still in the outbox, delivered again by a running
                server or `exchange resend --due` when due, or at once by `exchange resend REF`), 9 rejected by the
                receiver; otherwise as for every command.

                Examples:
                  diarium exchange send --case "KS 2026/14" --to timra-bun
                  diarium exchange send --documents "KS 2026/14-2" "KS 2026/14-3" --to ange --out ./utkorg --format edifact
                """))

        @Option(name: .customLong("case"), help: ArgumentHelp("The case to send, with all its documents.", valueName: "number"))
        var caseNumber: String?
        @Option(parsing: .upToNextOption, help: ArgumentHelp("The documents to send.", valueName: "number"))
        var documents: [String] = []
        @Option(help: ArgumentHelp("The party to send to.", valueName: "id")) var to: String
        @Option(help: ArgumentHelp("Write the interchange into this directory instead of delivering it over HTTP.", valueName: "dir"))
        var out: String?
        @Option(help: ArgumentHelp("eark (envelope + E-ARK package) or edifact (UN/EDIFACT + package; needs --out).", valueName: "format"))
        var format = "eark"
        @Option(help: "Delivery attempts before giving up (HTTP).") var attempts = 6
        @Option(name: .customLong("retry-delay"), help: ArgumentHelp("Seconds before the first retry; doubled each time.", valueName: "seconds"))
        var retryDelay = 1.0
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func validate() throws {
            if (caseNumber == nil) == documents.isEmpty { throw ValidationError("give --case NUMBER or --documents NUMBER…, one of them") }
            if attempts < 1 { throw ValidationError("--attempts must be at least 1") }
            if !(retryDelay >= 0) { throw ValidationError("--retry-delay must not be negative") }
        }

        func run() async throws {
            var selection = SendRequest.Selection.documents(try documents.map { try DocumentNumber(parsing: typedNumber($0)) })
            if let caseNumber { selection = .caseFile(try CaseNumber(parsing: typedNumber(caseNumber))) }
            let payloadFormat: PayloadFormat
            switch format {
            case "eark", "eark-sip": payloadFormat = .earkSIP
            case "edifact": payloadFormat = .edifact
            default: throw DiariumError(.invalidField, "unknown format '\(format)': use eark or edifact", field: "format")
            }
            let records = try store.open()
            if let out { try records.refuseOutputInStore(out + "/interchange", field: "out") }
            let request = SendRequest(selection: selection, recipient: try PartyID(parsing: to, field: "to"), format: payloadFormat, output: out)
            let exchange = ExchangeService(records: records)
            let interrupted = InterruptedDelivery(exchange) { [store] reference in
                try ExchangeService(records: try store.open()).releaseAttempt(reference)
            }
            let result = try await exchange.send(
                request, records: records, transport: ExchangeOutput.sender(attempts: attempts, retryDelay: retryDelay), actor: actor.name)
            interrupted.finished()
            try ExchangeOutput.report(result, json: output.json)
        }
    }

    struct Resend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver an outbox interchange again (same control reference, same bytes).",
            discussion: prose("""
                For an interchange that is queued or delivered without a valid answer (its delivery gave up). A receiver
                that already registered it answers with the same receipt and registers nothing again. Exit codes as for
                `exchange send`.

                --due makes one attempt of every interchange whose next attempt is due, as a server does by itself
                (from cron, for a store no server runs on). Then exit code 8 when any was not delivered.

                Examples:
                  diarium exchange resend 01JQ7Z8K4M2P9X
                  diarium exchange resend --due
                """))

        @Argument(help: "The control reference.") var reference: String?
        @Flag(help: "Every interchange whose next attempt is due, one attempt each.") var due = false
        @Option(help: "Delivery attempts before giving up (6).") var attempts: Int?
        @Option(name: .customLong("retry-delay"), help: ArgumentHelp("Seconds before the first retry; doubled each time (1).", valueName: "seconds"))
        var retryDelay: Double?
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func validate() throws {
            if due == (reference != nil) { throw ValidationError("give a control reference or --due, one of them") }
            if due && (attempts != nil || retryDelay != nil) {
                throw ValidationError("--due makes one attempt of each, as a server does: --attempts and --retry-delay are for one reference")
            }
            if let attempts, attempts < 1 { throw ValidationError("--attempts must be at least 1") }
            if let retryDelay, !(retryDelay >= 0) { throw ValidationError("--retry-delay must not be negative") }
        }

        func run() async throws {
            let records = try store.open()
            let exchange = ExchangeService(records: records)
            let interrupted = InterruptedDelivery(exchange) { [store] reference in
                try ExchangeService(records: try store.open()).releaseAttempt(reference)
            }
            guard let reference else { return try await resendDue(exchange, interrupted) }
            let result = try await exchange.deliver(
                try ControlReference(parsing: reference), transport: ExchangeOutput.sender(attempts: attempts ?? 6, retryDelay: retryDelay ?? 1),
                actor: actor.name)
            interrupted.finished()
            try ExchangeOutput.report(result, json: output.json)
        }

        /// One attempt of each due interchange, as a server makes them (`RedeliveryService`): one that cannot be
        /// attempted is left to a person, and a party that does not answer is tried once.
        private func resendDue(_ exchange: ExchangeService, _ interrupted: InterruptedDelivery) async throws {
            var results: [ExchangeOutput.Answer] = []
            var undelivered = 0
            var silent: [PartyID: Date] = [:]
            let due = try exchange.dueForRedelivery(limit: 1000)
            for (reference, party) in due {
                if let later = silent[party] {
                    try exchange.postponeRedelivery(reference, until: later)
                    undelivered += 1
                    continue
                }
                let result: SendResult
                do throws(DiariumError) {
                    // Taken meanwhile (a server, another run): not this run's.
                    guard try exchange.prepareDueDelivery(reference) != nil else { continue }
                    result = try await exchange.deliver(reference, transport: ExchangeOutput.sender(attempts: 1, retryDelay: 0),
                                                        actor: actor.name)
                    interrupted.finished()
                } catch {
                    interrupted.finished()
                    // Left to a person, or tried again later (`leaveUnattempted`); the run goes on with the others.
                    let stopped = try exchange.leaveUnattempted(reference, because: error)
                    Output.error("\(reference): \(stopped ? "not tried again by itself" : "not attempted now"): \(error.message)")
                    undelivered += 1
                    continue
                }
                if result.failure != nil {
                    undelivered += 1
                    if let next = result.record.nextAttemptAt { silent[party] = next }
                }
                if output.json {
                    results.append(ExchangeOutput.Answer(record: result.record, receipt: result.receipt.map(ExchangeOutput.ReceiptSummary.init),
                                                         duplicate: nil, files: nil, failure: result.failure))
                } else {
                    Output.line("\(reference)\tto \(result.record.recipient)\t\(result.record.status.rawValue)"
                                + (result.failure.map { "\tnot delivered: \($0)" } ?? ""))
                }
            }
            if output.json { try Output.json(results) } else if due.isEmpty { Output.note("nothing is due") }
            if undelivered > 0 { throw ExitCode(ExitCodes.notDelivered) }
        }
    }

    struct Withdraw: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw an outbox interchange still waiting for its receipt: it is not delivered again.",
            discussion: prose("""
                Also one written for other transport (--out) that was lost on the way; its files stay where they were
                written. An outbox interchange's files leave the outbox, and with them the content of its documents, which disposal (gallring) does not
                take while an interchange waiting for its receipt carries them. A receipt that arrives afterwards is still
                recorded (the receiver may have registered the interchange before).

                Example:
                  diarium exchange withdraw 01JQ7Z8K4M2P9X
                """))

        @Argument(help: "The control reference.") var reference: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let (record, underWay) = try ExchangeService(records: try store.open()).withdrawal(try ControlReference(parsing: reference), actor: actor.name)
            if output.json { try Output.json(record) } else { Output.line("\(record.controlReference)\twithdrawn") }
            if underWay {
                Output.note("note: an attempt to deliver it was under way (or was cut off) and may still deliver it: nothing here can "
                            + "stop it; its receipt is then recorded, and `exchange list` shows it as accepted (withdrawn)")
            }
        }
    }

    struct Receive: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Receive an interchange (or a receipt) written to files.",
            discussion: prose("""
                FILE is REF.xml (an envelope; its package, named in it, beside it), REF.edi (a UN/EDIFACT DIAREC interchange;
                the package REF.tar beside it), REF.receipt.xml (a receipt answering one of this store's interchanges), or a
                directory holding one REF.xml or REF.edi.
                An interchange is checked and registered in the party's receiving series, all or nothing; the receipt is
                written beside it as REF.receipt.xml for the sender. Received again: the same receipt, nothing registered.

                An interchange needs --from, the party it came from as you know it (by the folder or channel it arrived
                through): a file proves nothing about who wrote it, so the sender its envelope names must be that party.
                A receipt needs none: it must answer one of this store's interchanges, from the party it was sent to.

                Exit codes: 0 accepted (or receipt stored), 9 rejected (nothing registered; the receipt says why); and,
                with nothing recorded and no receipt written: 2 an envelope or receipt that is not valid or does not answer
                what was sent, or --from missing or not its sender; 3 a file, party or interchange not found; 4 a receipt
                other than the one already stored, or no receiving series set up for the party; 6 a package damaged on the
                way (have it delivered again).

                Examples:
                  diarium exchange receive inkorg/sundsvall-ks/01JQ7Z8K4M2P9X.xml --from sundsvall-ks
                  diarium exchange receive inkorg/sundsvall-ks/01JQ7Z8K4M2P9X.edi --from sundsvall-ks
                  diarium exchange receive utkorg/01JQ7Z8K4M2P9X.receipt.xml
                """))

        @Argument(help: "The envelope, EDIFACT or receipt file, or a directory with one interchange.") var file: String
        @Option(help: ArgumentHelp("The party an interchange came from (its envelope must name it as sender); not for a receipt.", valueName: "id"))
        var from: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let records = try store.open()
            let received = try ExchangeService(records: records).receiveFile(
                at: file, from: try from.map { try PartyID(parsing: $0, field: "from") }, records: records, actor: actor.name)
            switch received {
            case .receipt(let record):
                if output.json { return try Output.json(ExchangeOutput.Answer(record: record, receipt: nil, duplicate: nil, files: nil, failure: nil)) }
                Output.line("\(record.controlReference)\t\(record.status.rawValue) by \(record.recipient)")
                if let receipt = ExchangeOutput.receipt(of: record) { ExchangeOutput.printReceipt(receipt) }
            case .interchange(let result, let receiptPath):
                if output.json {
                    try Output.json(ExchangeOutput.Answer(record: result.record, receipt: ExchangeOutput.ReceiptSummary(result.receipt), duplicate: result.duplicate,
                                                          files: [receiptPath], failure: nil))
                } else {
                    Output.line("\(result.record.controlReference)\tfrom \(result.record.sender)\t\(result.receipt.status.rawValue)"
                                + (result.duplicate ? " (received before: same receipt, nothing registered)" : ""))
                    ExchangeOutput.printReceipt(result.receipt)
                    Output.line("receipt: \(receiptPath)")
                }
                if result.receipt.status == .rejected { throw ExitCode(ExitCodes.interchangeRejected) }
            }
        }
    }
}

/// What send, resend and receive print.
enum ExchangeOutput {
    struct ReceiptSummary: Encodable {
        let status: String
        let assigned: [NumberLink]
        let diagnostics: [ExchangeDiagnostic]

        init(_ receipt: Receipt) {
            status = receipt.status.rawValue
            assigned = receipt.assigned
            diagnostics = receipt.diagnostics
        }
    }

    struct Answer: Encodable {
        let record: InterchangeRecord
        let receipt: ReceiptSummary?
        let duplicate: Bool?
        let files: [String]?
        let failure: String?
    }

    static func sender(attempts: Int, retryDelay: Double) -> InterchangeSender {
        InterchangeSender(policy: RetryPolicy(maxAttempts: attempts, initialDelay: retryDelay))
    }

    static func receipt(of record: InterchangeRecord) -> Receipt? {
        record.receipt.flatMap { try? Envelope.read(Array($0.utf8), source: "stored receipt").receipt }
    }

    static func printReceipt(_ receipt: Receipt) {
        for link in receipt.assigned { Output.line("  \(link.senderNumber) → \(link.receiverNumber)") }
        for diagnostic in receipt.diagnostics { Output.line("  \(diagnostic)") }
    }

    static func report(_ result: SendResult, json: Bool) throws {
        let record = result.record
        if json {
            try Output.json(Answer(record: record, receipt: result.receipt.map(ReceiptSummary.init), duplicate: nil,
                                   files: result.files.isEmpty ? nil : result.files, failure: result.failure))
        } else {
            Output.line("\(record.controlReference)\tto \(record.recipient)\t\(record.status.rawValue)"
                        + " (\(record.attempts) attempt\(record.attempts == 1 ? "" : "s"))")
            for file in result.files { Output.line("  wrote \(file)") }
            if let receipt = result.receipt { printReceipt(receipt) }
        }
        if let failure = result.failure {
            let next = record.nextAttemptAt.map { time in
                "due again at \(Output.time(time)), when a running `diarium serve` or `diarium exchange resend --due` delivers it, "
                    + "or at once: diarium exchange resend \(record.controlReference)"
            } ?? "not tried again by itself: diarium exchange resend \(record.controlReference), or withdraw it"
            Output.error("not delivered: \(failure) (kept in the outbox; \(next))")
            throw ExitCode(ExitCodes.notDelivered)
        }
        if result.receipt?.status == .rejected { throw ExitCode(ExitCodes.interchangeRejected) }
    }
}
