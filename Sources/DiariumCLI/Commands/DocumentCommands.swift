#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import DiariumCore
import DiariumServices
import Foundation

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Add content versions to a document.",
        subcommands: [Add.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new content version (draft documents only).",
            discussion: prose("Example: diarium version add \"KS 2026/14-3\" plan-v2.pdf --comment \"Efter remiss\""))

        @Argument(help: "The document number, e.g. \"KS 2026/14-3\".") var number: String
        @Argument(help: "The file with the new content.") var file: String
        @Option(help: "Why the content changed.") var comment: String?
        @Option(name: .customLong("media-type"), help: "Media type (default: from the file name; plain text gets the charset its bytes are in).") var mediaType: String?
        @OptionGroup var expected: ExpectedVersionOption
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let record = try store.open().addVersion(try DocumentNumber(parsing: typedNumber(number)), file: file, mediaType: mediaType,
                                                     comment: comment, expectedVersion: try expected.version(), actor: actor.name)
            if output.json { try Output.json(record) } else { Output.line("\(record.number) version \(record.current.number)") }
        }
    }
}

struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Correct a document's metadata; makes a new version.",
        discussion: prose("""
            Allowed on draft and final documents (a correction is versioned and audited), not on archived ones.
            --clear removes an optional field: publicTitle, date, sender, recipient, class, restriction.

            Examples:
              diarium update "KS 2026/14-3" --title "Handlingsplan 2026 (reviderad)" --comment "Stavfel"
              diarium update "KS 2026/14-3" --restrict secrecy --legal "OSL 21 kap. 1 §"
              diarium update "KS 2026/14-3" --clear restriction --comment "Sekretessen har upphört"
            """))

    @Argument(help: "The document number.") var number: String
    @Option(help: "The new title.") var title: String?
    @Option(name: .customLong("public-title"), help: "A title to show the public while the restriction hides the title.") var publicTitle: String?
    @Option(help: "Record type: actionPlan, decision, serviceRecord, letter, minutes, report, other.") var type: String?
    @Option(help: "incoming, outgoing or internal.") var direction: String?
    @Option(help: "The document's own date, YYYY-MM-DD.") var date: String?
    @Option(help: "Sender (for incoming documents).") var sender: String?
    @Option(help: "Recipient (for outgoing documents).") var recipient: String?
    @Option(name: .customLong("class"), help: "Classification code, e.g. 2.4.") var classification: String?
    @OptionGroup var restriction: RestrictionOptions
    @Option(help: "Clear an optional field (repeatable).") var clear: [String] = []
    @Option(help: "Why the metadata changed.") var comment: String?
    @OptionGroup var expected: ExpectedVersionOption
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        var change = MetadataChange()
        change.title = title
        if let publicTitle { change.publicTitle = .some(publicTitle) }
        change.recordType = try type.map { try parseChoice($0, field: "type") }
        change.direction = try direction.map { try parseChoice($0, field: "direction") }
        if let date { change.documentDate = .some(try parseDate(date, field: "date")) }
        if let sender { change.sender = .some(sender) }
        if let recipient { change.recipient = .some(recipient) }
        if let classification { change.classification = .some(classification) }
        let restricting = try restriction.restriction()
        if let restricting {
            change.restriction = .some(restricting)
            change.restrictionKeepsHides = restriction.hide == nil
            change.restrictionKeepsUntil = restriction.until == nil
        }
        for field in clear {
            // A field both set and cleared is a contradiction, not "the last one wins": for a restriction that
            // would silently make the document public.
            func conflict(_ isSet: Bool, _ option: String) throws {
                guard !isSet else { throw DiariumError.invalid("clear", "'--clear \(field)' contradicts \(option) in the same command") }
            }
            switch field {
            case "publicTitle", "public-title": try conflict(publicTitle != nil, "--public-title"); change.publicTitle = .some(nil)
            case "date": try conflict(date != nil, "--date"); change.documentDate = .some(nil)
            case "sender": try conflict(sender != nil, "--sender"); change.sender = .some(nil)
            case "recipient": try conflict(recipient != nil, "--recipient"); change.recipient = .some(nil)
            case "class": try conflict(classification != nil, "--class"); change.classification = .some(nil)
            case "restriction": try conflict(restricting != nil, "--restrict"); change.restriction = .some(nil)
            default:
                throw DiariumError.invalid("clear", "cannot clear '\(field)': use publicTitle, date, sender, recipient, class or restriction")
            }
        }
        let record = try store.open().update(try DocumentNumber(parsing: typedNumber(number)), change, comment: comment,
                                             expectedVersion: try expected.version(), actor: actor.name)
        if output.json { try Output.json(record) } else { Output.line("\(record.number) version \(record.current.number)") }
        if record.current.change == .status {
            Output.note("note: \(record.number) came in, so it is final (inkommen) from version \(record.current.number): its content is "
                        + "fixed, and public unless a restriction hides it")
        }
    }
}

