import DiariumCore
import Foundation

/// A records transfer as a UN/EDIFACT interchange: one DIAREC message (a mutually agreed message type, controlling
/// agency ZZ) inside UNB/UNZ. The segment layout is documented in `Schemas/exchange/EDIFACT.md`; the content files
/// travel beside it in the package, named by EFI and checked by their size (QTY) and SHA-256 (RFF+ZSH).
public struct EDIFACTTransfer: Hashable, Sendable {
    public static let messageType = "DIAREC"
    public static let messageVersion = "1"
    public static let messageRelease = "0"
    public static let controllingAgency = "ZZ"
    /// C108 holds five components of at most 512 characters.
    static let textComponentLength = 512
    static let textComponents = 5

    public let sender: PartyID
    public let recipient: PartyID
    public let controlReference: ControlReference
    /// Second precision (DTM format 204), UTC.
    public let created: Date
    public let references: [ControlReference]
    public let transfer: TransferredRecords

    public init(sender: PartyID, recipient: PartyID, controlReference: ControlReference, created: Date,
                references: [ControlReference] = [], transfer: TransferredRecords) {
        self.sender = sender
        self.recipient = recipient
        self.controlReference = controlReference
        self.created = Date(timeIntervalSince1970: (created.timeIntervalSince1970).rounded(.down))
        self.references = references
        self.transfer = transfer
    }

    // MARK: Writing

    /// The interchange as ISO 8859-1 bytes (UNOC:3). Throws naming the segment when a value cannot be carried:
    /// a character outside ISO 8859-1, or a text longer than FTX can hold (5 × 512 characters).
    public func edifact(serviceStringAdvice: Bool = true) throws(DiariumError) -> [UInt8] {
        var body: [EDIFACTSegment] = [
            EDIFACTSegment("BGM", [[transfer.messageType.rawValue], [controlReference.rawValue], ["9"]]),
            EDIFACTSegment("DTM", [["137", EDIFACTDate.format204(created), "204"]]),
        ]
        for reference in references { body.append(EDIFACTSegment("RFF", [["ACW", reference.rawValue]])) }
        if let caseFile = transfer.caseFile {
            body.append(EDIFACTSegment("IDE", [["ZCA"], [caseFile.number.description]]))
            body.append(try Self.text("ZTI", caseFile.title, what: "case \(caseFile.number) title"))
            if let publicTitle = caseFile.publicTitle { body.append(try Self.text("ZPT", publicTitle, what: "case \(caseFile.number) public title")) }
            if let classification = caseFile.classification {
                body.append(try Self.text("ZCL", classification, what: "case \(caseFile.number) classification"))
            }
            if let restriction = caseFile.restriction {
                body += try Self.restriction(restriction, what: "case \(caseFile.number)")
            }
        }
        for document in transfer.documents {
            let m = document.metadata
            let what = "document \(document.number)"
            body.append(EDIFACTSegment("DOC", [[m.recordType.rawValue], [document.number.description]]))
            body.append(try Self.text("ZTI", m.title, what: "\(what) title"))
            if let publicTitle = m.publicTitle { body.append(try Self.text("ZPT", publicTitle, what: "\(what) public title")) }
            if let classification = m.classification { body.append(try Self.text("ZCL", classification, what: "\(what) classification")) }
            if let sender = m.sender { body.append(try Self.text("ZSE", sender, what: "\(what) sender")) }
            if let recipient = m.recipient { body.append(try Self.text("ZRE", recipient, what: "\(what) recipient")) }
            body.append(EDIFACTSegment("STS", [["ZDR"], [m.direction.rawValue]]))
            body.append(EDIFACTSegment("STS", [["ZDS"], [document.status.rawValue]]))
            if let date = m.documentDate { body.append(EDIFACTSegment("DTM", [["ZDD", EDIFACTDate.format102(date), "102"]])) }
            body.append(EDIFACTSegment("DTM", [["ZRG", EDIFACTDate.format204(document.registeredAt), "204"]]))
            if let restriction = m.restriction { body += try Self.restriction(restriction, what: what) }
            if let file = document.file {
                body.append(EDIFACTSegment("EFI", [[file.path, file.originalName], [file.mediaType]]))
                body.append(EDIFACTSegment("QTY", [["ZSZ", String(file.size)]]))
                body.append(EDIFACTSegment("RFF", [["ZSH", file.sha256]]))
            }
        }
        body.append(EDIFACTSegment("CNT", [["ZDC", String(transfer.documents.count)]]))
        let message = EDIFACTMessage(reference: "1", type: Self.messageType, version: Self.messageVersion,
                                     release: Self.messageRelease, agency: Self.controllingAgency, body: body)
        let interchange = EDIFACTInterchange(sender: sender.rawValue, recipient: recipient.rawValue, prepared: created,
                                             controlReference: controlReference.rawValue,
                                             applicationReference: Self.messageType, messages: [message])
        return try interchange.render(serviceStringAdvice: serviceStringAdvice)
    }

