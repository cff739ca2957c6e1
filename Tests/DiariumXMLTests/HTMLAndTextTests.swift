import DiariumCore
@testable import DiariumXML
import Testing

@Suite struct HTMLTests {
    @Test func scriptsAndStylesAreNotText() throws {
        let document = try MarkupDocument.parseHTML("""
            <!DOCTYPE html>
            <html><head><title>Sammanträde</title>
            <style>p { color: red }</style>
            <script>var hemlig = "syns inte";</script></head>
            <body><h1>Kallelse</h1><p>Nämnden får <b>besluta</b> om bygglov.</p>
            <script type="text/javascript">document.write("inte heller")</script>
            <p>Plats: Rådhuset<br>Tid: 18.00</p></body></html>
            """)
        #expect(document.isHTML)
        let text = document.collectText(skipping: ["script", "style"], blockElements: ["title", "h1", "p", "br"])
        #expect(text == "Sammanträde\nKallelse\nNämnden får besluta om bygglov.\nPlats: Rådhuset\nTid: 18.00")
    }

    @Test func brokenHTMLStillParses() throws {
        let document = try MarkupDocument.parseHTML("<p>Öppet <b>hus<p>igen</i> &aring;&auml;&ouml; &#8211; slut")
        #expect(document.collectText(blockElements: ["p"]) == "Öppet hus\nigen åäö – slut")
    }

    @Test func utf8WithoutDeclarationAndLatin1WithDeclaration() throws {
        let utf8 = try MarkupDocument.parseHTML(Array("<p>räksmörgås</p>".utf8))
        #expect(utf8.collectText() == "räksmörgås")
        let latin1: [UInt8] = Array("<html><head><meta charset=\"iso-8859-1\"></head><body><p>".utf8) + [0x72, 0xE4, 0x6B]
            + Array("</p></body></html>".utf8)
        #expect(try MarkupDocument.parseHTML(latin1).collectText() == "räk")
    }

    @Test func externalResourcesAreNotLoaded() throws {
        let document = try MarkupDocument.parseHTML("""
            <!DOCTYPE html SYSTEM "file:///etc/passwd"><html><body><iframe src="file:///etc/passwd"></iframe>
            <p>ok</p></body></html>
            """)
        let text = document.collectText()
        #expect(text == "ok")
    }

    @Test func sizeLimit() {
        #expect(throws: DiariumError.self) {
            try MarkupDocument.parseHTML(String(repeating: "<p>x</p>", count: 100), maxInputBytes: 100)
        }
    }
}

@Suite struct TextAccumulatorTests {
    @Test func normalisesWhitespace() {
        var text = TextAccumulator()
        text.append("  \t Första  rad \t\n\n\n  andra\u{00A0}rad\r\nsista\u{0007}ord  ")
        #expect(text.text == "Första rad\nandra rad\nsista ord")
        text.appendSpace()
        text.appendLineBreak()
        text.append("ny")
        #expect(text.text == "Första rad\nandra rad\nsista ord\nny")
        #expect(text.byteCount == text.text.utf8.count)
        #expect(!text.isTruncated)
    }

