import DiariumCore
import DiariumTesting
@testable import DiariumXML
import Foundation
import Testing

/// What libxml2 2.9 leaves unbounded, bounded before or while it parses: attributes per start tag (its duplicate
/// check is quadratic), nesting in a file read a chunk at a time (its push parser has no depth limit, and a value
/// tree that deep overflows the stack when freed), and, for package metadata, an encoding other than UTF-8.
@Suite struct InputLimitTests {
    static func element(attributes count: Int) -> String {
        "<a " + (0..<count).map { "x\($0)=\"\($0)\"" }.joined(separator: " ") + "/>"
    }

    @Test func aStartTagWithTooManyAttributesIsRefusedEverywhere() throws {
        let fine = "<?xml version=\"1.0\"?>\n<root>\n" + Self.element(attributes: 256) + "\n</root>"
        let many = "<?xml version=\"1.0\"?>\n<root>\n\n" + Self.element(attributes: 257) + "\n</root>"
        #expect(throws: Never.self) { _ = try MarkupDocument.parseXML(fine) }
        #expect(throws: Never.self) { _ = try MarkupElement.parse(Array(fine.utf8)) }
        let expected = "XML refused at line 4: an element with more than 256 attributes"
        func message(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch { return (error as? DiariumError)?.message ?? "\(error)" }
        }
        #expect(message { _ = try MarkupDocument.parseXML(many) } == expected)
        #expect(message { _ = try MarkupElement.parse(Array(many.utf8)) } == expected)
        var text = TextAccumulator(maxBytes: 1 << 20)
        #expect(message { try text.appendXMLText(Array(many.utf8), layout: TextLayout()) } == expected)
        // From a file, counted across the push parser's chunks (the tag straddles the first boundary).
        let dir = try TempDirectory()
        defer { dir.remove() }
        let padding = String(repeating: "<p>fyllnad</p>\n", count: (1 << 18) / 15 - 10)
        let path = try dir.write("many.xml", "<root>\n" + padding + Self.element(attributes: 300) + "</root>")
        #expect(message { try MarkupElement.forEach("p", namespace: nil, in: .file(path)) { _ in } }?
            .hasPrefix("XML refused at line \(padding.count { $0 == "\n" } + 2): an element with more than 256") == true)
        // HTML: its parser checks duplicates the same way.
        let html = "<html><body>\n" + Self.element(attributes: 400) + "</body></html>"
        #expect(message { _ = try MarkupDocument.parseHTML(Array(html.utf8)) } == "HTML refused at line 2: an element with more than 256 attributes")
        #expect(message { try text.appendHTMLText(Array(html.utf8), layout: TextLayout()) } != nil)
    }

    /// Only attributes count: "=" in values, text, comments, CDATA, processing instructions and end tags does not.
    @Test func theScreenCountsAttributesOnly() {
        let equals = String(repeating: "=", count: 1000)
        let xml = """
            <?pi \(equals)?><root a="\(equals)" b='\(equals)'><!-- \(equals) --><![CDATA[\(equals)]]>\(equals)</root \(equals)>
            """
        var screen = StartTagScreen(limit: 2)
        #expect(Array(xml.utf8).withUnsafeBufferPointer { screen.scan($0) } == nil)
        // HTML's "a < b" in text is no tag; unquoted values count once each.
        var html = StartTagScreen(limit: 2)
        #expect(Array("<p>1 < 2 \(equals)</p><a href=x?y=z&w=v>".utf8).withUnsafeBufferPointer { html.scan($0) } != nil,
                "an unquoted value's '=' count too")
        var text = StartTagScreen(limit: 2)
        #expect(Array("<p>1 < 2 \(equals)</p><a b=1 c=2>".utf8).withUnsafeBufferPointer { text.scan($0) } == nil)
        // UTF-16: zero bytes are skipped, so its tags count as their ASCII would.
        let wide = Array(Self.element(attributes: 3).utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        var utf16 = StartTagScreen(limit: 2)
        #expect(wide.withUnsafeBufferPointer { utf16.scan($0) } == 1)
    }

    /// 50,000 levels in a file over 1 MiB (the push parser's path): refused at level 257, not a crash.
    @Test func deepNestingInAFileIsRefused() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        for depth in [257, 50_000] {
            let text = "<erms xmlns=\"urn:erms\"><record>\n" + String(repeating: "<x>", count: depth) + String(repeating: "</x>", count: depth)
                + "</record>" + String(repeating: " ", count: 1 << 20) + "</erms>"
            let path = try dir.write("deep-\(depth).xml", text)
            for input in [XMLInput.file(path), .bytes(Array(text.utf8))] {
                do {
                    try MarkupElement.stream(input, names: [MarkupName("record", namespaceURI: "urn:erms")]) { _, _ in }
                    Issue.record("\(depth) levels were read")
                } catch {
                    #expect(error.message.contains("at line 2") && error.message.contains("256"), "\(error.message)")
                }
            }
        }
        // 256 levels in all are read, as libxml2 reads them from memory.
        let deepest = String(repeating: "<x>", count: 255) + String(repeating: "</x>", count: 255)
        let path = try dir.write("fine.xml", "<root>" + deepest + "</root>" + String(repeating: " ", count: 1 << 19))
        var seen = 0
        try MarkupElement.forEach("x", namespace: nil, in: .file(path)) { _ in seen += 1 }
        #expect(seen == 1)
    }

    @Test func packageMetadataMustBeUTF8() throws {
        let options = XMLParseOptions(requireUTF8: true)
        func message(_ bytes: [UInt8]) -> String? {
            do {
                try MarkupElement.stream(.bytes(bytes), names: [MarkupName("item")], options: options) { _, _ in }
                return nil
            } catch {
                return error.message
            }
        }
        let doc = "<list><item>åäö</item></list>"
        #expect(message(Array(("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" + doc).utf8)) == nil)
        #expect(message([0xEF, 0xBB, 0xBF] + Array(doc.utf8)) == nil, "a UTF-8 byte order mark")
        #expect(message(Array(("\n  " + doc).utf8)) == nil)
        #expect(message(Array(("<?xml version='1.0' encoding='ISO-8859-1'?>" + doc).utf8))
                == "XML refused: its declaration says it is encoded in ISO-8859-1; this input must be UTF-8")
        #expect(message(Array(("<?xml version=\"1.0\" encoding=\"UTF-7\"?>" + doc).utf8))?.contains("UTF-7") == true)
        let wide: [UInt8] = [0xFF, 0xFE] + ("<?xml version=\"1.0\" encoding=\"UTF-16\"?>" + doc).utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(message(wide) == "XML refused: it is encoded in UTF-16 or UTF-32; this input must be UTF-8")
        #expect(message(Array(doc.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }))?.contains("UTF-16") == true, "no byte order mark")
        #expect(message([0x4C, 0x6F, 0xA7, 0x94]) == "XML refused: it is encoded in EBCDIC; this input must be UTF-8")
        // Without the option (office formats' XML, the envelope's own check), libxml2 reads what the document declares.
        #expect(throws: Never.self) { try MarkupElement.stream(.bytes(wide), names: [MarkupName("item")]) { _, _ in } }
    }
}
