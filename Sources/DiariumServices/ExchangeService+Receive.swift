#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumExchange
import DiariumStorage
import Foundation

/// How the receiver answered an interchange.
public struct ReceiveResult: Sendable {
    /// The inbox entry (for a refused reuse of a control reference: the interchange that first used it).
    public let record: InterchangeRecord
    public let receipt: Receipt
    /// The receipt envelope as sent back (and stored).
    public let receiptXML: [UInt8]
    /// The same interchange delivered again: answered with the stored receipt, nothing registered.
    public let duplicate: Bool
}

/// What `receiveFile` found in a file: an interchange (answered), or a receipt for one of ours (stored).
public enum ReceivedFile: Sendable {
    case interchange(ReceiveResult, receiptPath: String)
    case receipt(InterchangeRecord)
}

extension ExchangeService {
    /// EDIFACT interchanges are descriptions, far smaller than their packages.
    static let maxEDIFACTBytes = 64 << 20

    // MARK: Checks before the payload

    /// The party presenting this inbound token, if any (constant-time digest comparison per party).
    public func party(presenting token: String) throws(DiariumError) -> PartyID? {
        try store.catalog.read { access in
            for party in try access.parties() where party.hasInboundToken {
                if try access.partyCredentials(party.id)?.accepts(token) == true { return party.id }
            }
            return nil
        }
    }

    /// Reads and checks an interchange's envelope before its payload is read: XSD and rules, addressed to this store,
    /// from a known party (the authenticated one, when given), carrying a payload. Throws naming the element.
    public func checkEnvelope(_ bytes: [UInt8], source: String, from authenticated: PartyID?) throws(DiariumError) -> Envelope {
        let envelope = try Envelope.read(bytes, source: source)
        try store.catalog.read { access in try Self.checkAddressing(envelope, from: authenticated, access) }
        return envelope
    }

    static func checkAddressing(_ envelope: Envelope, from authenticated: PartyID?, _ access: CatalogAccess) throws {
        guard envelope.payload != nil else {
            throw DiariumError(.invalidField, "a receipt is not an interchange to register: it answers one of ours", field: "/interchange/messageType")
        }
        let own = try requireIdentity(access)
        guard envelope.recipient == own else {
            throw DiariumError(.invalidField, "the interchange is addressed to \(envelope.recipient), this store is \(own)",
                               field: "/interchange/recipient")
        }
        if let authenticated, envelope.sender != authenticated {
            throw DiariumError(.forbidden, "it comes from party \(authenticated), but the envelope's sender is \(envelope.sender)",
                               field: "/interchange/sender")
        }
        guard try access.party(envelope.sender) != nil else {
            throw DiariumError(.notFound, "sender \(envelope.sender) is not a known party (add it with `diarium party add`)",
                               field: "/interchange/sender")
        }
    }

    // MARK: Receiving

    /// Receives an E-ARK interchange whose envelope passed `checkEnvelope`: the payload must have the envelope's size
    /// and SHA-256; the package is read and checked by the archival import and registered with new numbers in the
    /// party's receiving series (the sender's numbers kept as external references). Registration, the inbox entry and
    /// the receipt are ONE transaction. A rejection registers nothing and is recorded with its receipt; a known
    /// control reference is answered from the inbox (same payload: the stored receipt; another: a rejection).
    /// Throws, recording nothing, when the payload does not match the envelope (damaged on the way: the sender resends
    /// the same interchange) and for storage failures (it may resend too).
    public func receive(_ envelope: Envelope, payloadAt path: String, records: RecordsService,
                        actor: String) throws(DiariumError) -> ReceiveResult {
        guard let payload = envelope.payload else { throw .invalid("/interchange/messageType", "a receipt is not an interchange to register") }
        guard payload.format == .earkSIP else {
            throw .invalid("/interchange/payload/@format", "an EDIFACT interchange is received from its file with the package beside it")
        }
        return try register(envelope, packagePath: path, records: records, actor: actor, checkPayload: {
            () throws(DiariumError) in
            // Bytes that do not match their envelope were damaged on the way (or the sender's envelope is wrong): not
            // a verdict to record under the control reference, which would answer every later, intact resend with it.
            // Damage, as a package that does not match its METS is (`unreadableFile`: exit 6).
            func checkSize(_ size: Int64) throws(DiariumError) {
                if size != payload.size {
                    throw DiariumError(.unreadableFile, "the payload \(payload.name) is \(size) bytes, the envelope says \(payload.size); nothing was "
                                       + "recorded: send the interchange again", field: Self.payloadSizeField)
                }
            }
            // Sized before a byte is read; one that grows meanwhile is caught by the count after.
            let (sha256, size) = try ExchangeFiles.digest(path, checkSize: checkSize)
            try checkSize(size)
            if sha256 != payload.sha256 {
                throw DiariumError(.unreadableFile, "the payload's SHA-256 is \(sha256), the envelope says \(payload.sha256): it was changed or "
                                   + "damaged after the envelope was made; nothing was recorded: send the interchange again",
                                   field: Self.payloadDigestField)
            }
        }, crossCheck: nil)
    }

