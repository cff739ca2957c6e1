import DiariumCore
import Foundation

/// One message of an interchange: what stands between its UNH and UNT.
public struct EDIFACTMessage: Hashable, Sendable {
    /// UNH 0062, message reference number (an..14), repeated in UNT.
    public let reference: String
    /// UNH S009: message type, version, release, controlling agency.
    public let type: String
    public let version: String
    public let release: String
    public let agency: String
    public var body: [EDIFACTSegment]

    public init(reference: String, type: String, version: String, release: String, agency: String, body: [EDIFACTSegment]) {
        self.reference = reference
        self.type = type
        self.version = version
        self.release = release
        self.agency = agency
        self.body = body
    }
}

/// A UN/EDIFACT interchange (ISO 9735, syntax version 3) without functional groups: UNA, UNB, messages, UNZ.
/// Written in ISO 8859-1 (syntax level UNOC), one segment per line.
public struct EDIFACTInterchange: Hashable, Sendable {
    /// Syntax levels whose repertoire is a subset of ISO 8859-1 and so can be read here.
    public static let readableSyntaxLevels: Set<String> = ["UNOA", "UNOB", "UNOC"]

    /// UNB S002/S003 0004: sender and recipient identification (a party id).
    public let sender: String
    public let recipient: String
    /// UNB S004: date and time of preparation, UTC, to the minute.
    public let prepared: Date
    /// UNB 0020 and UNZ 0020 (an..14).
    public let controlReference: String
    /// UNB 0026, the application reference (the message type, so a receiver can route without reading further).
    public let applicationReference: String?
    public var messages: [EDIFACTMessage]
    public let syntaxLevel: String

    public init(sender: String, recipient: String, prepared: Date, controlReference: String, applicationReference: String?,
                messages: [EDIFACTMessage], syntaxLevel: String = "UNOC") {
        self.sender = sender
        self.recipient = recipient
        self.prepared = prepared
        self.controlReference = controlReference
        self.applicationReference = applicationReference
        self.messages = messages
        self.syntaxLevel = syntaxLevel
    }

    // MARK: Writing

