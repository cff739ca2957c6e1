import Foundation
import Synchronization

/// A party's identifier in department exchange (`sundsvall-ks`): agreed between the partners, carried in every
/// envelope and in the EDIFACT UNB. Letters, digits and `. _ -`, starting with a letter or digit, at most 35
/// characters (UNB's interchange sender identification is an..35).
public struct PartyID: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init?(rawValue: String) {
        let bytes = Array(rawValue.utf8)
        guard (1...35).contains(bytes.count), let first = bytes.first, Self.isAlphanumeric(first),
              bytes.allSatisfy({ Self.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { return nil }
        self.rawValue = rawValue
    }

    public init(parsing text: String, field: String = "id") throws(DiariumError) {
        guard let id = PartyID(rawValue: text) else {
            throw .invalid(field, "invalid party id '\(text)': use 1–35 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        self = id
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = PartyID(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid party id '\(text)'"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// An interchange control reference: unique per sender, the same on every resend of one interchange. 1–14 ASCII
/// letters and digits, so the same value can stand in an EDIFACT UNB (0020 is an..14) and in a file name.
public struct ControlReference: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init?(rawValue: String) {
        let bytes = Array(rawValue.utf8)
        guard (1...14).contains(bytes.count), bytes.allSatisfy(PartyID.isAlphanumeric) else { return nil }
        self.rawValue = rawValue
    }

    public init(parsing text: String, field: String = "controlReference") throws(DiariumError) {
        guard let reference = ControlReference(rawValue: text) else {
            throw .invalid(field, "invalid control reference '\(text)': use 1–14 ASCII letters or digits")
        }
        self = reference
    }

    /// A fresh reference from the process's one generator.
    public static func generate(at date: Date) -> ControlReference { generator.next(at: date) }

    private static let generator = Generator()

    /// Makes references of 14 characters of Crockford base32: 9 over the time in milliseconds (45 bits, so references
    /// sort by creation until the year 3084) and 5 over 25 random bits (so two processes in the same millisecond still
    /// differ). The references of one generator only grow, as in ULID's monotonic mode: random draws alone repeat
    /// (1,000 in one millisecond clash with odds of about 1.5 %), and a repeated reference would overwrite the outbox
    /// files of the one before. Across processes the catalog enforces uniqueness per sender.
    public final class Generator: Sendable {
        private let last = Mutex<(millis: UInt64, random: UInt64)>((0, 0))

        public init() {}

        public func next(at date: Date) -> ControlReference {
            var generator = SystemRandomNumberGenerator()
            return next(at: date, using: &generator)
        }

        public func next(at date: Date, using generator: inout some RandomNumberGenerator) -> ControlReference {
            let drawn = (millis: min(UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded())), (1 << 45) - 1),
                         random: UInt64.random(in: 0..<(1 << 25), using: &generator))
            let (millis, random) = last.withLock { last in
                // After the one before, even if the clock went back; a full millisecond carries into the next.
                if drawn.millis > last.millis || (drawn.millis == last.millis && drawn.random > last.random) {
                    last = drawn
                } else if last.random < (1 << 25) - 1 {
                    last.random += 1
                } else {
                    last = (last.millis + 1, 0)
                }
                return last
            }
            let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
            let characters = stride(from: 40, through: 0, by: -5).map { alphabet[Int(millis >> UInt64($0) & 31)] }
                + stride(from: 20, through: 0, by: -5).map { alphabet[Int(random >> UInt64($0) & 31)] }
            return ControlReference(rawValue: String(decoding: characters, as: UTF8.self))!
        }
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let reference = ControlReference(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid control reference '\(text)'"))
        }
        self = reference
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// What an interchange carries. The raw values are the envelope's and the CLI's spellings.
public enum InterchangeMessageType: String, Codable, Sendable, CaseIterable {
    case caseTransfer, documentDelivery, receipt
}

public enum InterchangeDirection: String, Codable, Sendable, CaseIterable {
    /// Received from a party (the inbox).
    case inbound = "in"
    /// Sent to a party (the outbox).
    case outbound = "out"
}

/// Where an interchange stands. Outbound: `queued` → `sent` (handed to a transport or written to a file) →
/// `delivered` (the receiver's inbox took it) → `accepted` | `rejected` (its receipt). Inbound: `delivered` →
/// `accepted` | `rejected`. A receipt may arrive before the transport's own acknowledgement (a file transport never
/// has one), so the later steps may skip earlier ones; nothing moves backwards, and a receipt is final.
public enum InterchangeStatus: String, Codable, Sendable, CaseIterable {
    case queued, sent, delivered, accepted, rejected

    var rank: Int {
        switch self {
        case .queued: 0
        case .sent: 1
        case .delivered: 2
        case .accepted, .rejected: 3
        }
    }

    public var isFinal: Bool { rank == 3 }

    /// Whether a move from `self` to `next` is allowed. Staying is allowed for `sent` (a retry sends again).
    public func canMove(to next: InterchangeStatus) -> Bool {
        if isFinal { return false }
        return next.rank > rank || (next == .sent && self == .sent)
    }
}

/// A party we exchange records with. Its tokens are never part of this value, so no listing or JSON can show them.
public struct Party: Hashable, Codable, Sendable {
    public let id: PartyID
    public var name: String
    /// Base URL of the party's Diarium (its inbox is `POST {url}/api/v1/exchange/inbox`); nil for file-only partners.
    public var url: String?
    /// The local series documents received from this party are registered in.
    public var receivingSeries: SeriesCode?
    public var hasOutboundToken: Bool
    public var hasInboundToken: Bool
    public let createdAt: Date
    public var updatedAt: Date

    public init(id: PartyID, name: String, url: String?, receivingSeries: SeriesCode?, hasOutboundToken: Bool,
                hasInboundToken: Bool, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.url = url
        self.receivingSeries = receivingSeries
        self.hasOutboundToken = hasOutboundToken
        self.hasInboundToken = hasInboundToken
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A sender's number and the number the receiver registered it under (`KS 2026/14-2` → `BUN 2026/3-2`). Case and
/// document numbers alike.
public struct NumberLink: Hashable, Codable, Sendable {
    public let senderNumber: String
    public let receiverNumber: String

    public init(senderNumber: String, receiverNumber: String) {
        self.senderNumber = senderNumber
        self.receiverNumber = receiverNumber
    }
}

/// Which interchange: its direction, its sender and the sender's control reference, unique together. Spelled
/// `out:sundsvall-ks/01JQ7Z8K4M2P9X` (a listing's `after`; the audit object is `interchange:` and this).
public struct InterchangeKey: Hashable, Sendable, CustomStringConvertible {
    public let direction: InterchangeDirection
    public let sender: PartyID
    public let controlReference: ControlReference

    public init(direction: InterchangeDirection, sender: PartyID, controlReference: ControlReference) {
        self.direction = direction
        self.sender = sender
        self.controlReference = controlReference
    }

    public init(parsing text: String, field: String = "after") throws(DiariumError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let rest = parts.count == 2 ? parts[1].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false) : []
        guard parts.count == 2, let direction = InterchangeDirection(rawValue: String(parts[0])), rest.count == 2,
              let sender = PartyID(rawValue: String(rest[0])), let reference = ControlReference(rawValue: String(rest[1])) else {
            throw .invalid(field, "'\(text)' names no interchange: give it as in:SENDER/REF or out:SENDER/REF")
        }
        self.init(direction: direction, sender: sender, controlReference: reference)
    }

    public var description: String { "\(direction.rawValue):\(sender)/\(controlReference)" }
}

/// One interchange in the inbox or the outbox, as tracked in the catalog.
public struct InterchangeRecord: Hashable, Codable, Sendable {
    public let direction: InterchangeDirection
    public let sender: PartyID
    public let recipient: PartyID
    public let controlReference: ControlReference
    public let messageType: InterchangeMessageType
    public var status: InterchangeStatus
    /// The interchanges this one refers to (a receipt: the one it answers).
    public let references: [ControlReference]
    public let payloadSHA256: String?
    public let payloadSize: Int64?
    /// The receipt's envelope XML: received (outbound) or sent (inbound).
    public var receipt: String?
    /// Sender numbers → receiver numbers, from the receipt.
    public var links: [NumberLink]
    /// Transport attempts so far (outbound).
    public var attempts: Int
    /// The last transport failure, for `exchange list`.
    public var lastError: String?
    public let createdAt: Date
    public var updatedAt: Date
    /// When an outbound interchange was withdrawn (`exchange withdraw`): no longer delivered, its outbox files removed.
    /// A receipt that comes after is still recorded (the receiver may have registered it before).
    public var withdrawnAt: Date?
    /// When a server delivers an outbound interchange again by itself (`RedeliverySchedule`); nil when nothing is
    /// scheduled: answered, withdrawn, written for other transport, or given up on (a person resends or withdraws).
    public var nextAttemptAt: Date?

    /// The party on the other side.
    public var peer: PartyID { direction == .inbound ? sender : recipient }

    public var key: InterchangeKey { InterchangeKey(direction: direction, sender: sender, controlReference: controlReference) }

    public init(direction: InterchangeDirection, sender: PartyID, recipient: PartyID, controlReference: ControlReference,
                messageType: InterchangeMessageType, status: InterchangeStatus, references: [ControlReference],
                payloadSHA256: String?, payloadSize: Int64?, receipt: String?, links: [NumberLink], attempts: Int,
                lastError: String?, createdAt: Date, updatedAt: Date, withdrawnAt: Date? = nil, nextAttemptAt: Date? = nil) {
        self.direction = direction
        self.sender = sender
        self.recipient = recipient
        self.controlReference = controlReference
        self.messageType = messageType
        self.status = status
        self.references = references
        self.payloadSHA256 = payloadSHA256
        self.payloadSize = payloadSize
        self.receipt = receipt
        self.links = links
        self.attempts = attempts
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.withdrawnAt = withdrawnAt
        self.nextAttemptAt = nextAttemptAt
    }

    /// An outbound interchange still to be delivered to its party's inbox: queued, or delivered without a valid
    /// answer, and not withdrawn. Only such a one can have a next attempt.
    public var awaitsDelivery: Bool {
        direction == .outbound && (status == .queued || status == .delivered) && withdrawnAt == nil
    }
}
