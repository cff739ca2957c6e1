import DiariumXML
import Testing

@Suite struct XMLWriterTests {
    @Test func writesIndentedEscapedXMLThatParsesBack() throws {
        var writer = XMLWriter()
        writer.start("r:root", ["xmlns:r": "urn:x", "r:id": "a\"b<c>&\td\ne", "skipped": nil])
        writer.element("r:title", text: "Bygglov & <plan> \u{1}\u{FFFF} åäö")
        writer.element("r:none", text: nil)
        writer.empty("r:empty", ["v": "1"])
        writer.start("r:outer")
        writer.element("r:inner", text: "")
        writer.end()
        writer.end()
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r:root "))
        #expect(text.contains("\n  <r:empty v=\"1\"/>\n"))
        #expect(text.contains("\n  <r:outer>\n    <r:inner/>\n  </r:outer>\n</r:root>\n"))
        #expect(!text.contains("r:none"))
        #expect(!text.contains("skipped"))

        let tree = try #require(try MarkupDocument.parseXML(writer.bytes).elementTree())
        #expect(tree.name == MarkupName("root", namespaceURI: "urn:x"))
        #expect(tree.attribute("id", namespace: "urn:x") == "a\"b<c>&\td\ne")
        #expect(tree.child("title")?.text == "Bygglov & <plan> \u{FFFD}\u{FFFD} åäö")
        #expect(tree.child("outer")?.child("inner")?.trimmedText == nil)
        #expect(tree.child("empty")?.line == 4)
        #expect(tree.descendants("inner", namespace: "urn:x").count == 1)
    }

    @Test func elementTreeKeepsOwnTextAndDropsEntityReferences() throws {
        let xml = "<a>one<b>two</b>three<c><![CDATA[x<y]]></c></a>"
        let tree = try #require(try MarkupDocument.parseXML(xml).elementTree())
        #expect(tree.text == "onethree")
        #expect(tree.child("b")?.text == "two")
        #expect(tree.child("c")?.text == "x<y")
        #expect(tree.children.map(\.name.localName) == ["b", "c"])
    }
}