    /// `FTX+ZRS++kind:hides+legal reference'`, then `DTM+ZRU` with its last day when it has one.
    static func restriction(_ restriction: AccessRestriction, what: String) throws(DiariumError) -> [EDIFACTSegment] {
        var segment = try Self.text("ZRS", restriction.legalReference, what: "\(what) legal reference")
        segment.elements[2] = [restriction.kind.rawValue, restriction.hides.map(\.rawValue).joined(separator: ",")]
        guard let until = restriction.until else { return [segment] }
        return [segment, EDIFACTSegment("DTM", [["ZRU", EDIFACTDate.format102(until), "102"]])]
    }

        /// `FTX+qualifier+++text'`, the text cut into C108's components.
    static func text(_ qualifier: String, _ value: String, what: String) throws(DiariumError) -> EDIFACTSegment {
        var chunks: [String] = []
        var rest = Substring(value)
        while !rest.isEmpty {
            chunks.append(String(rest.prefix(textComponentLength)))
            rest = rest.dropFirst(textComponentLength)
        }
        guard chunks.count <= textComponents else {
            throw .invalid(what, "\(what) is longer than FTX can carry (\(textComponents * textComponentLength) characters)")
        }
        return EDIFACTSegment("FTX", [[qualifier], [], [], chunks.isEmpty ? [""] : chunks])
    }

    // MARK: Reading

    /// Reads an interchange written by `edifact()` (or by a partner following `EDIFACT.md`). Every error names the
    /// segment by its position and tag, e.g. `segment 9 (DTM): …`.
    public static func read(_ bytes: [UInt8]) throws(DiariumError) -> EDIFACTTransfer {
        let interchange = try EDIFACTInterchange.parse(bytes)
        let unb = EDIFACTSegment("UNB", [], index: 1)
        func fail(_ segment: EDIFACTSegment, _ message: String) -> DiariumError {
            DiariumError(.invalidField, "segment \(segment.label): \(message)", field: "segment \(segment.label)")
        }
        guard let sender = PartyID(rawValue: interchange.sender) else { throw fail(unb, "sender '\(interchange.sender)' is not a party id") }
        guard let recipient = PartyID(rawValue: interchange.recipient) else {
            throw fail(unb, "recipient '\(interchange.recipient)' is not a party id")
        }
        guard let controlReference = ControlReference(rawValue: interchange.controlReference) else {
            throw fail(unb, "control reference '\(interchange.controlReference)' must be 1–14 letters or digits")
        }
        guard interchange.messages.count == 1, let message = interchange.messages.first else {
            throw fail(unb, "expected exactly one \(messageType) message, found \(interchange.messages.count)")
        }
        let unh = EDIFACTSegment("UNH", [], index: 2)
        guard message.type == messageType, message.version == messageVersion, message.agency == controllingAgency else {
            throw fail(unh, "message type \(message.type):\(message.version):\(message.release):\(message.agency) is not "
                            + "\(messageType):\(messageVersion):\(messageRelease):\(controllingAgency)")
        }
        var cursor = MessageCursor(segments: message.body, after: unh)
        let bgm = try cursor.take("BGM")
        guard let type = InterchangeMessageType(rawValue: bgm.value(0)), type != .receipt else {
            throw fail(bgm, "document name '\(bgm.value(0))' must be caseTransfer or documentDelivery")
        }
        guard bgm.value(1) == controlReference.rawValue else {
            throw fail(bgm, "document number '\(bgm.value(1))' must repeat the interchange control reference \(controlReference)")
        }
        let created = try cursor.dateTime("137")
        var references: [ControlReference] = []
        while let rff = cursor.next(tag: "RFF", qualifier: "ACW") {
            guard let reference = ControlReference(rawValue: rff.value(0, 1)) else {
                throw fail(rff, "'\(rff.value(0, 1))' is not a control reference")
            }
            references.append(reference)
        }
        var caseFile: TransferredCase?
        if let ide = cursor.next(tag: "IDE", qualifier: "ZCA") {
            let number: CaseNumber
            do { number = try CaseNumber(parsing: ide.value(1)) } catch { throw fail(ide, error.message) }
            let title = try cursor.text("ZTI"), publicTitle = try cursor.optionalText("ZPT")
            let classification = try cursor.optionalText("ZCL")
            let restriction = try readRestriction(&cursor)
            // A public title without a ground (senders from before case grounds) is taken as it comes, as packages are.
            if restriction != nil {
                do { try RecordRules.checkCaseTitleRestriction(publicTitle: publicTitle, restriction: restriction) } catch {
                    throw fail(ide, "case \(number): \(error.message)")
                }
            }
            caseFile = TransferredCase(number: number, title: title, publicTitle: publicTitle, restriction: restriction,
                                       classification: classification)
        }
        var documents: [TransferredDocument] = []
        while let doc = cursor.next(tag: "DOC") {
            documents.append(try readDocument(doc, &cursor))
        }
        let cnt = try cursor.take("CNT")
        guard cnt.value(0, 0) == "ZDC", cnt.value(0, 1) == String(documents.count) else {
            throw fail(cnt, "control total '\(cnt.value(0, 0)):\(cnt.value(0, 1))' does not match the \(documents.count) documents (ZDC:\(documents.count))")
        }
        if let extra = cursor.peek { throw fail(extra, "unexpected \(extra.tag) after CNT") }
        let transfer: TransferredRecords
        do {
            transfer = try TransferredRecords(messageType: type, caseFile: caseFile, documents: documents)
        } catch {
            throw fail(bgm, error.message)
        }
        return EDIFACTTransfer(sender: sender, recipient: recipient, controlReference: controlReference, created: created,
                               references: references, transfer: transfer)
    }

