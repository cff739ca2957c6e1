import DiariumCore
import DiariumTesting
import DiariumXML
import Foundation
import Testing

/// `MarkupElement.parse` (SAX straight into values) against `elementTree()` (libxml2 tree first): the same tree, the
/// same refusals.
@Suite struct ElementTreeParseTests {
    static let sample = """
        <?xml version="1.0" encoding="UTF-8"?>
        <erms xmlns="urn:erms" xmlns:dx="urn:dx" version="2.0">
          <!-- a comment -->
          <aggregation type="caseFile" dx:note="A &amp; B &lt;C&gt; &#229;">
            <title>Bygglov för förskola</title>
            <empty/>
            <spaces>   </spaces>
            <code><![CDATA[x < y & z]]></code>
            <mixed>före <b>fet</b> efter</mixed>
            <?pi ignored?>
          </aggregation>
        </erms>
        """

    /// Compares two trees, treating whitespace-only text of elements with children as equal to "".
    static func same(_ a: MarkupElement, _ b: MarkupElement) -> Bool {
        func text(_ e: MarkupElement) -> String {
            !e.children.isEmpty && e.text.allSatisfy(\.isWhitespace) ? "" : e.text
        }
        return a.name == b.name && a.attributes == b.attributes && text(a) == text(b) && a.line == b.line
            && a.children.count == b.children.count && zip(a.children, b.children).allSatisfy { same($0, $1) }
    }

    @Test func buildsTheSameTreeAsTheLibxml2Tree() throws {
        let bytes = Array(Self.sample.utf8)
        let sax = try MarkupElement.parse(bytes)
        let tree = try #require(try MarkupDocument.parseXML(bytes).elementTree())
        #expect(Self.same(sax, tree))

        let aggregation = try #require(sax.child("aggregation", namespace: "urn:erms"))
        #expect(aggregation.line == 4)
        #expect(aggregation.attribute("note", namespace: "urn:dx") == "A & B <C> å")
        #expect(aggregation.attribute("type") == "caseFile")
        #expect(aggregation.text == "")   // indentation only
        #expect(aggregation.child("spaces")?.text == "   ")   // a leaf keeps its whitespace
        #expect(aggregation.child("code")?.text == "x < y & z")
        #expect(aggregation.child("mixed")?.text == "före  efter")
        #expect(aggregation.child("title")?.trimmedText == "Bygglov för förskola")
    }