struct FinaliseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finalise",
        abstract: "Make a draft document final (upprättad/fastställd): its content is fixed from now on.",
        discussion: prose("Example: diarium finalise \"KS 2026/14-3\""),
        aliases: ["finalize"])

    @OptionGroup var change: StatusChangeOptions

    func run() throws {
        try change.apply("final") { service, number, comment, expected, actor in
            try service.finalise(number, comment: comment, expectedVersion: expected, actor: actor)
        }
    }
}

struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Mark a final document archived: read-only from now on.",
        discussion: prose("Example: diarium archive \"KS 2026/14-3\""))

    @OptionGroup var change: StatusChangeOptions

    func run() throws {
        try change.apply("archived") { service, number, comment, expected, actor in
            try service.archive(number, comment: comment, expectedVersion: expected, actor: actor)
        }
    }
}

/// The arguments every status change takes, and its output.
struct StatusChangeOptions: ParsableArguments {
    @Argument(help: "The document number.") var number: String
    @Option(help: "A comment for the version.") var comment: String?
    @OptionGroup var expected: ExpectedVersionOption
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption

    func apply(_ status: String, _ change: (RecordsService, DocumentNumber, String?, Int?, String) throws -> DocumentRecord) throws {
        let record = try change(try store.open(), try DocumentNumber(parsing: typedNumber(number)), comment, try expected.version(), actor.name)
        if output.json { try Output.json(record) } else { Output.line("\(record.number) is \(status) (version \(record.current.number))") }
    }
}

extension ShowCommand {
    /// Where the document went out to and came in from, one interchange after the other: "sent to timra-bun in
    /// 01JQ… (accepted: BUN 2026/3-1)", "received from sundsvall-ks in 01JQ… 2026-03-09 14:30; registered there
    /// 2026-03-01 10:00 by anna". Nil when it never was.
    static func exchanged(_ number: DocumentNumber, _ service: RecordsService) throws -> String? {
        let found = try ExchangeService(records: service).interchanges(of: number)
        guard !found.isEmpty else { return nil }
        let registeredThere = try service.registrationWhereItCameFrom(number).map { "registered there \(Output.time($0.at)) by \($0.by)" }
        return found.map { record, other in
            if record.direction == .inbound {
                return "received from \(record.peer) in \(record.controlReference) \(Output.time(record.createdAt))"
                    + (other.map { " (there \($0))" } ?? "") + (registeredThere.map { "; \($0)" } ?? "")
            }
            let state = record.withdrawnAt != nil ? "withdrawn" : record.status.rawValue
            return "sent to \(record.peer) in \(record.controlReference) \(Output.time(record.createdAt)) (\(state)"
                + (other.map { ": \($0)" } ?? "") + ")"
        }.joined(separator: "; ")
    }
}

extension ShowCommand {
    /// `show --json`: the document as `DocumentRecord` encodes it, and beside its keys what `show` says of it besides:
    /// `text` (the text rendition searched), `format` (`{format, current}` once identified; `format` null when no
    /// signature matched) and `interchanges` (each it went out in or came in by). A key is left out when there is
    /// nothing to say.
    struct Shown: Encodable {
        /// Named as `exchange list --json` and the API name an interchange's fields.
        struct Interchange: Encodable {
            let direction: InterchangeDirection
            let sender: PartyID
            let recipient: PartyID
            let controlReference: ControlReference
            let messageType: InterchangeMessageType
            let createdAt: Date
            let status: InterchangeStatus
            let withdrawnAt: Date?
            /// Its number on the other side, once a receipt gave one.
            let otherNumber: String?
            /// For one received: when and by whom the sender registered it.
            let registeredThereAt: Date?
            let registeredThereBy: String?

            static func all(of number: DocumentNumber, _ service: RecordsService) throws -> [Interchange] {
                let found = try ExchangeService(records: service).interchanges(of: number)
                guard !found.isEmpty else { return [] }
                let there = try service.registrationWhereItCameFrom(number)
                return found.map { record, other in
                    let received = record.direction == .inbound
                    return Interchange(direction: record.direction, sender: record.sender, recipient: record.recipient,
                                       controlReference: record.controlReference, messageType: record.messageType,
                                       createdAt: record.createdAt, status: record.status, withdrawnAt: record.withdrawnAt,
                                       otherNumber: other, registeredThereAt: received ? there?.at : nil,
                                       registeredThereBy: received ? there?.by : nil)
                }
            }
        }