    /// Receives a DIAREC EDIFACT interchange and the package beside it: the UNB is the envelope (parties, control
    /// reference), the package is imported like any interchange, and inside the same transaction every document
    /// the EDIFACT describes must be what was registered (metadata, status, content size, SHA-256, name and media type), or nothing is.
    public func receiveEDIFACT(at ediPath: String, packageAt packagePath: String, from authenticated: PartyID, records: RecordsService,
                               actor: String) throws(DiariumError) -> ReceiveResult {
        let bytes = try ExchangeFiles.readSmall(ediPath, limit: Self.maxEDIFACTBytes, field: "file")
        return try receiveEDIFACT(try EDIFACTTransfer.read(bytes), bytes: bytes, name: (ediPath as NSString).lastPathComponent,
                                  packageAt: packagePath, from: authenticated, records: records, actor: actor)
    }

    func receiveEDIFACT(_ edi: EDIFACTTransfer, bytes: [UInt8], name: String, packageAt packagePath: String, from authenticated: PartyID?,
                        records: RecordsService, actor: String) throws(DiariumError) -> ReceiveResult {
        let envelope = try Envelope(
            sender: edi.sender, recipient: edi.recipient, controlReference: edi.controlReference, created: edi.created,
            messageType: edi.transfer.messageType, references: edi.references,
            content: .payload(try PayloadDescriptor(name: name, size: Int64(bytes.count), sha256: SHA256Hex.of(bytes), format: .edifact)))
        try store.catalog.read { access in try Self.checkAddressing(envelope, from: authenticated, access) }
        guard ExchangeFiles.exists(packagePath) else {
            throw DiariumError(.unreadableFile, "the package \(packagePath) the EDIFACT interchange describes is missing beside it", field: "file")
        }
        let transfer = edi.transfer
        return try register(envelope, packagePath: packagePath, records: records, actor: actor, damageIsRetried: true,
                            crossCheck: { access, links in try Self.check(transfer, against: links, access) })
    }

