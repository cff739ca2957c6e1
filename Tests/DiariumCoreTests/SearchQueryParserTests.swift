import DiariumCore
import Foundation
import Testing

@Suite struct SearchQueryParserTests {
    @Test func wordsPhrasesPrefixesOrAndNot() throws {
        let q = try SearchQueryParser.parse(#"klimat "detaljplan för hamnen" hamn* vatten OR avlopp -remiss NOT utkast"#)
        #expect(q.filters.isEmpty)
        #expect(q.text == .all([.phrase(["klimat"]), .phrase(["detaljplan", "för", "hamnen"]), .prefix(["hamn"]),
                                .any([.phrase(["vatten"]), .phrase(["avlopp"])])],
                               excluded: [.phrase(["remiss"]), .phrase(["utkast"])]))
    }

    /// A repeated word is searched once (it would cost its position list again), and the terms are bounded.
    @Test func repeatedWordsCountOnceAndTermsAreBounded() throws {
        #expect(try SearchQueryParser.parse("och OCH och att och").text == .all([.phrase(["och"]), .phrase(["att"])], excluded: []))
        #expect(try SearchQueryParser.parse("plan OR plan -utkast NOT utkast").text == .all([.phrase(["plan"])], excluded: [.phrase(["utkast"])]))
        let many = (1...33).map { "ord\($0)" }
        #expect(try SearchQueryParser.parse(many.dropLast().joined(separator: " ")).text != nil)
        #expect(throws: DiariumError.self) { try SearchQueryParser.parse(many.joined(separator: " ")) }
        #expect(try SearchQueryParser.parse(Array(repeating: "och", count: 200).joined(separator: " ")).text == .phrase(["och"]))
        // At most 1,000 Unicode scalars, as the OpenAPI document's maxLength counts: 500 letters with a combining
        // accent each are 1,000, one more is too many (though only 501 characters).
        #expect(try SearchQueryParser.parse(String(repeating: "e\u{301}", count: 500)).text != nil)
        #expect(throws: DiariumError.self) { try SearchQueryParser.parse(String(repeating: "e\u{301}", count: 500) + "e") }
    }

    @Test func caseIsFoldedButLettersAreKept() throws {
        #expect(try SearchQueryParser.parse("FÅR").text == .phrase(["får"]))
        #expect(try SearchQueryParser.parse("e-post").text == .phrase(["e", "post"]), "split like the index splits")
        #expect(try SearchQueryParser.parse(#""handlings pla"*"#).text == .prefix(["handlings", "pla"]))
    }

    /// Words are what the index's unicode61 tokenizer makes of the text: letters, numbers, private use and marks;
    /// but U+E000, which begins the index's scope tokens (a document's series), so that no query can name one.
    @Test func wordsAreSplitAsTheIndexSplitsThem() throws {
        #expect(try SearchQueryParser.wordsOf("Ⓐⓑc räksmörgås ④ Ⅻ x\u{E001}y ⅕") == ["c", "räksmörgås", "④", "ⅻ", "x\u{E001}y", "⅕"])
        #expect(try SearchQueryParser.wordsOf("\u{E000}ks x\u{E000}y") == ["ks", "x", "y"])
        #expect(try SearchQueryParser.parse("\u{E000}KSX*").text == .prefix(["ksx"]))
        #expect(try SearchQueryParser.parse("överklagande* ärendenas*").text == .all([.prefix(["överklagande"]), .prefix(["ärendenas"])], excluded: []))
        #expect(try SearchQueryParser.parse("åtgärd").text == .phrase(["åtgärd"]))
    }

    /// Soft hyphens and joiners are dropped from indexed text, so they do not split a query word either.
    @Test func invisibleCharactersInsideAWordDoNotSplitIt() throws {
        for invisible in ["\u{AD}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}"] {
            #expect(try SearchQueryParser.parse("klimat\(invisible)anpassning").text == .phrase(["klimatanpassning"]))
            #expect(try SearchQueryParser.parse("\"klimat\(invisible)anpassning i\"").text == .phrase(["klimatanpassning", "i"]))
        }
        // A zero-width space separates, there and here.
        #expect(try SearchQueryParser.parse("ett\u{200B}två").text == .phrase(["ett", "två"]))
    }

    /// References with a colon are text: SFS and SOU numbers, times, "S:t". Only two or more letters before a colon
    /// make a filter name (an unknown one is an error that says how to search the words instead).
    @Test func colonsAfterDigitsOrOneLetterAreSearchedText() throws {
        #expect(try SearchQueryParser.parse("SFS 2009:400").text == .all([.phrase(["sfs"]), .phrase(["2009", "400"])], excluded: []))
        #expect(try SearchQueryParser.parse("10:30").text == .phrase(["10", "30"]))
        #expect(try SearchQueryParser.parse("S:t Eriks").text == .all([.phrase(["s", "t"]), .phrase(["eriks"])], excluded: []))
        #expect(try SearchQueryParser.parse("-2009:400 plan").text == .all([.phrase(["plan"])], excluded: [.phrase(["2009", "400"])]))
        #expect(throws: DiariumError.self) { try SearchQueryParser.parse("typ:beslut") }
        #expect(try SearchQueryParser.parse("\"typ:beslut\"").text == .phrase(["typ", "beslut"]))
    }

    /// A query pasted from a letter may hold line breaks: they separate words like spaces.
    @Test func lineBreaksAreSpaces() throws {
        #expect(try SearchQueryParser.parse("klimat\r\nplan\ntype:decision") ==
                SearchQueryParser.parse("klimat plan type:decision"))
    }

    @Test func filters() throws {
        let q = try SearchQueryParser.parse(#"type:decision series:ks status:final year:2026 from:2026-01-01 to:2026-06-30 class:2.4 case:"KS 2026/14" number:"KS 2026/14-3" sender:andersson recipient:"Anna Andersson" direction:incoming"#)
        #expect(q.text == nil)
        #expect(q.filters == [
            .type(.decision), .series(SeriesCode(rawValue: "KS")!), .status(.final), .year(2026),
            .from(CalendarDate(year: 2026, month: 1, day: 1)!), .to(CalendarDate(year: 2026, month: 6, day: 30)!),
            .classification("2.4"), .caseNumber(try CaseNumber(parsing: "KS 2026/14")),
            .number(try DocumentNumber(parsing: "KS 2026/14-3")), .sender(["andersson"]), .recipient(["anna", "andersson"]),
            .direction(.incoming),
        ])
        // AND is what the words do already; a type, status or direction is taken in Swedish too.
        #expect(try SearchQueryParser.parse("Kajens AND renovering") == SearchQueryParser.parse("Kajens renovering"))
        #expect(try SearchQueryParser.parse("Kajens AND type:beslut AND NOT renovering") == SearchQueryParser.parse("Kajens type:beslut NOT renovering"))
        // Alone, at an end, or beside OR it would be read as something else: said.
        for query in ["AND", "AND kajen", "kajen AND", "kajen OR AND renovering", "kajen AND OR renovering", "kajen AND AND renovering"] {
            #expect(throws: DiariumError.self, "\(query)") { try SearchQueryParser.parse(query) }
            do { _ = try SearchQueryParser.parse(query) } catch { #expect(error.message.contains("word") && !error.message.contains("none"), "\(query): \(error.message)") }
        }
        #expect(try SearchQueryParser.parse("type:beslut status:Upprättad direction:inkommande").filters == [.type(.decision), .status(.final), .direction(.incoming)])
        // Numbers take their series in any case, as series: does.
        #expect(try SearchQueryParser.parse(#"number:"ks 2026/14-3" case:"ks 2026/14""#).filters
                == [.number(try DocumentNumber(parsing: "KS 2026/14-3")), .caseNumber(try CaseNumber(parsing: "KS 2026/14"))])
        // A party's prefix is a * after the value, not one inside quotes.
        #expect(try SearchQueryParser.parse("sender:anders*").filters == [.sender(["anders"], prefix: true)])
        #expect(try SearchQueryParser.parse(#"sender:"anna anders"*"#).filters == [.sender(["anna", "anders"], prefix: true)])
        #expect(try SearchQueryParser.parse(#"sender:"anna *""#).filters == [.sender(["anna"], prefix: false)])
        #expect(try SearchQueryParser.parse(#"sender:"ab*""#).filters == [.sender(["ab"], prefix: false)])
        // Party words count towards the term limit; a repeated filter counts once.
        let parties = (0..<33).map { "sender:abc\($0)*" }.joined(separator: " ")
        #expect(throws: DiariumError.self) { try SearchQueryParser.parse(parties) }
        let repeated = Array(repeating: "sender:abc*", count: 40).joined(separator: " ")
        #expect(try SearchQueryParser.parse(repeated).filters == [.sender(["abc"], prefix: true)])
    }

    @Test(arguments: [
        ("", "empty"),
        ("   ", "empty"),
        ("🙂 !!", "no word to search for: words are letters and digits, and '🙂 !!' has none"),
        // What other query languages do that this one does not: said, not searched for as something else.
        ("Kajens OR (Älvdalen rapport)", "column 11: brackets do not group words here"),
        ("*hamnen", "column 1: a * goes after the beginning of a word"),
        ("rem**", "one * ends a prefix"),
        ("type:report OR type:letter", "column 13: OR joins words, not filters"),
        ("klimat OR type:letter", "OR joins words, not filters"),
        ("from:2027-01-01 to:2026-12-31", "to:2026-12-31 is before from:2027-01-01"),
        (#""unterminated"#, "column 1: the quote that starts here is never closed"),
        ("klimat \"open", "column 8"),
        ("ab*", "at least 3 letters"),
        // Circled letters are symbols to the index, which would search the prefix "b*".
        ("bⓐⓐ*", "the prefix 'b*' is too short"),
        ("a\u{305}b\u{305}c*", "too short"),
        ("OR klimat", "OR needs a word on each side"),
        ("klimat OR", "OR needs a word on each side"),
        ("-klimat", "needs at least one word"),
        ("NOT", "NOT needs a word"),
        ("kind:decision", "unknown filter 'kind:'"),
        ("kind:decision", "quote them: \"kind:decision\""),
        ("type:memo", "column 1: unknown type 'memo'"),
        ("type:", "needs a value"),
        ("year:twenty", "not a year"),
        ("from:2026-02-30", "column 1: invalid date"),
        ("case:KS2026/1", "invalid case number"),
        ("klimat\u{0}", "control character"),
        ("klimat -type:letter", "column 8: a filter cannot be negated"),
        ("klimat NOT status:draft", "column 12: a filter cannot be negated"),
        ("sender:an*", "at least 3 letters"),
        ("type:dec*", "column 1: the filter type: takes no prefix"),
    ])
    func malformedQueriesNameTheProblem(query: String, expected: String) {
        do {
            _ = try SearchQueryParser.parse(query)
            Issue.record("accepted \(query)")
        } catch {
            #expect(error.code == .invalidField)
            #expect(error.field == "query")
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func cursorsRoundTripAndAreBoundToTheirQuery() throws {
        let cursor = SearchCursor(position: .before(12345), fingerprint: SearchCursor.fingerprint("a"))
        #expect(try SearchCursor(token: cursor.token, expectedFingerprint: SearchCursor.fingerprint("a")) == cursor)
        #expect(throws: DiariumError.self) { try SearchCursor(token: cursor.token, expectedFingerprint: SearchCursor.fingerprint("b")) }
        #expect(throws: DiariumError.self) { try SearchCursor(token: "!!not-base64", expectedFingerprint: "x") }
        // A forged offset near Int.max would overflow the next page's arithmetic: refused as a client error.
        let forged = Data("o:\(Int64.max):\(SearchCursor.fingerprint("a"))".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        #expect(throws: DiariumError.self) { try SearchCursor(token: forged, expectedFingerprint: SearchCursor.fingerprint("a")) }
        let largest = SearchCursor(position: .offset(Int(SearchCursor.maximumOffset)), fingerprint: SearchCursor.fingerprint("a"))
        #expect(try SearchCursor(token: largest.token, expectedFingerprint: SearchCursor.fingerprint("a")) == largest)
        // A case's documents page on by ordinal, oldest first.
        let after = SearchCursor(position: .after(7), fingerprint: SearchCursor.fingerprint("case|KS 2026/1"))
        #expect(try SearchCursor(token: after.token, expectedFingerprint: SearchCursor.fingerprint("case|KS 2026/1")) == after)
        #expect(after.token != SearchCursor(position: .before(7), fingerprint: after.fingerprint).token)
    }
}
