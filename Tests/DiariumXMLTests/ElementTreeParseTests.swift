import DiariumCore
import DiariumXML
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
        let attributes = "<r " + (0..<2_000).map { "a\($0)=\"\"" }.joined(separator: " ") + "/>"
        #expect(refusal(attributes, limit: 1_000)?.contains("more than 1000 elements and attributes") == true)
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
}