    @Test func refusesADoctypeBeforeReadingItsEntities() {
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <x>&xxe;</x>
            """
        #expect { try MarkupElement.parse(Array(xml.utf8)) } throws: { error in
            let error = error as? DiariumError
            return error?.field == "xml" && error?.message.contains("DOCTYPE") == true && error?.message.contains("line 2") == true
        }
    }

    @Test func undeclaredEntitiesAndMalformedInputNameTheLine() {
        for (xml, line) in [("<a>\n<b>&nope;</b></a>", 2), ("<a>\n\n<b></a>", 3), ("<a x='1' x='2'/>", 1)] {
            #expect { try MarkupElement.parse(Array(xml.utf8)) } throws: { error in
                (error as? DiariumError)?.message.contains("malformed XML at line \(line):") == true
            }
        }
        #expect(throws: DiariumError.self) { try MarkupElement.parse([]) }
        #expect(throws: DiariumError.self) { try MarkupElement.parse(Array("<a/>".utf8), options: XMLParseOptions(maxInputBytes: 3)) }
    }

    @Test func withoutDoctypeRejectionFallsBackToTheTreeParse() throws {
        let xml = "<!DOCTYPE a [<!ENTITY e \"expanded\">]><a v='x&e;y'>1&e;2</a>"
        let root = try MarkupElement.parse(Array(xml.utf8), options: XMLParseOptions(rejectDoctype: false))
        #expect(root.text == "12")          // entity references are dropped, never expanded
        #expect(root.attribute("v") == "xy")
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let xml = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        #expect(throws: DiariumError.self) { try MarkupElement.parse(Array(xml.utf8)) }
        // The sender is told of the limit, not advised on libxml2's parser options.
        do {
            _ = try MarkupElement.parse(Array(xml.utf8))
        } catch {
            #expect(error.message == "XML refused at line 1: elements nested more than 256 deep", "\(error.message)")
        }
    }

    @Test func treeSizeIsBounded() throws {
        // 60 MiB of `<a/>` once built a 1.37 GB tree: elements and attributes are counted, and past the limit it stops.
        func refusal(_ xml: String, limit: Int) -> String? {
            do {
                _ = try MarkupElement.parse(Array(xml.utf8), options: XMLParseOptions(maxNodes: limit))
                return nil
            } catch {
                return error.message
            }
        }
        let elements = "<r>" + String(repeating: "<a/>", count: 2_000) + "</r>"
        #expect(refusal(elements, limit: 1_000)?.contains("more than 1000 elements and attributes") == true)
        let attributes = "<r " + (0..<200).map { "a\($0)=\"\"" }.joined(separator: " ") + "/>"
        #expect(refusal(attributes, limit: 100)?.contains("more than 100 elements and attributes") == true)
        #expect(refusal(elements, limit: 2_001) == nil)
        #expect(XMLParseOptions().maxNodes >= 1_000_000)
    }

    /// `forEach` hands out each named element as its own tree, as `parse` builds it, and keeps no more than one at a
    /// time: a document with more nodes than `maxNodes` streams as long as no one element has that many.
    @Test func forEachStreamsOneElementAtATime() throws {
        let bytes = Array(Self.sample.utf8)
        var seen: [MarkupElement] = []
        try MarkupElement.forEach("aggregation", namespace: "urn:erms", in: bytes) { seen.append($0) }
        let whole = try MarkupElement.parse(bytes)
        let aggregation = try #require(whole.child("aggregation", namespace: "urn:erms"))
        #expect(seen.count == 1 && Self.same(seen[0], aggregation))
        // Another namespace is another name; the root is handed out whole when it is the one named.
        try MarkupElement.forEach("aggregation", namespace: "urn:other", in: bytes) { _ in Issue.record("wrong namespace") }
        var roots: [MarkupElement] = []
        try MarkupElement.forEach("erms", namespace: "urn:erms", in: bytes) { roots.append($0) }
        #expect(roots.count == 1 && Self.same(roots[0], whole))

        // Elements outside the named ones (here <other>, as PREMIS's events beside its objects) are not kept either.
        let many = "<list>" + (1...500).map { "<item n=\"\($0)\"><item n=\"inner\"/><v>\($0)</v></item><other><x/></other>" }.joined()
            + "</list>"
        var numbers: [String] = []
        try MarkupElement.forEach("item", namespace: nil, in: Array(many.utf8), options: XMLParseOptions(maxNodes: 20)) { item in
            numbers.append(item.attribute("n") ?? "")
            #expect(item.children.count == 2 && item.child("item")?.attribute("n") == "inner", "an inner one stays in its outer one")
        }
        #expect(numbers == (1...500).map(String.init))
        #expect(throws: DiariumError.self) { try MarkupElement.parse(Array(many.utf8), options: XMLParseOptions(maxNodes: 20)) }
        let big = "<list><item>" + String(repeating: "<v/>", count: 30) + "</item></list>"
        #expect(throws: DiariumError.self) {
            try MarkupElement.forEach("item", namespace: nil, in: Array(big.utf8), options: XMLParseOptions(maxNodes: 20)) { _ in }
        }
        let doctype = "<?xml version=\"1.0\"?><!DOCTYPE list [<!ENTITY e \"x\">]><list><item>&e;</item></list>"
        #expect(throws: DiariumError.self) { try MarkupElement.forEach("item", namespace: nil, in: Array(doctype.utf8)) { _ in } }
    }

    /// `stream` hands out every named element as it ends, an inner one on its own before its outer one (which then
    /// lacks it), with the open elements around it; the rest is dropped. What it holds at once is one named element
    /// without the named ones inside it, so a case of many records streams under a `maxNodes` the whole case is over.
    @Test func streamHandsOutNestedElementsWithTheirAncestors() throws {
        let records = (1...300).map { "<record n=\"\($0)\"><title>T\($0)</title></record>" }.joined()
        let text = """
            <?xml version="1.0"?>
            <erms xmlns="urn:erms" v="2"><control><id>c</id></control><aggregations>
            <aggregation n="1"><info>case one</info>\(records)</aggregation><aggregation n="2"/></aggregations><tail/></erms>
            """
        let names: Set<MarkupName> = [MarkupName("record", namespaceURI: "urn:erms"), MarkupName("aggregation", namespaceURI: "urn:erms")]
        var seen: [(String, String, [String])] = []
        let root = try MarkupElement.stream(.bytes(Array(text.utf8)), names: names, options: XMLParseOptions(maxNodes: 50)) { element, ancestors in
            seen.append((element.name.localName, element.attribute("n") ?? "", ancestors.map(\.name.localName)))
            if element.name.localName == "record" {
                #expect(element.child("title", namespace: "urn:erms")?.text == "T\(element.attribute("n") ?? "")")
                #expect(ancestors.last?.attribute("n") == "1" && ancestors.last?.children.isEmpty == true)
            } else if element.attribute("n") == "1" {
                // Its records were handed out already; what is not named stays.
                #expect(element.children.map(\.name.localName) == ["info"], "\(element.children)")
            }
        }
        #expect(seen.count == 302)
        #expect(seen.prefix(2).map(\.1) == ["1", "2"] && seen[0].0 == "record" && seen[0].2 == ["erms", "aggregations", "aggregation"])
        #expect(seen[300].0 == "aggregation" && seen[300].1 == "1" && seen[301].1 == "2" && seen[301].2 == ["erms", "aggregations"])
        #expect(root.element.name == MarkupName("erms", namespaceURI: "urn:erms") && root.element.attribute("v") == "2" && root.element.line == 2)
        #expect(root.childNames == Set(["control", "aggregations", "tail"].map { MarkupName($0, namespaceURI: "urn:erms") }))
        // Parsed whole, the same document is over that many nodes.
        #expect(throws: DiariumError.self) { try MarkupElement.parse(Array(text.utf8), options: XMLParseOptions(maxNodes: 50)) }

        // Text held counts too (a node per 16 bytes, rounded up): one long record, or whitespace between many, is refused
        // as a deep tree would be.
        func streamed(_ text: String) throws(DiariumError) {
            try MarkupElement.stream(.bytes(Array(text.utf8)), names: names, options: XMLParseOptions(maxNodes: 50)) { _, _ in }
        }
        let shell = { (inside: String) in "<erms xmlns=\"urn:erms\"><aggregations><aggregation>\(inside)</aggregation></aggregations></erms>" }
        #expect(throws: Never.self) { try streamed(shell("<record>" + String(repeating: "x", count: 700) + "</record>")) }
        #expect(throws: DiariumError.self) { try streamed(shell("<record>" + String(repeating: "x", count: 900) + "</record>")) }
        #expect(throws: DiariumError.self) { try streamed(shell(String(repeating: "<record/> ", count: 60))) }

        // What the body throws stops the parse there, and comes out.
        var handed = 0
        do {
            try MarkupElement.stream(.bytes(Array(text.utf8)), names: names) { _, _ throws(DiariumError) in
                handed += 1
                if handed == 3 { throw DiariumError.invalid("test", "enough") }
            }
            Issue.record("the body's error was swallowed")
        } catch {
            #expect(error.message == "enough" && handed == 3)
        }
    }

    /// A file is parsed as its bytes are, a chunk at a time (lines counted across chunks), with the same refusals.
    @Test func aFileParsesAsItsBytesDo() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        // Over the push parser's 256 KiB chunk, several times.
        let items = (1...20_000).map { "  <item n=\"\($0)\">å \($0) &amp; ä</item>\n" }.joined()
        let text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<list>\n\(items)</list>\n"
        let path = try dir.write("list.xml", text)
        var fromFile: [MarkupElement] = [], fromBytes: [MarkupElement] = []
        try MarkupElement.forEach("item", namespace: nil, in: .file(path)) { fromFile.append($0) }
        try MarkupElement.forEach("item", namespace: nil, in: .bytes(Array(text.utf8))) { fromBytes.append($0) }
        #expect(fromFile.count == 20_000 && zip(fromFile, fromBytes).allSatisfy { Self.same($0, $1) })
        #expect(fromFile.last?.line == 20_002 && fromFile.last?.text == "å 20000 & ä")

        func refusal(_ text: String, maxInputBytes: Int = 64 << 20) throws -> String? {
            let path = try dir.write("bad.xml", text)
            do {
                try MarkupElement.stream(.file(path), names: [MarkupName("item")], options: XMLParseOptions(maxInputBytes: maxInputBytes)) { _, _ in }
                return nil
            } catch {
                return error.message
            }
        }
        #expect(try refusal("<?xml version=\"1.0\"?>\n<!DOCTYPE list [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n<list>&e;</list>")?
            .contains("XML refused at line 2") == true)
        #expect(try refusal(text.replacingOccurrences(of: "<item n=\"19999\">", with: "<item n=\"19999\"><b>"))?
            .contains("malformed XML at line 20001") == true)
        #expect(try refusal(text, maxInputBytes: 1000)?.contains("more than the limit of 1000 bytes") == true)
        #expect(try refusal("")?.contains("empty") == true)
        // A NUL byte after the root: libxml2's in-memory parser would take it as the end and ignore what follows
        // (found by the fuzz target mets); from memory it is refused as from a file.
        for trailing in ["\u{0}", "\n\u{0}<other/>"] {
            let bytes = Array("<list>\n<item/>\n</list>\(trailing)".utf8)
            #expect(try refusal(String(decoding: bytes, as: UTF8.self))?.contains("malformed XML") == true, "\(trailing)")
            #expect(throws: DiariumError.self) { try MarkupElement.stream(.bytes(bytes), names: [MarkupName("item")]) { _, _ in } }
            #expect(throws: DiariumError.self) { try MarkupDocument.parseXML(bytes) }
        }
        #expect(throws: DiariumError.self) { try MarkupDocument.parseXML(Array("<a>x\u{0}y</a>".utf8)) }
        do {
            _ = try MarkupDocument.parseXML(Array("<a>\nåäö</a>\u{0}".utf8))
            Issue.record("a NUL byte was taken")
        } catch {
            #expect(error.message == "malformed XML at line 2:8: a NUL byte is not allowed in XML", "columns count characters")
        }
        // Streamed from memory, what comes before the NUL is read as from a file (found by the fuzz target erms).
        let listWithNUL = Array("<list>\n<item/>\n<item/>\n</list>\n\u{0}".utf8)
        let nulPath = try dir.write("nul.xml", Data(listWithNUL))
        for input in [XMLInput.bytes(listWithNUL), .file(nulPath)] {
            var seen = 0
            #expect(throws: DiariumError.self) { try MarkupElement.forEach("item", namespace: nil, in: input) { _ in seen += 1 } }
            #expect(seen == 2)
        }
        // UTF-16 is full of zero bytes: read from memory as from a file; a zero code unit is the NUL.
        func utf16(_ text: String) -> [UInt8] { [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
        let wide = utf16("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<list><item>åäö</item></list>\n")
        let widePath = try dir.write("utf16.xml", Data(wide))
        var texts: [String] = []
        try MarkupElement.forEach("item", namespace: nil, in: .bytes(wide)) { texts.append($0.text) }
        try MarkupElement.forEach("item", namespace: nil, in: .file(widePath)) { texts.append($0.text) }
        #expect(texts == ["åäö", "åäö"])
        #expect(try MarkupDocument.parseXML(wide).elementTree()?.name.localName == "list")
        #expect(throws: DiariumError.self) { try MarkupDocument.parseXML(wide + [0x00, 0x00]) }
        #expect(try refusal(String(text.dropLast(10)))?.contains("malformed XML") == true, "cut off")
        do {
            try MarkupElement.forEach("item", namespace: nil, in: .file(dir.file("missing.xml"))) { _ in }
            Issue.record("a missing file was read")
        } catch {
            #expect(error.code == .storage)
        }
    }
}