    /// Receives what a file holds: an envelope (`REF.xml`, its package named by the envelope beside it) or a DIAREC
    /// EDIFACT interchange (`REF.edi`, the package `REF.tar` beside it); the receipt is written beside it as
    /// `REF.receipt.xml`. A receipt envelope answering one of ours is stored in the outbox instead.
    public func receiveFile(at given: String, from expected: PartyID?, records: RecordsService, actor: String) throws(DiariumError) -> ReceivedFile {
        let path = try Self.interchangeFile(given)
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let bytes = try ExchangeFiles.readSmall(path, limit: Self.maxEDIFACTBytes, field: "file")
        let result: ReceiveResult
        if bytes.starts(with: "UNA".utf8) || bytes.starts(with: "UNB".utf8) {
            let edi = try EDIFACTTransfer.read(bytes)
            result = try receiveEDIFACT(edi, bytes: bytes, name: (path as NSString).lastPathComponent,
                                        packageAt: "\(directory)/\(edi.controlReference).tar", from: try Self.named(expected, says: edi.sender),
                                        records: records, actor: actor)
        } else {
            let envelope = try Envelope.read(bytes, source: (path as NSString).lastPathComponent)
            if envelope.receipt != nil {
                if let expected, envelope.sender != expected {
                    throw DiariumError(.invalidField, "the receipt comes from \(envelope.sender), not \(expected)", field: "/interchange/sender")
                }
                return .receipt(try recordReceipt(envelope, xml: bytes, actor: actor))
            }
            let from = try Self.named(expected, says: envelope.sender)
            try store.catalog.read { access in try Self.checkAddressing(envelope, from: from, access) }
            result = try receive(envelope, payloadAt: "\(directory)/\(envelope.payload!.name)", records: records, actor: actor)
        }
        let receiptPath = "\(directory)/\(result.record.controlReference).receipt.xml"
        try ExchangeFiles.writeAtomically(result.receiptXML, to: receiptPath)
        return .interchange(result, receiptPath: receiptPath)
    }

    /// The party an interchange read from a file came from, as the one receiving it names it (by the folder or the
    /// channel it arrived through): a file proves nothing about who wrote it, so its envelope's sender is checked
    /// against that, never taken on its word. (A receipt needs none: it must answer one of ours, to the party it went to.)
    static func named(_ expected: PartyID?, says sender: PartyID) throws(DiariumError) -> PartyID {
        guard let expected else {
            throw DiariumError.invalid("from", "name the party this interchange came from (--from): the file says \(sender), "
                                       + "but nothing in a file proves who wrote it")
        }
        return expected
    }

