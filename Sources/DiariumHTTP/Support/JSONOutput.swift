import DiariumCore
import Foundation
import NIOCore

/// A response body written straight as JSON bytes, for the hottest responses (a document is read on every lookup).
/// Foundation's `JSONEncoder` builds a tree of boxed values, sorts every object's keys and then serializes it: about
/// a tenth of the server's CPU per lookup. A type written this way must produce what `JSONCoding.encoder()` would
/// (same keys in the same sorted order, absent optionals left out); tests compare the two on every shape of value.
protocol JSONWritable {
    func write(to json: inout JSONOutput)
}

/// Appends JSON to a buffer. Objects are written key by key, so callers give keys in sorted order.
struct JSONOutput {
    private(set) var buffer: ByteBuffer
    private var needsComma = false

    init(capacity: Int = 1024) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func object(_ body: (inout JSONOutput) -> Void) {
        separate()
        buffer.writeInteger(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        buffer.writeInteger(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func array<S: Sequence>(_ elements: S, _ body: (inout JSONOutput, S.Element) -> Void) {
        separate()
        buffer.writeInteger(UInt8(ascii: "["))
        needsComma = false
        for element in elements { body(&self, element) }
        buffer.writeInteger(UInt8(ascii: "]"))
        needsComma = true
    }

    /// `"key":` inside an object; the value written next belongs to it.
    mutating func key(_ name: StaticString) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
        needsComma = false
    }

    mutating func string(_ value: String) {
        separate()
        Self.writeQuoted(value, to: &buffer)
        needsComma = true
    }

    mutating func int<I: BinaryInteger>(_ value: I) {
        separate()
        buffer.writeString(String(value))
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        buffer.writeStaticString(value ? "true" : "false")
        needsComma = true
    }

    mutating func date(_ value: Date) {
        string(Timestamp.format(value))
    }

    mutating func value(_ value: some JSONWritable) {
        value.write(to: &self)
    }

    // Optional members: absent, not null, as the synthesized `Encodable` conformances write them.
    mutating func member(_ name: StaticString, _ value: String?) {
        if let value { key(name); string(value) }
    }

    mutating func member<I: BinaryInteger>(_ name: StaticString, _ value: I?) {
        if let value { key(name); int(value) }
    }

    mutating func member<R: RawRepresentable>(_ name: StaticString, _ value: R?) where R.RawValue == String {
        if let value { key(name); string(value.rawValue) }
    }

    mutating func member(_ name: StaticString, described value: (some CustomStringConvertible)?) {
        if let value { key(name); string(value.description) }
    }

    private mutating func separate() {
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
    }

    /// RFC 8259 §7: quotation mark, reverse solidus and U+0000…U+001F are escaped; everything else is written as
    /// its UTF-8 bytes (the slash too, as `.withoutEscapingSlashes`).
    static func writeQuoted(_ value: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var start = 0
            for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<i]))
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                default:
                    let hex: StaticString = "0123456789abcdef"
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
                    buffer.writeInteger(hex.utf8Start[Int(byte & 0x0F)])
                }
                start = i + 1
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}

extension Array: JSONWritable where Element: JSONWritable {
    func write(to json: inout JSONOutput) {
        json.array(self) { json, element in json.value(element) }
    }
}

extension DocumentView: JSONWritable {
    // Keys in the order `JSONEncoder` sorts them.
    func write(to json: inout JSONOutput) {
        json.object { json in
            json.key("author"); json.string(author)
            json.key("caseNumber"); json.string(caseNumber.description)
            json.key("change"); json.string(change.rawValue)
            json.member("classification", classification)
            json.member("comment", comment)
            if let content {
                json.key("content")
                json.object { json in
                    json.key("available"); json.bool(content.available)
                    json.member("mediaType", content.mediaType)
                    json.member("originalName", content.originalName)
                    json.member("sha256", content.sha256)
                    json.member("size", content.size)
                    json.member("withheld", content.withheld)
                }
            }
            json.key("createdAt"); json.date(createdAt)
            json.key("currentVersion"); json.int(currentVersion)
            json.key("direction"); json.string(direction.rawValue)
            if let disposal {
                json.key("disposal")
                json.object { json in
                    json.key("at"); json.date(disposal.at)
                    json.key("by"); json.string(disposal.by)
                    json.key("dueAt"); json.date(disposal.dueAt)
                    json.key("mandate"); json.string(disposal.mandate)
                    json.member("ruleClass", disposal.ruleClass)
                    json.member("ruleRecordType", disposal.ruleRecordType?.rawValue)
                    json.member("schedule", disposal.schedule)
                    json.key("years"); json.int(disposal.years)
                }
            }
            json.member("documentDate", described: documentDate)
            json.key("number"); json.string(number.description)
            json.member("originalCaseNumber", originalCaseNumber)
            json.member("originalNumber", originalNumber)
            json.member("publicTitle", publicTitle)
            json.member("recipient", recipient)
            json.key("recordType"); json.string(recordType.rawValue)
            json.key("redacted"); json.array(redacted) { json, part in json.string(part.rawValue) }
            json.key("registeredAt"); json.date(registeredAt)
            json.key("registeredBy"); json.string(registeredBy)
            if let restriction {
                json.key("restriction")
                json.object { json in
                    json.key("hides"); json.array(restriction.hides) { json, part in json.string(part.rawValue) }
                    json.key("kind"); json.string(restriction.kind.rawValue)
                    json.key("legalReference"); json.string(restriction.legalReference)
                    json.member("until", described: restriction.until)
                }
            }
            json.member("sender", sender)
            json.key("status"); json.string(status.rawValue)
            json.member("title", title)
            json.key("version"); json.int(version)
        }
    }
}