    /// An optional `FTX+ZRS` with its `DTM+ZRU`.
    private static func readRestriction(_ cursor: inout MessageCursor) throws(DiariumError) -> AccessRestriction? {
        func fail(_ segment: EDIFACTSegment, _ message: String) -> DiariumError {
            DiariumError(.invalidField, "segment \(segment.label): \(message)", field: "segment \(segment.label)")
        }
        guard let ftx = cursor.next(tag: "FTX", qualifier: "ZRS") else { return nil }
        guard let kind = AccessRestriction.Kind(rawValue: ftx.value(2, 0)) else {
            throw fail(ftx, "unknown restriction kind '\(ftx.value(2, 0))': use security, secrecy or privacy")
        }
        var hides: [AccessRestriction.Part] = []
        for part in ftx.value(2, 1).split(separator: ",") {
            guard let value = AccessRestriction.Part(rawValue: String(part)) else { throw fail(ftx, "unknown hidden part '\(part)'") }
            hides.append(value)
        }
        let until = try cursor.optionalDate("ZRU")
        do {
            return try AccessRestriction(kind: kind, legalReference: ftx.elements.count > 3 ? ftx.elements[3].joined() : "",
                                         until: until, hides: hides.isEmpty ? AccessRestriction.defaultHides : hides)
        } catch {
            throw fail(ftx, error.message)
        }
    }

