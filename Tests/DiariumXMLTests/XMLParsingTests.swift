import DiariumCore
import DiariumXML
import Testing

/// The error a parse throws, or nil when it parses.
private func parseError(_ xml: String, rejectDoctype: Bool = true) -> DiariumError? {
    do {
        _ = try MarkupDocument.parseXML(xml, options: XMLParseOptions(rejectDoctype: rejectDoctype))
        return nil
    } catch {
        return error
    }
}

private let xxe = """
    <?xml version="1.0"?>
    <!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
    <x>before &xxe; after</x>
    """

private let billionLaughs = """
    <?xml version="1.0"?>
    <!DOCTYPE lolz [
     <!ENTITY lol "lol">
     <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
     <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
     <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
     <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
     <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
     <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
     <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
     <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
     <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
    ]>
    <lolz>&lol9;</lolz>
    """

@Suite struct XMLParsingTests {
    @Test func parsesValidXMLWithNamespacesAndSwedishText() throws {
        let document = try MarkupDocument.parseXML("""
            <?xml version="1.0" encoding="UTF-8"?>
            <ärende xmlns="urn:diarium:test" xmlns:m="urn:meta" m:status="öppen">
              <titel>Bygglov för förskola</titel>
              <m:not>Får &amp; kan</m:not>
            </ärende>
            """)
        #expect(document.rootElement == MarkupName("ärende", namespaceURI: "urn:diarium:test"))
        #expect(document.diagnostics.isEmpty)

        var events: [MarkupEvent] = []
        document.walk(includeAttributes: true) { event in
            if case .text(let text) = event, text.allSatisfy(\.isWhitespace) { return }
            events.append(event)
        }
        let root = MarkupName("ärende", namespaceURI: "urn:diarium:test")
        let status = MarkupAttribute(name: MarkupName("status", namespaceURI: "urn:meta"), value: "öppen")
        #expect(events == [
            .start(root, attributes: [status]),
            .start(MarkupName("titel", namespaceURI: "urn:diarium:test"), attributes: []),
            .text("Bygglov för förskola"),
            .end(MarkupName("titel", namespaceURI: "urn:diarium:test")),
            .start(MarkupName("not", namespaceURI: "urn:meta"), attributes: []),
            .text("Får & kan"),
            .end(MarkupName("not", namespaceURI: "urn:meta")),
            .end(root),
        ])
        #expect(document.collectText(blockElements: ["titel", "not"]) == "Bygglov för förskola\nFår & kan")
    }

    @Test func latin1DeclaredXMLComesOutAsUnicode() throws {
        let bytes: [UInt8] = Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>".utf8) + [0xE5, 0xE4, 0xF6]
            + Array("</a>".utf8)
        #expect(try MarkupDocument.parseXML(bytes).collectText() == "åäö")
    }

    @Test func malformedXMLNamesTheLine() throws {
        let error = try #require(parseError("<a>\n  <b>ok</b>\n  <c>oops</d>\n</a>\n"))
        #expect(error.code == .invalidField)
        #expect(error.field == "xml")
        #expect(error.message.hasPrefix("malformed XML at line 3:"), "\(error.message)")
        #expect(error.message.contains("mismatch"), "\(error.message)")
    }

    @Test func emptyAndTruncatedInputAreMalformed() throws {
        #expect(parseError("")?.message.contains("empty") == true)
        let error = try #require(parseError("<a>\n<b>"))
        #expect(error.message.contains("line 2"), "\(error.message)")
    }

    @Test func refusesInputOverTheSizeLimitBeforeParsing() throws {
        let xml = "<a>" + String(repeating: "x", count: 100) + "</a>"
        #expect(throws: DiariumError.self) {
            try MarkupDocument.parseXML(xml, options: XMLParseOptions(maxInputBytes: 50))
        }
        do {
            _ = try MarkupDocument.parseXML(xml, options: XMLParseOptions(maxInputBytes: 50))
        } catch {
            #expect(error.message.contains("more than the limit of 50 bytes"))
        }
        _ = try MarkupDocument.parseXML(xml, options: XMLParseOptions(maxInputBytes: 200))
    }

    @Test func externalEntityIsRefusedWithDoctypeRejection() throws {
        let error = try #require(parseError(xxe))
        #expect(error.message.contains("DOCTYPE"), "\(error.message)")
        #expect(error.message.contains("line 2"), "\(error.message)")
        #expect(!error.message.contains("root:"))
    }

    @Test func externalEntityIsNeverLoadedWithoutDoctypeRejection() throws {
        let document = try MarkupDocument.parseXML(xxe, options: XMLParseOptions(rejectDoctype: false))
        let text = document.collectText()
        #expect(!text.contains("root:"))
        #expect(text == "before after")
        document.walk(includeAttributes: true) { event in
            if case .text(let text) = event { #expect(!text.contains("root:")) }
        }
    }

    @Test func entityReferencesInAttributesAreDroppedNotExpanded() throws {
        let document = try MarkupDocument.parseXML(
            "<!DOCTYPE x [<!ENTITY e \"INNER\">]><x a=\"1&e;2&amp;3\">t&e;u</x>",
            options: XMLParseOptions(rejectDoctype: false))
        var attributes: [MarkupAttribute] = []
        document.walk(includeAttributes: true) { event in
            if case .start(_, let found) = event { attributes += found }
        }
        #expect(attributes.map(\.value) == ["12&3"])
        #expect(document.collectText() == "tu")
    }

    @Test func billionLaughsIsRefusedQuickly() throws {
        // A generous bound, not a benchmark: an expansion would take minutes and gigabytes.
        let start = ContinuousClock.now
        let refused = try #require(parseError(billionLaughs))
        #expect(refused.message.contains("DOCTYPE"))
        let looped = try #require(parseError(billionLaughs, rejectDoctype: false))
        #expect(looped.message.hasPrefix("malformed XML at line"), "\(looped.message)")
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func quadraticBlowupIsNotExpandedByTheWalker() throws {
        let entity = String(repeating: "A", count: 10_000)
        let references = String(repeating: "&big;", count: 10_000)
        let xml = "<!DOCTYPE x [<!ENTITY big \"\(entity)\">]><x>start \(references) end</x>"
        #expect(parseError(xml)?.message.contains("DOCTYPE") == true)
        // Allowed through, the 100 MB expansion must still never happen.
        let document = try MarkupDocument.parseXML(xml, options: XMLParseOptions(rejectDoctype: false))
        #expect(document.collectText() == "start end")
    }

    @Test func walkStopsWhenTheVisitorThrows() throws {
        struct Enough: Error {}
        let document = try MarkupDocument.parseXML("<a><b>1</b><c>2</c><d>3</d></a>")
        var texts: [String] = []
        #expect(throws: Enough.self) {
            try document.walk { (event: MarkupEvent) throws(Enough) in
                if case .text(let text) = event {
                    texts.append(text)
                    if texts.count == 2 { throw Enough() }
                }
            }
        }
        #expect(texts == ["1", "2"])
    }

    @Test func textOnlyInsideAndSkippedElements() throws {
        let document = try MarkupDocument.parseXML("""
            <w:document xmlns:w="urn:w"><w:body>
              <w:p><w:r><w:t>Hej</w:t></w:r><w:r><w:tab/><w:t xml:space="preserve">där </w:t></w:r>
                <w:r><w:instrText>PAGE</w:instrText></w:r></w:p>
              <w:p><w:r><w:t>Andra</w:t></w:r><w:r><w:delText>borttagen</w:delText></w:r></w:p>
            </w:body></w:document>
            """)
        var text = TextAccumulator()
        document.collectText(
            TextLayout(blockElements: ["p"], spaceElements: ["tab"], textOnlyInside: ["t"]), into: &text)
        #expect(text.text == "Hej där\nAndra")
    }
}