        let record: DocumentRecord
        let text: TextRendition?
        let format: (format: FileFormat?, current: Bool)??
        let interchanges: [Interchange]

        private enum Keys: String, CodingKey { case text, format, interchanges }

        func encode(to encoder: any Encoder) throws {
            try record.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encodeIfPresent(text, forKey: .text)
            if case let identified?? = format {
                try container.encode(FormatFinding(format: identified.format, current: identified.current), forKey: .format)
            }
            if !interchanges.isEmpty { try container.encode(interchanges, forKey: .interchanges) }
        }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a document, at its current or an earlier version.",
        discussion: prose("""
            With --json, the document's record with, beside it, what else is shown: "text" (how its content was
            extracted for search: status, extractor, length, message), "format" (its PRONOM format once identified,
            null when no signature matched, and whether by the current signatures) and "interchanges" (each exchange
            it went out in or came in by).

            Example: diarium show "KS 2026/14-3" --version 1 --json
            """))

    @Argument(help: "The document number.") var number: String
    @Option(help: "The version to show (default: the current one).") var version: Int?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let service = try store.open()
        let record = try service.document(try DocumentNumber(parsing: typedNumber(number)), version: version)
        let text = record.disposal != nil ? nil : try record.current.content.flatMap { try service.textRendition(of: $0) }
        // Outer nil: nothing to identify (no content, or disposed of); inner nil: not looked at yet.
        let format = record.disposal != nil ? nil : try record.current.content.map { try service.contentFormat(of: $0) }
        if output.json {
            return try Output.json(Shown(record: record, text: text, format: format,
                                         interchanges: try Shown.Interchange.all(of: record.number, service)))
        }
        let v = record.current
        let m = v.metadata
        let restriction = m.restriction.map { Output.restriction($0.kind, $0.legalReference, hides: $0.hides, until: $0.until) }
        Output.fields([
            ("Document", record.number.description),
            ("Original number", record.originalNumber.map { ref in record.originalCaseNumber.map { "\(ref) (case \($0))" } ?? ref }),
            ("Exchanged", try Self.exchanged(record.number, service)),
            ("Title", m.title), ("Public title", m.publicTitle),
            ("Type", "\(m.recordType.rawValue) (\(m.recordType.swedishName))"), ("Direction", "\(m.direction.rawValue) (\(m.direction.swedishName))"),
            ("Status", v.status.rawValue), ("Date", m.documentDate?.description), ("Sender", m.sender),
            ("Recipient", m.recipient), ("Class", m.classification), ("Restriction", restriction),
            ("Registered", "\(Output.time(record.registeredAt)) by \(record.registeredBy)"),
            ("Version", "\(v.number) (\(v.change.rawValue)) \(Output.time(v.createdAt)) by \(v.author)"),
            ("Comment", v.comment),
            ("Content", v.content.map { "\($0.originalName), \($0.mediaType), \($0.size) bytes" } ?? "none"),
            ("SHA-256", v.content?.sha256),
            ("Format", format.map { identified in
                guard let identified else { return "not identified yet (run `diarium formats identify`)" }
                let found = identified.format.map { "\($0.puid) \($0.nameWithVersion) (\($0.basis.rawValue))" }
                    ?? "unidentified: no PRONOM signature matched"
                return identified.current ? found : "\(found), by earlier signatures (run `diarium formats identify`)"
            }),
            ("Disposed of", record.disposal.map { d in
                "\(Output.time(d.at)) by \(d.by) under \(d.mandate)\(d.schedule.map { " (\($0))" } ?? ""), "
                    + "\(d.years) \(d.years == 1 ? "year" : "years") after the case closed (due \(Timestamp.swedishDate(of: d.dueAt)))"
                    // A document kept on paper had no content here: what the rule disposes of is the paper.
                    + (v.content == nil ? "; it has no content here: the paper original goes under the same rule" : "; the content is gone")
            }),
            ("Text", v.content == nil || record.disposal != nil ? nil : text.map { t in
                t.status == .extracted ? "\(t.length) characters (\(t.extractor)), searchable"
                    : "\(t.status.rawValue)\(t.length > 0 ? ", \(t.length) characters searchable" : ", metadata only")\(t.message.map { ": \($0)" } ?? "")"
            } ?? "not extracted (run `diarium index rebuild --extract`)"),
        ])
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List every version of a document.",
        discussion: prose("Example: diarium history \"KS 2026/14-3\""))

    @Argument(help: "The document number.") var number: String
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let versions = try store.open().history(try DocumentNumber(parsing: typedNumber(number)))
        if output.json { return try Output.json(versions) }
        for v in versions {
            var line = "v\(v.number)\t\(Output.time(v.createdAt))\t\(v.author)\t\(v.change.rawValue)\t\(v.status.rawValue)"
            if let content = v.content { line += "\t\(content.sha256.prefix(12))… \(content.size) B" }
            if let comment = v.comment { line += "\t\(comment)" }
            Output.line(line)
        }
    }
}

struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Write the content of a document version, byte for byte as registered.",
        discussion: prose("""
            Writes to standard output, or atomically to -o FILE (nothing is left at FILE if the stored bytes fail
            their digest check).

            Example: diarium get "KS 2026/14-3" --version 1 -o plan-v1.pdf
            """))

    @Argument(help: "The document number.") var number: String
    @Option(help: "The version (default: the current one).") var version: Int?
    @Option(name: [.short, .customLong("output")], help: "Write to this file instead of standard output.") var outputFile: String?
    @OptionGroup var store: StoreOptions

    func run() throws {
        let service = try store.open()
        let record = try service.document(try DocumentNumber(parsing: typedNumber(number)), version: version)
        try RecordRules.checkContentKept(record)
        guard let content = record.current.content else {
            throw DiariumError(.notFound, "document \(record.number) version \(record.current.number) has no content")
        }
        guard let outputFile else {
            // The digest is known only at the end: the last chunk is held back until it matches, so damaged content
            // never reaches standard output whole (a pipe's reader would take it for the document), as over HTTP.
            var pending: [UInt8] = []
            func flush() throws(DiariumError) {
                let failure: DiariumError? = pending.withUnsafeBytes { bytes in
                    do throws(DiariumError) { try writeAll(1, bytes, "standard output") } catch { return error }
                    return nil
                }
                if let failure { throw failure }
            }
            try service.readContent(content) { chunk throws(DiariumError) in
                try flush()
                pending = Array(chunk)
            }
            return try flush()
        }
        guard !Paths.holdsOtherThanAFile(outputFile) else {
            throw DiariumError(.invalidField, "\(outputFile) is not a regular file (a folder, device, pipe or link): give the path of a file to write, "
                               + "or leave out -o for standard output", field: "output")
        }
        try service.refuseOutputInStore(outputFile, field: "output")
        // Beside it, under a name within NAME_MAX whenever the file's is.
        let name = outputFile.split(separator: "/").last.map(String.init) ?? outputFile
        let temp = "\(Paths.parent(of: outputFile))/.\(Paths.tempStem(name)).diarium-\(getpid())-\(UInt32.random(in: 0 ... .max)).part"
        // Made here, never followed (a link planted at the temp name), and readable by the owner only when restricted.
        let mode: mode_t = record.current.metadata.restriction == nil ? 0o644 : 0o600
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw DiariumError(.storage, "cannot write \(outputFile): \(String(cString: strerror(errno)))") }
        do {
            try service.readContent(content) { chunk throws(DiariumError) in try writeAll(fd, chunk, outputFile) }
            guard fsync(fd) == 0 else { throw DiariumError(.storage, "cannot write \(outputFile): \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        guard rename(temp, outputFile) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw DiariumError(.storage, "cannot write \(outputFile): \(reason)")
        }
    }

    private func writeAll(_ fd: Int32, _ chunk: UnsafeRawBufferPointer, _ name: String) throws(DiariumError) {
        var offset = 0
        while offset < chunk.count {
            let n = write(fd, chunk.baseAddress! + offset, min(chunk.count - offset, WriteSize.maximum))
            if n < 0 {
                if errno == EINTR { continue }
                throw DiariumError(.storage, "cannot write \(name): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}

/// Optimistic concurrency from the command line, as If-Match is over HTTP: the change is refused (exit code 4) when
/// the document has moved on from the version the clerk looked at.
struct ExpectedVersionOption: ParsableArguments {
    @Option(name: .customLong("if-version"), parsing: .unconditional, help: "Only if the document's (or case's) current version is still this one (as `show` or `case show` gave it).")
    var ifVersion: Int?
    /// What case commands took before a case's version counted its closings and reopenings: refused by name, so that
    /// a script passing a description number is told rather than compared with the wrong count.
    @Option(name: .customLong("if-description"), help: .hidden) var ifDescription: Int?

    func version() throws -> Int? {
        if ifDescription != nil {
            throw DiariumError.invalid("if-description", "--if-description is gone: use --if-version with the version `case show` gives "
                                       + "(it counts closings and reopenings too)")
        }
        if let ifVersion, ifVersion < 1 { throw DiariumError.invalid("if-version", "a version number is 1 or more, not \(ifVersion)") }
        return ifVersion
    }
}