    private static func readDocument(_ doc: EDIFACTSegment, _ cursor: inout MessageCursor) throws(DiariumError) -> TransferredDocument {
        func fail(_ segment: EDIFACTSegment, _ message: String) -> DiariumError {
            DiariumError(.invalidField, "segment \(segment.label): \(message)", field: "segment \(segment.label)")
        }
        guard let recordType = RecordType(rawValue: doc.value(0)) else {
            throw fail(doc, "unknown record type '\(doc.value(0))': use one of \(RecordType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let number: DocumentNumber
        do { number = try DocumentNumber(parsing: doc.value(1)) } catch { throw fail(doc, error.message) }
        // Where each text came from, for an error in it to name its own segment (not the DOC before them).
        var textSegments: [String: EDIFACTSegment] = [:]
        func text(_ qualifier: String, _ field: String, required: Bool = false) throws(DiariumError) -> String? {
            let segment = cursor.peek
            let value = required ? try cursor.text(qualifier) : try cursor.optionalText(qualifier)
            if value != nil, let segment { textSegments[field] = segment }
            return value
        }
        let title = try text("ZTI", "title", required: true)!
        let publicTitle = try text("ZPT", "publicTitle")
        let classification = try text("ZCL", "classification")
        let sender = try text("ZSE", "sender")
        let recipient = try text("ZRE", "recipient")
        let directionSegment = try cursor.take("STS", qualifier: "ZDR")
        guard let direction = Direction(rawValue: directionSegment.value(1)) else {
            throw fail(directionSegment, "unknown direction '\(directionSegment.value(1))'")
        }
        let statusSegment = try cursor.take("STS", qualifier: "ZDS")
        guard let status = DocumentStatus(rawValue: statusSegment.value(1)) else {
            throw fail(statusSegment, "unknown status '\(statusSegment.value(1))'")
        }
        let documentDate = try cursor.optionalDate("ZDD")
        let registeredAt = try cursor.dateTime("ZRG")
        let restriction = try readRestriction(&cursor)
        var file: TransferredFile?
        if let efi = cursor.next(tag: "EFI") {
            let qty = try cursor.take("QTY", qualifier: "ZSZ")
            guard let size = Int64(qty.value(0, 1)), size >= 0 else { throw fail(qty, "size '\(qty.value(0, 1))' is not a number of bytes") }
            let rff = try cursor.take("RFF", qualifier: "ZSH")
            let digest = rff.value(0, 1)
            guard PayloadDescriptor.isSHA256(digest) else {
                throw fail(rff, "'\(digest)' is not a SHA-256 (64 lower-case hex digits)")
            }
            guard !efi.value(0, 0).isEmpty, !efi.value(0, 1).isEmpty, !efi.value(1, 0).isEmpty else {
                throw fail(efi, "the file needs its path, original name and media type (EFI+path:name+type)")
            }
            guard PackageNaming.isContentPath(efi.value(0, 0), document: number, originalName: efi.value(0, 1)) else {
                throw fail(efi, "'\(efi.value(0, 0))' is not where a package keeps the content of \(number) named '\(efi.value(0, 1))' "
                           + "(\(PackageNaming.contentPath(document: number, version: 1, originalName: efi.value(0, 1))) for its version 1)")
            }
            file = TransferredFile(path: efi.value(0, 0), originalName: efi.value(0, 1), mediaType: efi.value(1, 0), size: size, sha256: digest)
        }
        let metadata: DocumentMetadata
        do {
            metadata = try RecordRules.validated(DocumentMetadata(
                title: title, publicTitle: publicTitle, recordType: recordType, direction: direction, documentDate: documentDate,
                sender: sender, recipient: recipient, classification: classification, restriction: restriction))
        } catch {
            throw fail(error.field.flatMap { textSegments[$0] } ?? doc, "\(number): \(error.message)")
        }
        return TransferredDocument(number: number, metadata: metadata, status: status, registeredAt: registeredAt, file: file)
    }
}

/// Reads a message body front to back; every error names the segment it stopped at.
private struct MessageCursor {
    let segments: [EDIFACTSegment]
    var position = 0
    /// The segment before the body (UNH), for "missing at the end" errors.
    let after: EDIFACTSegment

    init(segments: [EDIFACTSegment], after: EDIFACTSegment) {
        self.segments = segments
        self.after = after
    }

    var peek: EDIFACTSegment? { position < segments.count ? segments[position] : nil }

    private func fail(_ segment: EDIFACTSegment, _ message: String) -> DiariumError {
        DiariumError(.invalidField, "segment \(segment.label): \(message)", field: "segment \(segment.label)")
    }

    /// The next segment when it has this tag (and this qualifier as its first component).
    mutating func next(tag: String, qualifier: String? = nil) -> EDIFACTSegment? {
        guard let segment = peek, segment.tag == tag, qualifier == nil || segment.value(0, 0) == qualifier else { return nil }
        position += 1
        return segment
    }

    mutating func take(_ tag: String, qualifier: String? = nil) throws(DiariumError) -> EDIFACTSegment {
        if let segment = next(tag: tag, qualifier: qualifier) { return segment }
        let wanted = tag + (qualifier.map { "+\($0)" } ?? "")
        guard let found = peek else {
            let last = segments.last ?? after
            throw fail(last, "expected \(wanted) after this segment, but the message ends")
        }
        throw fail(found, "expected \(wanted), found \(found.tag)\(found.value(0, 0).isEmpty ? "" : "+" + found.value(0, 0))")
    }

    mutating func optionalText(_ qualifier: String) throws(DiariumError) -> String? {
        guard let segment = next(tag: "FTX", qualifier: qualifier) else { return nil }
        let text = segment.elements.count > 3 ? segment.elements[3].joined() : ""
        guard !text.isEmpty else { throw fail(segment, "FTX+\(qualifier) has no text") }
        return text
    }

    mutating func text(_ qualifier: String) throws(DiariumError) -> String {
        _ = try take("FTX", qualifier: qualifier)
        position -= 1
        return try optionalText(qualifier)!
    }

    mutating func dateTime(_ qualifier: String) throws(DiariumError) -> Date {
        let segment = try take("DTM", qualifier: qualifier)
        guard segment.value(0, 2) == "204", let date = EDIFACTDate.parse204(segment.value(0, 1)) else {
            throw fail(segment, "'\(segment.value(0, 1)):\(segment.value(0, 2))' is not a date and time in format 204 (CCYYMMDDHHMMSS)")
        }
        return date
    }

    mutating func optionalDate(_ qualifier: String) throws(DiariumError) -> CalendarDate? {
        guard let segment = next(tag: "DTM", qualifier: qualifier) else { return nil }
        guard segment.value(0, 2) == "102", let date = EDIFACTDate.parse102(segment.value(0, 1)) else {
            throw fail(segment, "'\(segment.value(0, 1)):\(segment.value(0, 2))' is not a date in format 102 (CCYYMMDD)")
        }
        return date
    }
}
