import DiariumCore
import Foundation
import NIOCore
import Testing

@testable import DiariumHTTP

/// The hand-written JSON of the hottest responses says exactly what `JSONEncoder` would: the same members with the
/// same values (absent optionals left out), keys in the same sorted order, strings escaped so any parser reads them
/// back unchanged.
@Suite struct JSONOutputTests {
    static let awkward = "Ä\"q\\u/o\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f}\u{7f} é 🙂 \u{2028} end"

    static func views() throws -> [DocumentView] {
        let number = try DocumentNumber(parsing: "KS 2026/14-3")
        let date = Date(timeIntervalSince1970: 1_780_000_000.123)
        let plain = DocumentMetadata(title: "Handlingsplan", recordType: .actionPlan)
        let full = DocumentMetadata(
            title: awkward, publicTitle: "Offentlig \(awkward)", recordType: .letter, direction: .incoming,
            documentDate: CalendarDate(year: 2026, month: 2, day: 28), sender: "Avsändare \"AB\"", recipient: "KS/IT",
            classification: "2.4",
            restriction: try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 7 §",
                                               until: CalendarDate(year: 2090, month: 1, day: 1), hides: [.title, .parties, .content]))
        let restrictedNoUntil = DocumentMetadata(
            title: "Beslut", recordType: .decision,
            restriction: try AccessRestriction(kind: .privacy, legalReference: "GDPR art. 9"))
        let content = ContentReference(sha256: String(repeating: "ab", count: 32), size: 4096, mediaType: "application/pdf",
                                       originalName: "plan \(awkward).pdf")
        var views: [DocumentView] = []
        for (metadata, status, withContent, comment) in [(plain, DocumentStatus.draft, false, nil as String?),
                                                         (plain, .final, true, "första"),
                                                         (full, .draft, true, awkward),
                                                         (full, .final, true, nil),
                                                         (restrictedNoUntil, .archived, true, "x")] {
            let version = DocumentVersion(number: 2, change: .metadata, author: "anna \(awkward)", createdAt: date, comment: comment,
                                          status: status, metadata: metadata, content: withContent ? content : nil)
            let record = DocumentRecord(number: number, registeredAt: date.addingTimeInterval(-86_400.5), registeredBy: "bo",
                                        current: version, originalNumber: status == .final ? "Dnr 2019:7 \(awkward)" : nil,
                                        originalCaseNumber: metadata == full ? "SN 2019/7" : nil)
            views.append(DocumentView(record, clearance: true))
            views.append(DocumentView(record, clearance: false))
            // Version 2 shown while version 5 is current, with what a later restriction hides.
            let newer = DocumentRecord(number: number, registeredAt: record.registeredAt, registeredBy: "bo",
                                       current: DocumentVersion(number: 5, change: .metadata, author: "bo", createdAt: date, comment: nil,
                                                                status: status, metadata: metadata, content: nil))
            views.append(DocumentView(newer, version: version, later: [.parties], clearance: false))
            // Disposed of: under a type's rule with a schedule, under a series' default without one, and under a class's rule.
            let typed = status == .final
            let disposed = DocumentRecord(number: number, registeredAt: record.registeredAt, registeredBy: "bo", current: version,
                                          disposal: DocumentDisposal(at: date, by: "arkivarie \(awkward)", dueAt: date.addingTimeInterval(-3600),
                                                                     ruleRecordType: typed ? metadata.recordType : nil,
                                                                     ruleClass: status == .archived ? "2.4" : nil, years: typed ? 10 : 0,
                                                                     mandate: "KS 2024 § 45 \(awkward)", schedule: typed ? "IHP" : nil))
            views.append(DocumentView(disposed, clearance: !typed))
        }
        return views
    }

    static func written(_ value: some JSONWritable) -> Data {
        var json = JSONOutput(capacity: 16)
        value.write(to: &json)
        return Data(json.buffer.readableBytesView)
    }

    static func parsed(_ data: Data) throws -> NSObject {
        try #require(try JSONSerialization.jsonObject(with: data) as? NSObject)
    }

    /// Every object's keys in the order they appear in the text, outermost first, found by a small scan that
    /// understands strings (enough for JSON written without whitespace).
    static func keyOrders(_ data: Data) -> [[String]] {
        var stack: [(isObject: Bool, keys: [String])] = []
        var done: [[String]] = []
        let bytes = Array(data)
        var i = 0
        var expectingKey = false
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "{"): stack.append((true, [])); expectingKey = true
            case UInt8(ascii: "["): stack.append((false, [])); expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                let top = stack.removeLast()
                if top.isObject { done.append(top.keys) }
            case UInt8(ascii: ","): expectingKey = stack.last?.isObject == true
            case UInt8(ascii: "\""):
                var j = i + 1
                while bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
                if expectingKey { stack[stack.count - 1].keys.append(String(decoding: bytes[(i + 1)..<j], as: UTF8.self)) }
                expectingKey = false
                i = j
            default: break
            }
            i += 1
        }
        return done
    }

    @Test func documentViewsSayWhatJSONEncoderSays() throws {
        for view in try Self.views() {
            let fast = Self.written(view)
            let reference = try JSONCoding.encoder().encode(view)
            #expect(try Self.parsed(fast) == Self.parsed(reference), "\(String(decoding: fast, as: UTF8.self))")
            #expect(Self.keyOrders(fast) == Self.keyOrders(reference))
            // And it reads back as the same view.
            #expect(try JSONCoding.decoder().decode(DocumentView.self, from: fast) == view)
        }
    }

    @Test func arraysToo() throws {
        let views = try Self.views()
        let fast = Self.written(views)
        #expect(try Self.parsed(fast) == Self.parsed(try JSONCoding.encoder().encode(views)))
        #expect(Self.written([DocumentView]()) == Data("[]".utf8))
    }

    @Test func everyControlCharacterIsEscaped() throws {
        for scalar in (0..<0x80).compactMap(Unicode.Scalar.init) {
            let text = "a\(Character(scalar))b"
            var buffer = ByteBuffer()
            JSONOutput.writeQuoted(text, to: &buffer)
            let bytes = Array(buffer.readableBytesView)
            #expect(!bytes.dropFirst().dropLast().contains { $0 < 0x20 })
            let back = try JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed) as? String
            #expect(back == text)
        }
    }
}
