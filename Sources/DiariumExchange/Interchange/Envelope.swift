import DiariumCore
import Foundation

/// How the payload beside an envelope is written.
public enum PayloadFormat: String, Codable, Sendable, CaseIterable {
    /// An E-ARK SIP (METS + ERMS + content) as zip or tar.
    case earkSIP = "eark-sip"
    /// A UN/EDIFACT interchange describing the records (see `Schemas/exchange/EDIFACT.md`).
    case edifact
}

/// The package that travels beside an envelope: its name, size and SHA-256, so the receiver can tell a complete,
/// untouched payload from a truncated or tampered one before reading it.
public struct PayloadDescriptor: Hashable, Codable, Sendable {
    public let name: String
    public let size: Int64
    /// Lower-case hex.
    public let sha256: String
    public let format: PayloadFormat

    public init(name: String, size: Int64, sha256: String, format: PayloadFormat) throws(DiariumError) {
        try TextRules.checkLine(name, field: "payload.name", maxLength: 255)
        guard !name.contains("/"), !name.contains("\\"), name != ".", name != ".." else {
            throw .invalid("payload.name", "payload name '\(name)' must be a file name without a directory")
        }
        guard size >= 0 else { throw .invalid("payload.size", "payload size must not be negative") }
        guard Self.isSHA256(sha256) else {
            throw .invalid("payload.sha256", "payload SHA-256 must be 64 lower-case hex digits")
        }
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.format = format
    }

    /// 64 lower-case hex digits, the one spelling of a SHA-256 in envelopes, EDIFACT and the catalog.
    public static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

public enum ReceiptStatus: String, Codable, Sendable, CaseIterable {
    case accepted, rejected
}

/// Why a receiver rejected (or remarked on) an interchange: a stable code, a message, and where the problem is: an
/// element of the envelope or the package's XML, a file of the package, or a segment of an EDIFACT interchange.
public struct ExchangeDiagnostic: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Stable: a `DiariumError.Code` raw value, or `schema` for an XSD violation.
    public let code: String
    public let message: String
    /// An element path or name, e.g. `/interchange/controlReference` or `ERMS.xml: /erms/aggregation/record[2]`.
    public let element: String?
    /// A file inside or beside the package.
    public let file: String?
    /// An EDIFACT segment: index and tag, e.g. `7 (DTM)`.
    public let segment: String?
    public let line: Int?
    public let column: Int?

    /// Throws unless the diagnostic names an element, a file or a segment: a rejection must say where.
    public init(code: String, message: String, element: String? = nil, file: String? = nil, segment: String? = nil,
                line: Int? = nil, column: Int? = nil) throws(DiariumError) {
        guard element != nil || file != nil || segment != nil else {
            throw .invalid("diagnostic", "a diagnostic must name the element, file or segment it is about")
        }
        guard !code.isEmpty, code.utf8.allSatisfy({ NameCharacters.isNameByte($0) }),
              let first = code.utf8.first, !(48...57).contains(first), first != UInt8(ascii: "-"), first != UInt8(ascii: ".") else {
            throw .invalid("diagnostic.code", "diagnostic code '\(code)' must be a name (letters, digits, '-', '.', '_')")
        }
        self.code = code
        self.message = Self.oneLine(message)
        self.element = element.map(Self.oneLine)
        self.file = file.map(Self.oneLine)
        self.segment = segment.map(Self.oneLine)
        self.line = line.flatMap { $0 > 0 ? $0 : nil }
        self.column = column.flatMap { $0 > 0 ? $0 : nil }
    }

    /// Receipts carry one line per value; line breaks and tabs from tool messages become spaces, empty becomes `-`.
    /// At most 2000 code points, as the schema's `maxLength` counts them (not characters: "é" written as e and a
    /// combining accent is one character but two code points); the cut falls between scalars, never inside one.
    public static func oneLine(_ text: String) -> String {
        let flat = text.map { $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\r\n" ? " " : $0 }
        var scalars = String.UnicodeScalarView()
        var count = 0
        for character in flat {
            for scalar in character.unicodeScalars {
                guard count < 2000 else { return String(scalars) }
                scalars.append(scalar)
                count += 1
            }
        }
        return scalars.isEmpty ? "-" : String(scalars)
    }

    public var description: String {
        var place: [String] = []
        if let element { place.append("element \(element)") }
        if let file { place.append("file \(file)") }
        if let segment { place.append("segment \(segment)") }
        if let line { place.append("line \(line)" + (column.map { ":\($0)" } ?? "")) }
        return place.joined(separator: ", ") + ": " + message
    }
}

enum NameCharacters {
    static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: ".")
    }
}

/// What the receiver did with an interchange: accepted with the numbers it assigned, or rejected with diagnostics
/// (and then nothing was registered).
public struct Receipt: Hashable, Sendable {
    public let status: ReceiptStatus
    /// SHA-256 of the payload the receipt answers.
    public let payloadSHA256: String?
    public let assigned: [NumberLink]
    public let diagnostics: [ExchangeDiagnostic]