    /// A file as given, or the one interchange in a directory: its single `REF.xml` or `REF.edi` (receipts and
    /// packages are not interchanges to pick).
    static func interchangeFile(_ path: String) throws(DiariumError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DiariumError(.unreadableFile, "cannot read \(path): no such file", field: "file")
        }
        guard isDirectory.boolValue else { return path }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter {
            ($0.hasSuffix(".xml") && !$0.hasSuffix(".receipt.xml")) || $0.hasSuffix(".edi")
        }.sorted()
        guard names.count == 1 else {
            throw DiariumError(.invalidField, names.isEmpty
                ? "\(path) holds no interchange (REF.xml or REF.edi)"
                : "\(path) holds \(names.count) interchanges (\(names.joined(separator: ", "))): name the file", field: "file")
        }
        return "\(path)/\(names[0])"
    }

    // MARK: The one transaction

    /// The fields a payload that does not match its envelope is refused with (the inbox answers them so that the
    /// sender tries again).
    public static let payloadSizeField = "/interchange/payload/@size"
    public static let payloadDigestField = "/interchange/payload/@sha256"

    /// The shared path of both formats. `checkPayload` throws when the payload does not match the envelope (after a
    /// known control reference is answered: its stored receipt needs no hashing); `crossCheck` runs inside the
    /// registering transaction.
    func register(_ envelope: Envelope, packagePath: String, records: RecordsService, actor: String,
                  checkPayload: () throws(DiariumError) -> Void = {}, damageIsRetried: Bool = false,
                  crossCheck: (@Sendable (CatalogAccess, [NumberLink]) throws -> Void)?) throws(DiariumError) -> ReceiveResult {
        let actor = try TextRules.line(actor, field: "actor", maxLength: 200)
        let payload = envelope.payload!
        let now = clock.now()
        let receiptReference = ControlReference.generate(at: now)
        if let known = try store.catalog.read({ access in
            try access.interchange(direction: .inbound, sender: envelope.sender, controlReference: envelope.controlReference)
        }) {
            return try answerKnown(known, envelope, receiptReference: receiptReference, actor: actor)
        }
        try checkPayload()
        let party = try self.party(envelope.sender)
        // The receiver's own setup, not the interchange: nothing is recorded (a rejection would answer every later
        // delivery of it), so the sender delivers it again once the series is set.
        guard let series = party.receivingSeries else {
            throw DiariumError(.invalidState, "no receiving series is set up here for party \(envelope.sender), so nothing was registered or "
                               + "recorded: set one (`diarium party update \(envelope.sender) --series CODE`), then have it delivered again",
                               field: "/interchange/sender")
        }

        let answered = ResultBox<ReceiveResult>()
        let clock = self.clock
        // The package as the sender named it: for EDIFACT the .tar beside the .edi (the payload), else the payload (an
        // upload's temp path means nothing to the sender).
        let packageName = payload.format == .edifact ? (packagePath as NSString).lastPathComponent : payload.name
        var options = ImportOptions(numbering: .renumber(into: series), displayName: packageName)
        options.refusingDisposed = true
        options.takesOverClasses = false
        options.takesOverHolds = false
        options.takesOverArchivalCreator = false
        options.registersOnArrival = true
        options.registersAsIncoming = IncomingRegistration(
            sender: party.name, comment: "inkommen från \(party.name) (\(envelope.controlReference)): registered here as it came in")
        // The sender's package inflates to at most a bounded multiple of what arrived (ArchiveLimits.forReceived).
        options.limits = .forReceived(compressedSize: ExchangeFiles.size(packagePath) ?? 0)
        // More documents of a case delivered before join the case that delivery opened (while it is open), as a
        // registrar would file them, rather than each delivery opening a case of its own.
        let sender = envelope.sender
        if envelope.messageType == .documentDelivery {
            options.continuing = { original, access in
                try access.receivedNumber(from: sender, senderNumber: original.description).flatMap { try? CaseNumber(parsing: $0.number) }
            }
        }
        options.inTransaction = { access, report, links in
            // "Accepted" tells the sender it may delete its copy: not for an interchange that registered nothing.
            guard report.documents > 0 else {
                throw DiariumError.invalid("package", "the package holds no document to register: a \(envelope.messageType.rawValue) "
                                           + "must deliver at least one")
            }
            // A case transfer hands over one case (its receiver registers it as one); documents may come from several.
            if envelope.messageType == .caseTransfer && report.cases.count != 1 {
                throw DiariumError.invalid("package", "a caseTransfer carries one case, and the package holds \(report.cases.count): "
                                           + "send each case on its own, or the documents as a documentDelivery")
            }
            // Read the clock here, after the import's own: the audit chain stays in time order.
            let now = clock.now()
            guard case .new = try Self.recordInbound(envelope, actor: actor, at: now, in: access) else {
                // Delivered meanwhile by another request: roll back and answer from the inbox.
                throw DiariumError(.alreadyExists, "interchange \(envelope.controlReference) was received meanwhile", field: "controlReference")
            }
            try crossCheck?(access, links)
            // A document delivered again is registered again (it may have changed); both sides are told it came before.
            var notes: [ExchangeDiagnostic] = []
            for link in links where (try? DocumentNumber(parsing: link.senderNumber)) != nil {
                guard let earlier = try access.receivedNumber(from: sender, senderNumber: link.senderNumber) else { continue }
                notes.append(try ExchangeDiagnostic(
                    code: "received-before",
                    message: "\(link.senderNumber) was received before as \(earlier.number) (interchange \(earlier.controlReference)); "
                        + "registered again as \(link.receiverNumber)",
                    file: packageName))
            }
            let receipt = try Receipt(status: .accepted, payloadSHA256: payload.sha256, assigned: links, diagnostics: notes)
            let answer = try envelope.answer(with: receipt, controlReference: receiptReference, created: now)
            let xml = answer.xml()
            let record = try Self.answerInbound(sender: envelope.sender, controlReference: envelope.controlReference, receipt: answer,
                                                xml: xml, actor: actor, at: now, in: access)
            answered.set(ReceiveResult(record: record, receipt: receipt, receiptXML: xml, duplicate: false))
        }
        // A concurrent registration in the same series can take the case number the import planned; it then refuses
        // with alreadyExists and nothing written, so trying again is safe.
        var attempt = 0
        while true {
            attempt += 1
            do throws(DiariumError) {
                _ = try records.importPackage(at: packagePath, options: options, actor: actor)
                if let result = answered.get() { return result }
                throw DiariumError(.storage, "the import of \(payload.name) finished without recording the interchange")
            } catch {
                if let known = try store.catalog.read({ access in
                    try access.interchange(direction: .inbound, sender: envelope.sender, controlReference: envelope.controlReference)
                }) {
                    return try answerKnown(known, envelope, receiptReference: receiptReference, actor: actor)
                }
                switch error.code {
                case .alreadyExists where attempt < 3:
                    continue
                case .unreadableFile where damageIsRetried:
                    // No digest ties the package to the interchange: a package unreadable or not matching its METS
                    // may be a copy cut off on the way. Recorded, the rejection would answer the intact package too.
                    throw DiariumError(.unreadableFile, error.message + "\nNothing was recorded: deliver the package again "
                                       + "(the same interchange can then be received)", field: error.field)
                case .invalidField, .invalidNumber, .missingLegalReference, .notFound, .invalidState, .unreadableFile, .forbidden:
                    // An EDIFACT segment is in the .edi; anything else the import found is in the package.
                    let file = error.field?.hasPrefix("segment ") == true ? payload.name : packageName
                    return try reject(envelope, Self.diagnostics(error, file: file), receiptReference: receiptReference, actor: actor)
                default:
                    throw error
                }
            }
        }
    }

    /// A redelivery: the stored receipt for the same payload; a rejection naming the control reference for another.
    func answerKnown(_ known: InterchangeRecord, _ envelope: Envelope, receiptReference: ControlReference,
                     actor: String) throws(DiariumError) -> ReceiveResult {
        let payload = envelope.payload!
        if known.payloadSHA256 == payload.sha256, known.messageType == envelope.messageType, let text = known.receipt {
            let xml = Array(text.utf8)
            guard let receipt = try Envelope.read(xml, source: "stored receipt").receipt else {
                throw DiariumError(.integrity, "the stored receipt of \(known.controlReference) from \(known.sender) is not a receipt")
            }
            return ReceiveResult(record: known, receipt: receipt, receiptXML: xml, duplicate: true)
        }
        let receipt = try Receipt(status: .rejected, payloadSHA256: payload.sha256, diagnostics: [try ExchangeDiagnostic(
            code: DiariumError.Code.alreadyExists.rawValue,
            message: "control reference \(envelope.controlReference) from \(envelope.sender) was already used for another interchange "
                + "(SHA-256 \(known.payloadSHA256 ?? "-")); send this one under a new control reference",
            element: "/interchange/controlReference")])
        let answer = try envelope.answer(with: receipt, controlReference: receiptReference, created: clock.now())
        // Not a new inbox entry (the reference is taken); the refusal is audited on the interchange that holds it.
        try store.catalog.write { access in
            var details = AuditDetails()
            details["refusedSha256"] = .string(payload.sha256)
            details["receipt"] = .string(receiptReference.rawValue)
            try Self.audit(known, action: .interchangeStatus, actor: actor, at: clock.now(), access, extra: details)
        }
        return ReceiveResult(record: known, receipt: receipt, receiptXML: answer.xml(), duplicate: false)
    }

    /// Records the interchange with its rejection receipt, registering nothing.
    func reject(_ envelope: Envelope, _ diagnostics: [ExchangeDiagnostic], receiptReference: ControlReference,
                actor: String) throws(DiariumError) -> ReceiveResult {
        let now = clock.now()
        let receipt = try Receipt(status: .rejected, payloadSHA256: envelope.payload?.sha256, diagnostics: diagnostics)
        let answer = try envelope.answer(with: receipt, controlReference: receiptReference, created: now)
        let xml = answer.xml()
        let outcome = try store.catalog.write { access -> InterchangeRecord? in
            guard case .new = try Self.recordInbound(envelope, actor: actor, at: now, in: access) else { return nil }
            return try Self.answerInbound(sender: envelope.sender, controlReference: envelope.controlReference, receipt: answer, xml: xml,
                                          actor: actor, at: now, in: access)
        }
        guard let record = outcome else {
            let known = try interchange(direction: .inbound, sender: envelope.sender, controlReference: envelope.controlReference)
            return try answerKnown(known, envelope, receiptReference: receiptReference, actor: actor)
        }
        return ReceiveResult(record: record, receipt: receipt, receiptXML: xml, duplicate: false)
    }

    /// An import's refusal as receipt diagnostics: one per reported problem line (`file:line <element>: message`),
    /// each naming the package file, and the element or EDIFACT segment the error names.
    static func diagnostics(_ error: DiariumError, file: String) -> [ExchangeDiagnostic] {
        let lines = error.message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let details = lines.count > 1 ? Array(lines.dropFirst()) : lines
        var segment: String?
        var element = error.field ?? "package"
        if let field = error.field, field.hasPrefix("segment ") {
            segment = String(field.dropFirst("segment ".count))
            element = "/"
        }
        return details.compactMap { line in
            try? ExchangeDiagnostic(code: error.code.rawValue, message: line, element: segment == nil ? element : nil, file: file, segment: segment)
        }
    }

    /// The EDIFACT description against what the import registered: the same documents, metadata, status and content.
    /// A difference is taken as damage on the way, as an unreadable package is: nothing is recorded, so the intact copy
    /// of the same interchange can still be received (no digest ties the .edi to what it describes).
    static func check(_ transfer: TransferredRecords, against links: [NumberLink], _ access: CatalogAccess) throws {
        func fail(_ segment: String, _ message: String) -> DiariumError {
            DiariumError(.unreadableFile, "the package does not match the EDIFACT interchange: \(message)", field: "segment \(segment)")
        }
        let local = Dictionary(links.map { ($0.senderNumber, $0.receiverNumber) }, uniquingKeysWith: { first, _ in first })
        if let caseFile = transfer.caseFile {
            guard let number = local[caseFile.number.description].flatMap({ try? CaseNumber(parsing: $0) }),
                  let stored = try access.caseRecord(number) else {
                throw fail("IDE+ZCA+\(caseFile.number)", "case \(caseFile.number) is not in the package")
            }
            // What the public may see of the case must be what both descriptions say.
            let r = stored.record
            guard r.title == caseFile.title, r.publicTitle == caseFile.publicTitle, r.restriction == caseFile.restriction else {
                throw fail("IDE+ZCA+\(caseFile.number)", "the title, public title or title restriction of case \(caseFile.number) differs")
            }
        }
        let packaged = links.filter { (try? DocumentNumber(parsing: $0.senderNumber)) != nil }.count
        guard packaged == transfer.documents.count else {
            throw fail("CNT+ZDC", "the EDIFACT interchange describes \(transfer.documents.count) documents, the package holds \(packaged)")
        }
        for document in transfer.documents {
            let segment = "DOC+\(document.number)"
            guard let number = local[document.number.description].flatMap({ try? DocumentNumber(parsing: $0) }),
                  let stored = try access.document(number) else {
                throw fail(segment, "document \(document.number) is not in the package")
            }
            let current = stored.record.current
            guard current.metadata == document.metadata else {
                let fields = RecordsService.changedFields(document.metadata, current.metadata)
                throw fail(segment, "the metadata of \(document.number) differs (\(fields.isEmpty ? "restriction" : fields.joined(separator: ", ")))")
            }
            guard current.status == document.status else {
                throw fail("STS+ZDS (\(document.number))", "\(document.number) is \(current.status.rawValue) in the package, \(document.status.rawValue) in EDIFACT")
            }
            switch (current.content, document.file) {
            case (nil, nil): break
            case (let content?, let file?) where content.sha256 == file.sha256 && content.size == file.size
                                              && content.originalName == file.originalName && content.mediaType == file.mediaType: break
            case (_, let file?):
                throw fail("EFI+\(file.path)", "the content of \(document.number) in the package is not the file the EDIFACT names "
                           + "(size, SHA-256, original name and media type)")
            case (_?, nil):
                throw fail(segment, "\(document.number) has content in the package but no EFI in the EDIFACT interchange")
            }
        }
    }
}