    /// The interchange as ISO 8859-1 bytes, with UNA first when `serviceStringAdvice` (the default: it costs nine
    /// bytes and spares the receiver guessing). Throws naming the segment when a value cannot be written in UNOC.
    public func render(serviceStringAdvice: Bool = true) throws(DiariumError) -> [UInt8] {
        let syntax = EDIFACTSyntax()
        var lines: [String] = serviceStringAdvice ? [syntax.serviceStringAdvice] : []
        var segments: [EDIFACTSegment] = [EDIFACTSegment("UNB", [
            [syntaxLevel, "3"], [sender, "ZZZ"], [recipient, "ZZZ"], EDIFACTDate.unbDateTime(prepared), [controlReference], [],
            [applicationReference ?? ""],
        ])]
        for message in messages {
            segments.append(EDIFACTSegment("UNH", [[message.reference], [message.type, message.version, message.release, message.agency]]))
            segments += message.body
            segments.append(EDIFACTSegment("UNT", [[String(message.body.count + 2)], [message.reference]]))
        }
        segments.append(EDIFACTSegment("UNZ", [[String(messages.count)], [controlReference]]))
        lines += segments.map(syntax.render)
        var bytes: [UInt8] = []
        for (offset, line) in lines.enumerated() {
            let position = serviceStringAdvice ? offset : offset + 1   // UNA is segment 0
            let tag = position == 0 ? "UNA" : segments[position - 1].tag
            bytes += try Latin1.encode(line, field: "segment \(position) (\(tag))")
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    // MARK: Reading

    /// Reads and checks the envelope: UNB first and UNZ last with the same control reference, UNZ counting the
    /// messages, each UNH closed by a UNT with its reference and segment count. Errors name the segment.
    public static func parse(_ bytes: [UInt8]) throws(DiariumError) -> EDIFACTInterchange {
        let (_, segments) = try EDIFACTSyntax.parse(Latin1.decode(bytes))
        func fail(_ segment: EDIFACTSegment, _ message: String) -> DiariumError {
            DiariumError(.invalidField, "segment \(segment.label): \(message)", field: "segment \(segment.label)")
        }
        guard let unb = segments.first else {
            throw DiariumError(.invalidField, "the interchange holds no segments", field: "segment 1")
        }
        guard unb.tag == "UNB" else { throw fail(unb, "an interchange must start with UNB (after an optional UNA)") }
        let level = unb.value(0, 0)
        guard readableSyntaxLevels.contains(level), unb.value(0, 1) == "3" else {
            throw fail(unb, "syntax identifier '\(level):\(unb.value(0, 1))' is not supported: use UNOC:3 (or UNOA:3, UNOB:3)")
        }
        let sender = unb.value(1), recipient = unb.value(2), reference = unb.value(4)
        guard !sender.isEmpty else { throw fail(unb, "the interchange sender (S002 0004) is empty") }
        guard !recipient.isEmpty else { throw fail(unb, "the interchange recipient (S003 0010) is empty") }
        guard (1...14).contains(reference.count) else {
            throw fail(unb, "the interchange control reference (0020) must be 1–14 characters, not '\(reference)'")
        }
        guard let prepared = EDIFACTDate.parseUNB(date: unb.value(3, 0), time: unb.value(3, 1)) else {
            throw fail(unb, "date/time of preparation '\(unb.value(3, 0)):\(unb.value(3, 1))' is not YYMMDD:HHMM")
        }
        guard segments.count >= 2, let unz = segments.last, unz.tag == "UNZ" else {
            throw fail(segments[segments.count - 1], "an interchange must end with UNZ")
        }
        var messages: [EDIFACTMessage] = []
        var position = 1
        while position < segments.count - 1 {
            let unh = segments[position]
            guard unh.tag == "UNH" else {
                throw fail(unh, unh.tag == "UNG" ? "functional groups (UNG/UNE) are not supported" : "expected UNH (a message header) here")
            }
            let messageReference = unh.value(0)
            guard (1...14).contains(messageReference.count) else { throw fail(unh, "the message reference (0062) must be 1–14 characters") }
            guard !unh.value(1, 0).isEmpty else { throw fail(unh, "the message type (S009 0065) is empty") }
            guard let end = segments[(position + 1)..<(segments.count - 1)].firstIndex(where: { $0.tag == "UNT" || $0.tag == "UNH" }),
                  segments[end].tag == "UNT" else {
                throw fail(unh, "message \(messageReference) is not closed by a UNT")
            }
            let unt = segments[end]
            let count = end - position + 1
            guard unt.value(0) == String(count) else {
                throw fail(unt, "segment count (0074) is \(unt.value(0)), but message \(messageReference) has \(count) segments")
            }
            guard unt.value(1) == messageReference else {
                throw fail(unt, "message reference (0062) '\(unt.value(1))' does not match UNH's '\(messageReference)'")
            }
            messages.append(EDIFACTMessage(reference: messageReference, type: unh.value(1, 0), version: unh.value(1, 1),
                                           release: unh.value(1, 2), agency: unh.value(1, 3),
                                           body: Array(segments[(position + 1)..<end])))
            position = end + 1
        }
        guard unz.value(0) == String(messages.count) else {
            throw fail(unz, "interchange control count (0036) is \(unz.value(0)), but the interchange has \(messages.count) messages")
        }
        guard unz.value(1) == reference else {
            throw fail(unz, "control reference (0020) '\(unz.value(1))' does not match UNB's '\(reference)'")
        }
        let application = unb.value(6)
        return EDIFACTInterchange(sender: sender, recipient: recipient, prepared: prepared, controlReference: reference,
                                  applicationReference: application.isEmpty ? nil : application, messages: messages,
                                  syntaxLevel: level)
    }
}

/// EDIFACT date and time forms, always in UTC here: UNB's YYMMDD:HHMM, and DTM formats 102 (CCYYMMDD) and
/// 204 (CCYYMMDDHHMMSS).
enum EDIFACTDate {
    private static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    static func unbDateTime(_ date: Date) -> [String] {
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return [pad(c.year! % 100, 2) + pad(c.month!, 2) + pad(c.day!, 2), pad(c.hour!, 2) + pad(c.minute!, 2)]
    }

    static func format204(_ date: Date) -> String {
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return pad(c.year!, 4) + pad(c.month!, 2) + pad(c.day!, 2) + pad(c.hour!, 2) + pad(c.minute!, 2) + pad(c.second!, 2)
    }

    static func format102(_ date: CalendarDate) -> String {
        pad(date.year, 4) + pad(date.month, 2) + pad(date.day, 2)
    }

    private static func digits(_ text: String, count: Int) -> [Int]? {
        guard text.utf8.count == count, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return text.utf8.map { Int($0) - 48 }
    }

    private static func number(_ d: [Int], _ range: Range<Int>) -> Int {
        d[range].reduce(0) { $0 * 10 + $1 }
    }

    private static func make(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Date? {
        guard CalendarDate(year: year, month: month, day: day) != nil, hour < 24, minute < 60, second < 60 else { return nil }
        return utc.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
    }

    /// Two-digit years are 2000–2099: Diarium's interchanges are all from this century.
    static func parseUNB(date: String, time: String) -> Date? {
        guard let d = digits(date, count: 6), let t = digits(time, count: 4) else { return nil }
        return make(2000 + number(d, 0..<2), number(d, 2..<4), number(d, 4..<6), number(t, 0..<2), number(t, 2..<4), 0)
    }

    static func parse204(_ text: String) -> Date? {
        guard let d = digits(text, count: 14) else { return nil }
        return make(number(d, 0..<4), number(d, 4..<6), number(d, 6..<8), number(d, 8..<10), number(d, 10..<12), number(d, 12..<14))
    }

    static func parse102(_ text: String) -> CalendarDate? {
        guard let d = digits(text, count: 8) else { return nil }
        return CalendarDate(year: number(d, 0..<4), month: number(d, 4..<6), day: number(d, 6..<8))
    }
}