    public init(status: ReceiptStatus, payloadSHA256: String?, assigned: [NumberLink] = [],
                diagnostics: [ExchangeDiagnostic] = []) throws(DiariumError) {
        switch status {
        case .rejected:
            guard !diagnostics.isEmpty else { throw .invalid("receipt", "a rejected receipt must say why: give at least one diagnostic") }
            guard assigned.isEmpty else { throw .invalid("receipt.assigned", "a rejected interchange registers nothing, so it assigns no numbers") }
        case .accepted:
            break
        }
        // One number each way per record: a number linked twice would leave the sender unable to tell where its
        // record went (and its store keeps one link per number).
        var senders = Set<String>(), receivers = Set<String>()
        for link in assigned {
            for (field, number) in [("senderNumber", link.senderNumber), ("receiverNumber", link.receiverNumber)]
                where !Self.isRecordNumber(number) {
                throw .invalid("receipt.assigned.\(field)", "'\(number)' is not a case or document number (e.g. \"KS 2026/14-3\")")
            }
            guard Self.isDocumentNumber(link.senderNumber) == Self.isDocumentNumber(link.receiverNumber) else {
                throw .invalid("receipt.assigned", "'\(link.senderNumber)' is linked to '\(link.receiverNumber)': a case to a case, a document to a document")
            }
            guard senders.insert(link.senderNumber).inserted else {
                throw .invalid("receipt.assigned.senderNumber", "'\(link.senderNumber)' is assigned more than one number")
            }
            guard receivers.insert(link.receiverNumber).inserted else {
                throw .invalid("receipt.assigned.receiverNumber", "'\(link.receiverNumber)' is assigned to more than one record")
            }
        }
        if let payloadSHA256, !PayloadDescriptor.isSHA256(payloadSHA256) {
            throw .invalid("receipt.payloadSha256", "payload SHA-256 must be 64 lower-case hex digits")
        }
        self.status = status
        self.payloadSHA256 = payloadSHA256
        self.assigned = assigned
        self.diagnostics = diagnostics
    }

    static func isRecordNumber(_ text: String) -> Bool {
        isDocumentNumber(text) || (try? CaseNumber(parsing: text)) != nil
    }

    static func isDocumentNumber(_ text: String) -> Bool { (try? DocumentNumber(parsing: text)) != nil }
}

/// The envelope of an interchange: who sends to whom, its control reference, when, what kind, which earlier
/// interchanges it refers to, and either the payload beside it or (for a receipt) the receipt itself.
/// XML form: `Schemas/exchange/envelope-1.xsd`; `xml()` writes it, `read(_:)` reads and validates it.
public struct Envelope: Hashable, Sendable {
    public static let namespace = "urn:x-diarium:exchange:1"
    /// Envelopes are small; anything larger is refused before parsing.
    public static let maxBytes = 1 << 20

    public enum Content: Hashable, Sendable {
        case payload(PayloadDescriptor)
        case receipt(Receipt)
    }

    public let sender: PartyID
    public let recipient: PartyID
    public let controlReference: ControlReference
    /// Millisecond precision, as written.
    public let created: Date
    public let messageType: InterchangeMessageType
    public let references: [ControlReference]
    public let content: Content

    /// Throws when the message type and the content disagree (a receipt carries a receipt, anything else a payload),
    /// or when sender and recipient are the same party.
    public init(sender: PartyID, recipient: PartyID, controlReference: ControlReference, created: Date,
                messageType: InterchangeMessageType, references: [ControlReference] = [], content: Content) throws(DiariumError) {
        switch (messageType, content) {
        case (.receipt, .receipt), (.caseTransfer, .payload), (.documentDelivery, .payload): break
        case (.receipt, .payload):
            throw .invalid("receipt", "a receipt envelope must hold a receipt, not a payload")
        case (_, .receipt):
            throw .invalid("payload", "a \(messageType.rawValue) envelope must describe its payload, not hold a receipt")
        }
        if messageType == .receipt && references.isEmpty {
            throw .invalid("references", "a receipt must refer to the interchange it answers")
        }
        guard sender != recipient else { throw .invalid("recipient", "sender and recipient are the same party (\(sender))") }
        self.sender = sender
        self.recipient = recipient
        self.controlReference = controlReference
        // What the XML carries: milliseconds. Rounding here makes a written and re-read envelope equal.
        self.created = Timestamp.parse(Timestamp.format(created)) ?? created
        self.messageType = messageType
        self.references = references
        self.content = content
    }

    public var payload: PayloadDescriptor? {
        if case .payload(let payload) = content { return payload }
        return nil
    }

    public var receipt: Receipt? {
        if case .receipt(let receipt) = content { return receipt }
        return nil
    }

    /// The receipt envelope answering this interchange: from its recipient back to its sender, referring to it.
    public func answer(with receipt: Receipt, controlReference: ControlReference, created: Date) throws(DiariumError) -> Envelope {
        try Envelope(sender: recipient, recipient: sender, controlReference: controlReference, created: created,
                     messageType: .receipt, references: [self.controlReference], content: .receipt(receipt))
    }
}