    /// The index compares bytes: decomposed letters are composed (NFC), and invisible characters inside words
    /// (soft hyphens, joiners) are dropped rather than split the word; a zero-width space separates words.
    /// The streamed collection gives what the tree walk gives, and appends nothing when the XML is refused.
    @Test func streamedTextIsTheTreeWalksText() throws {
        let xml = #"<d xmlns:w="urn:w"><w:p>Första <w:t>ord</w:t><skip>dolt <w:t>inte</w:t></skip></w:p><w:p><w:t>andra &amp; <![CDATA[tredje]]></w:t><w:tab/><w:t>sista</w:t></w:p></d>"#
        for layout in [TextLayout(skipping: ["skip"], blockElements: ["p"], spaceElements: ["tab"], textOnlyInside: ["t"]),
                       TextLayout(skipping: ["skip"], otherElements: .space)] {
            var tree = TextAccumulator()
            try MarkupDocument.parseXML(xml).collectText(layout, into: &tree)
            var streamed = TextAccumulator()
            try streamed.appendXMLText(Array(xml.utf8), layout: layout)
            #expect(streamed.text == tree.text)
        }
        var small = TextAccumulator(maxBytes: 12)
        try small.appendXMLText(Array(xml.utf8), layout: TextLayout(otherElements: .space))
        #expect(small.isTruncated && small.text == "Första ord")
        var kept = TextAccumulator()
        kept.append("före")
        #expect(throws: DiariumError.self) { try kept.appendXMLText(Array("<a>text<b></a>".utf8), layout: TextLayout()) }
        #expect(throws: DiariumError.self) {
            try kept.appendXMLText(Array(#"<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>"#.utf8), layout: TextLayout())
        }
        #expect(kept.text == "före")
    }

    @Test func streamedHTMLTextIsTheTreeWalksText() throws {
        let layout = TextLayout(skipping: ["script", "style"], blockElements: ["p", "li", "h1", "title", "br", "tr"], spaceElements: ["td"])
        let pages: [[UInt8]] = [
            Array("<!DOCTYPE html><html><head><title>Protokoll</title><style>p{}</style></head><body><h1>Rubrik</h1><p>Första &amp; andra<p>Tredje<br>rad<ul><li>ett<li>två</ul><script>var x = '<p>nej</p>';</script><table><tr><td>a<td>b</table></body></html>".utf8),
            Array("Bara text utan taggar &lt;ok&gt; <b>fet".utf8),
            [0x3C, 0x70, 0x3E, 0x66, 0xE5, 0x72, 0x3C, 0x2F, 0x70, 0x3E],   // <p>får</p> in Latin-1
        ]
        for page in pages {
            var tree = TextAccumulator()
            try MarkupDocument.parseHTML(page).collectText(layout, into: &tree)
            var streamed = TextAccumulator()
            try streamed.appendHTMLText(page, layout: layout)
            #expect(Array(streamed.text.utf8) == Array(tree.text.utf8), "\(tree.text)")
        }
    }

    @Test func composesLettersAndDropsInvisibleCharacters() {
        var text = TextAccumulator()
        text.append("fa\u{030A}ren infor\u{00AD}mation ko\u{200D}mmun\u{FEFF} ett\u{200B}två")
        #expect(Array(text.text.utf8) == Array("fåren information kommun ett två".utf8))
        var plain = TextAccumulator()
        plain.append("Fåren på ängen")
        #expect(Array(plain.text.utf8) == Array("Fåren på ängen".utf8))
    }

    @Test func truncatesAtCharacterBoundaries() {
        var text = TextAccumulator(maxBytes: 5)
        text.append("åäö")
        #expect(text.text == "åä")
        #expect(text.isTruncated)
        text.append("a")
        #expect(text.text == "åä")

        // A flag emoji is one character of 8 bytes: all or nothing.
        var flags = TextAccumulator(maxBytes: 10)
        flags.append("ab 🇸🇪")
        #expect(flags.text == "ab")
        #expect(flags.isTruncated)
    }

    /// NFC lengthens some characters (U+FB2C, 3 bytes, is U+05E9 U+05BC U+05C1, 6): the cap holds after it.
    @Test func textGrownByNormalisationIsCutAgain() {
        let maxBytes = 1 << 20
        var text = TextAccumulator(maxBytes: maxBytes)
        text.append("a\u{301} " + String(repeating: "\u{FB2C}", count: 400_000))
        let stored = text.text
        #expect(stored.utf8.count <= maxBytes)
        #expect(stored.utf8.count > maxBytes - 6)
        #expect(text.isTruncated)
        #expect(stored.hasPrefix("\u{E1} \u{5E9}\u{5BC}\u{5C1}"))
        #expect(stored.unicodeScalars.last == "\u{5C1}")   // whole characters only

        // Within the cap until NFC: only normalising cuts it.
        var small = TextAccumulator(maxBytes: 100)
        small.append("a\u{301} " + String(repeating: "\u{FB2C}", count: 30))   // 94 bytes, 183 in NFC
        #expect(!small.isTruncated)
        #expect(small.text == "\u{E1} " + String(repeating: "\u{5E9}\u{5BC}\u{5C1}", count: 16))
        #expect(small.isTruncated)
    }
}

/// Text appended in one piece is the same as the same text fed to the per-scalar rules one scalar at a time (whole
/// strings take a faster path: their own UTF-8 decoding and runs of ASCII copied at once), at every size limit.
@Suite struct TextAccumulatorPathTests {
    static let pieces = ["Kommunstyrelsen", " ", "  ", "\t", "\n", "\r\n", "\n\n", "å", "Ä", "ö", "é", "e\u{301}", "🇸🇪", "👩‍👩‍👧",
                         "\u{00A0}", "\u{2028}", "\u{7}", "\u{7F}", "\u{85}", "x", "2026/14", "\"citat\"", "ß", "中文", "\u{200B}"]

    static func oneScalarAtATime(_ text: String, maxBytes: Int) -> TextAccumulator {
        var accumulator = TextAccumulator(maxBytes: maxBytes)
        for scalar in text.unicodeScalars where !accumulator.isTruncated { accumulator.append(scalar: scalar) }
        return accumulator
    }

    @Test func wholeStringsMatchScalarByScalar() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let text = (0..<Int.random(in: 0...40, using: &generator)).map { _ in Self.pieces.randomElement(using: &generator)! }.joined()
            for maxBytes in [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, .max] {
                var whole = TextAccumulator(maxBytes: maxBytes)
                whole.append(text)
                var reference = Self.oneScalarAtATime(text, maxBytes: maxBytes)
                #expect(whole.text == reference.text, "\(text.debugDescription) at \(maxBytes)")
                #expect(whole.isTruncated == reference.isTruncated, "\(text.debugDescription) at \(maxBytes)")
                // In two substrings, as extractors hand over slices.
                var halves = TextAccumulator(maxBytes: maxBytes)
                let middle = text.index(text.startIndex, offsetBy: text.count / 2)
                halves.append(text[..<middle])
                halves.append(text[middle...])
                #expect(halves.text == reference.text && halves.isTruncated == reference.isTruncated, "\(text.debugDescription) at \(maxBytes)")
            }
        }
    }
}
