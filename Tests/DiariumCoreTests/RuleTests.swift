import DiariumCore
import Foundation
import Testing

@Suite struct RestrictionTests {
    @Test func restrictionNeedsLegalReference() {
        for reference in ["", "   "] {
            do {
                _ = try AccessRestriction(kind: .secrecy, legalReference: reference)
                Issue.record("a restriction without legal reference was accepted")
            } catch {
                #expect(error.code == .missingLegalReference)
                #expect(error.field == "legal")
            }
        }
    }

    @Test func restrictionNormalises() throws {
        let restriction = try AccessRestriction(kind: .privacy, legalReference: "  OSL 26 kap. 1 §  ", hides: [.title, .content, .title])
        #expect(restriction.legalReference == "OSL 26 kap. 1 §")
        #expect(restriction.hides == [.content, .title])
        #expect(restriction.hides(.title))
        #expect(!restriction.hides(.parties))
    }

    @Test func decodingEnforcesTheRule() {
        let json = #"{"kind":"secrecy","legalReference":""}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AccessRestriction.self, from: Data(json.utf8)) }
    }
}

@Suite struct RecordRuleTests {
    /// Values as a clerk types them: the raw value in any case, or a Swedish word, the register's own among them.
    @Test func choicesAreTakenInSwedish() {
        #expect(Direction.typed("inkommen") == .incoming && Direction.typed("Inkommande") == .incoming)
        #expect(Direction.typed("utgående") == .outgoing && Direction.typed("utgången") == nil)
        #expect(RecordType.typed("Beslut") == .decision && RecordType.typed("brev") == .letter)
    }

    func document(_ status: DocumentStatus) throws -> DocumentRecord {
        let metadata = DocumentMetadata(title: "Plan", recordType: .actionPlan)
        let version = DocumentVersion(number: 1, change: .registered, author: "anna", createdAt: Date(), comment: nil,
                                      status: status, metadata: metadata, content: nil)
        return DocumentRecord(number: try DocumentNumber(parsing: "KS 2026/1-1"), registeredAt: Date(), registeredBy: "anna", current: version)
    }

    @Test func contentOnlyOnDrafts() throws {
        try RecordRules.checkAcceptsContent(document(.draft))
        #expect(throws: DiariumError(.invalidState, "document KS 2026/1-1 is final and takes no new content")) {
            try RecordRules.checkAcceptsContent(document(.final))
        }
        #expect(throws: DiariumError.self) { try RecordRules.checkAcceptsContent(document(.archived)) }
    }

    @Test func metadataUntilArchivedThenOnlyTheRestriction() throws {
        try RecordRules.checkAcceptsMetadata(document(.draft), changing: ["title", "sender"])
        try RecordRules.checkAcceptsMetadata(document(.final), changing: ["title"])
        #expect(throws: DiariumError.self) { try RecordRules.checkAcceptsMetadata(document(.archived), changing: ["title"]) }
        #expect(throws: DiariumError.self) { try RecordRules.checkAcceptsMetadata(document(.archived), changing: ["restriction", "sender"]) }
        try RecordRules.checkAcceptsMetadata(document(.archived), changing: ["restriction", "publicTitle"])
        try RecordRules.checkAcceptsMetadata(document(.archived), changing: ["publicTitle"])
        #expect(throws: DiariumError.self) { try RecordRules.checkAcceptsMetadata(document(.archived), changing: ["publicTitle", "title"]) }
    }

    @Test func statusOnlyMovesForward() throws {
        try RecordRules.checkTransition(document(.draft), to: .final)
        try RecordRules.checkTransition(document(.final), to: .archived)
        for (from, to) in [(DocumentStatus.draft, DocumentStatus.archived), (.final, .draft), (.final, .final), (.archived, .final), (.archived, .draft)] {
            #expect(throws: DiariumError.self, "\(from) → \(to)") { try RecordRules.checkTransition(document(from), to: to) }
        }
    }

    @Test func validatesMetadataText() throws {
        var metadata = DocumentMetadata(title: "  Plan  ", recordType: .decision, sender: "   ", classification: "2.4")
        metadata = try RecordRules.validated(metadata)
        #expect(metadata.title == "Plan")
        #expect(metadata.sender == nil)
        for bad in ["", "line\nbreak", "Faktura \u{202E}fdp.exe", "\u{2067}Anna\u{2069}", "\u{2028}", "\u{2029} \u{2028}\u{200E}",
                    String(repeating: "x", count: 1001)] {
            #expect(throws: DiariumError.self) { try RecordRules.validated(DocumentMetadata(title: bad, recordType: .other)) }
        }
        // The line and paragraph separators (pasted from a PDF) break a line: a space, as any break in a folded line.
        #expect(try RecordRules.validated(DocumentMetadata(title: "rad\u{2028}två\u{2029}", recordType: .other)).title == "rad två")
        #expect(throws: DiariumError.self) { try RecordRules.classification("2..4") }
        #expect(try RecordRules.classification("1.2.3") == "1.2.3")
    }

    /// A line must show something: one made only of characters drawn as nothing (marks, joiners, a byte-order mark)
    /// is an empty line in every list, and no one could find or tell it apart. Optional lines take it as blank.
    @Test func aLineMustShowSomething() throws {
        for (invisible, named) in [("\u{200E}", "200E"), ("\u{2060}\u{FEFF}", "2060"), (" \u{AD} ", "AD"), ("\u{FE0F}", "FE0F"),
                                   ("\u{200B}\u{200D}", "200D")] {
            #expect(throws: DiariumError.invalid("title", "title must contain a visible character, not only invisible ones (U+\(named))")) {
                try RecordRules.validated(DocumentMetadata(title: invisible, recordType: .letter))
            }
            #expect(try TextRules.optionalLine(invisible, field: "sender") == nil)
            #expect(TextRules.foldedLine(invisible, maxLength: 100) == nil)
        }
        // Inside a word they stay (a soft hyphen, a joiner in an emoji); a combining mark alone shows.
        #expect(try TextRules.line("Detalj\u{AD}plan \u{1F468}\u{200D}\u{1F469}", field: "title") == "Detalj\u{AD}plan \u{1F468}\u{200D}\u{1F469}")
        #expect(try TextRules.line("\u{301}", field: "title") == "\u{301}")
    }

    /// Limits count the text as stored: NFC can make it longer (U+FB2C composes to three code points).
    @Test func lengthIsCountedAfterNormalising() throws {
        let text = String(repeating: "\u{FB2C}", count: 400)
        #expect(text.unicodeScalars.count == 400 && text.precomposedStringWithCanonicalMapping.unicodeScalars.count == 1200)
        #expect(throws: DiariumError.self) { try TextRules.line(text, field: "title", maxLength: 1000) }
        #expect(try TextRules.line(String(repeating: "\u{FB2C}", count: 300), field: "title", maxLength: 1000).unicodeScalars.count == 900)
        // And as sent, which is what the API's schema states: trimming does not make a long value short enough.
        #expect(throws: DiariumError.self) { try TextRules.line(String(repeating: "\u{A0}", count: 64) + "0", field: "name", maxLength: 64) }
    }

    /// Values from another system become lines `line` accepts, however they were wrapped or however long.
    @Test func foldedLinesAreWhatALineAccepts() throws {
        #expect(TextRules.foldedLine("  Bygglov\r\n\t Storgatan\u{0007} 1\n", maxLength: 100)! == ("Bygglov Storgatan 1", false))
        #expect(TextRules.foldedLine("Cafe\u{301}", maxLength: 100)!.text == "Café", "NFC")
        #expect(TextRules.foldedLine(" \n\t\u{0000} ", maxLength: 10) == nil)
        // Cut at a character's end: a letter and its combining accents stay together or go together.
        let cut = try #require(TextRules.foldedLine("ab e\u{301}\u{302}cd", maxLength: 4))
        #expect(cut == ("ab", true))
        let long = try #require(TextRules.foldedLine(String(repeating: "ä ", count: 800), maxLength: 1000))
        #expect(long.shortened && long.text.unicodeScalars.count <= 1000)
        #expect(try TextRules.line(long.text, field: "title") == long.text)
    }

    /// The line and paragraph separators are blanks: a value of them alone is empty (an optional one absent, a legal
    /// reference missing), never stored as nothing; inside a line they are spaces, in the legal reference too.
    @Test func lineSeparatorsAloneAreEmpty() throws {
        #expect(try TextRules.optionalLine("\u{2029}", field: "sender") == nil)
        #expect(try TextRules.optionalLine(" \u{2028}\u{200E}", field: "sender") == nil)
        #expect(throws: DiariumError.self) { try AccessRestriction(kind: .secrecy, legalReference: "\u{2028}") }
        #expect(try AccessRestriction(kind: .secrecy, legalReference: "OSL\u{2028}21 kap. 1 §").legalReference == "OSL 21 kap. 1 §")
        #expect(try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 \u{A7}\u{2028}").legalReference == "OSL 21 kap. 1 §")
    }

    /// What a clerk reads in the CLI: Swedish wall-clock time with the day's offset; the hour repeated when summer
    /// time ends shows twice, told apart by the offset; New Year's Eve in UTC is New Year's Day in Sweden.
    @Test func timesAreShownInSwedishTime() throws {
        let cases = [("2026-03-01T10:15:00.000Z", "2026-03-01 11:15:00 +01:00"),
                     ("2026-07-01T10:15:59.999Z", "2026-07-01 12:15:59 +02:00"),
                     ("2026-10-25T00:30:00.000Z", "2026-10-25 02:30:00 +02:00"),
                     ("2026-10-25T01:30:00.000Z", "2026-10-25 02:30:00 +01:00"),
                     ("2026-12-31T23:30:00.000Z", "2027-01-01 00:30:00 +01:00")]
        for (stored, shown) in cases {
            #expect(Timestamp.swedishDisplay(try #require(Timestamp.parse(stored))) == shown)
        }
    }

    @Test func timestampsAreReadOnlyWhenTheyAreRealMoments() throws {
        // The Swedish date of a moment whose Swedish year has five digits is clamped, never a trap; `isWritable`
        // keeps such moments out of the store.
        let late = try #require(Timestamp.parse("9999-12-31T23:30:00.000Z"))
        #expect(!Timestamp.isWritable(late))
        #expect(Timestamp.isWritable(try #require(Timestamp.parse("9999-12-31T22:30:00.000Z"))))
        #expect(Timestamp.swedishDate(of: late) == CalendarDate(year: 9999, month: 12, day: 31))
        #expect(Timestamp.swedishDate(of: Date(timeIntervalSince1970: -1e14)) == CalendarDate(year: 1, month: 1, day: 1))
        #expect(Timestamp.swedishDate(of: Date(timeIntervalSince1970: 1e14)) == CalendarDate(year: 9999, month: 12, day: 31))
        #expect(Timestamp.parse("2026-02-30T00:00:00.000Z") == nil, "30 February")
        #expect(Timestamp.parse("2028-02-29T00:00:00.000Z") != nil)
        #expect(Timestamp.parseDateTime("2026-02-30T00:00:00Z") == nil)
        #expect(Timestamp.parseDateTime("2026-06-01T00:00:00+14:00").map(Timestamp.format) == "2026-05-31T10:00:00.000Z")
        #expect(Timestamp.parseDateTime("2026-06-01T00:00:00+14:30") == nil, "XML Schema allows at most ±14:00")
        #expect(Timestamp.parseDateTime("2026-12-31T23:30:00-01:00").map(Timestamp.format) == "2027-01-01T00:30:00.000Z")
        #expect(Timestamp.parseDateTime("2026-06-01T12:00:00.9996Z").map(Timestamp.format) == "2026-06-01T12:00:01.000Z")
    }

    @Test func mediaTypes() throws {
        #expect(MediaTypes.guess(forFileName: "Plan.PDF") == "application/pdf")
        #expect(MediaTypes.guess(forFileName: "beslut.docx") == "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        #expect(MediaTypes.guess(forFileName: "noext") == "application/octet-stream")
        #expect(MediaTypes.guess(forFileName: ".hidden") == "application/octet-stream")
        #expect(try MediaTypes.check("text/plain; charset=utf-8") == "text/plain; charset=utf-8")
        #expect(throws: DiariumError.self) { try MediaTypes.check("pdf") }
        // Nothing before the first ';' (split without empty pieces would have nothing to index: a crash).
        for value in [";", " ; charset=utf-8", "", "/", "text/", ";text/plain"] {
            #expect(throws: DiariumError.self, "\(value)") { try MediaTypes.check(value) }
        }
        #expect(MediaTypes.essence(of: ";") == "")
        #expect(MediaTypes.essence(of: " Text/Plain ; charset=utf-8") == "Text/Plain")
    }

    /// Plain text is typed without a charset until its bytes are read; a declared charset is kept for text and XML
    /// when it is a label, and every other parameter is dropped.
    @Test func charsets() {
        #expect(MediaTypes.guess(forFileName: "brev.txt") == "text/plain")
        #expect(MediaTypes.needsCharset(MediaTypes.guess(forFileName: "lista.tsv")) && MediaTypes.needsCharset("text/x-markdown"))
        #expect(MediaTypes.needsCharset("text/plain") && MediaTypes.needsCharset("Text/CSV ") && MediaTypes.needsCharset("text/markdown; variant=GFM"))
        #expect(!MediaTypes.needsCharset("text/plain; charset=utf-8") && !MediaTypes.needsCharset("text/html") && !MediaTypes.needsCharset("application/pdf"))
        #expect(MediaTypes.charset(of: #"text/plain; format=flowed; Charset="Windows-1252""#) == "windows-1252")
        #expect(MediaTypes.charset(of: "text/plain") == nil && MediaTypes.charset(of: "text/plain; charset") == nil)
        #expect(MediaTypes.declared("Text/Plain; charset=ISO-8859-1; format=flowed") == "text/plain; charset=iso-8859-1")
        #expect(MediaTypes.declared("application/xml; charset=\"utf-8\"") == "application/xml; charset=utf-8")
        #expect(MediaTypes.declared("application/pdf; charset=utf-8") == "application/pdf")
        #expect(MediaTypes.declared("text/plain; charset=utf 8") == "text/plain")
        #expect(MediaTypes.declared("text/plain; charset=\(String(repeating: "x", count: 41))") == "text/plain")
        #expect(MediaTypes.declared("multipart/form-data; boundary=x") == "multipart/form-data")
        #expect(MediaTypes.declared(" ; charset=utf-8") == " ; charset=utf-8")
    }

    @Test func swedishYearAtNewYear() {
        // 23:30 UTC on New Year's Eve is already the next year in Stockholm.
        #expect(Timestamp.swedishYear(of: Timestamp.parse("2025-12-31T23:30:00.000Z")!) == 2026)
        #expect(Timestamp.swedishYear(of: Timestamp.parse("2025-12-31T22:30:00.000Z")!) == 2025)
    }

    @Test func timestampsRoundTrip() {
        for text in ["2026-11-25T12:34:56.789Z", "1970-01-01T00:00:00.000Z", "2024-02-29T23:59:59.999Z", "1969-12-31T23:59:59.001Z"] {
            #expect(Timestamp.format(Timestamp.parse(text)!) == text)
        }
        for _ in 0..<1000 {
            let date = Date(timeIntervalSince1970: Double.random(in: -1e10...4e10))
            let text = Timestamp.format(date)
            #expect(Timestamp.format(Timestamp.parse(text)!) == text)
            #expect(abs(Timestamp.parse(text)!.timeIntervalSince(date)) <= 0.001)
        }
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_764_074_096.789)) == "2025-11-25T12:34:56.789Z")
        for bad in ["2026-11-25T12:34:56Z", "2026-13-25T12:34:56.789Z", "2026-11-25 12:34:56.789Z", ""] {
            #expect(Timestamp.parse(bad) == nil)
        }
    }
}

@Suite struct RetentionRuleTests {
    let ks = SeriesCode(rawValue: "KS")!

    @Test func aRuleEitherKeepsOrDisposesAfterAPeriod() throws {
        for (action, years, field) in [(RetentionRule.Action.keep, 5, "years"), (.dispose, nil, "years"), (.dispose, -1, "years"),
                                       (.dispose, 1001, "years")] as [(RetentionRule.Action, Int?, String)] {
            do {
                _ = try RetentionRule(series: ks, recordType: nil, action: action, years: years, mandate: "KS 2024-03-12 § 45")
                Issue.record("accepted \(action) with years \(String(describing: years))")
            } catch {
                #expect(error.field == field)
            }
        }
        #expect(throws: DiariumError.self) { try RetentionRule(series: ks, recordType: nil, action: .keep, years: nil, mandate: "  ") }
        let rule = try RetentionRule(series: ks, recordType: .decision, action: .keep, years: nil, mandate: " RA-FS 1991:6 ", schedule: " ")
        #expect(rule.mandate == "RA-FS 1991:6" && rule.schedule == nil)
        #expect(rule.period == "bevaras" && rule.scope == "KS beslut")
    }

    @Test func disposalIsDueYearsAfterTheCaseClosesInSwedishTime() throws {
        let rule = try RetentionRule(series: ks, recordType: nil, action: .dispose, years: 10, mandate: "KS 2024-03-12 § 45")
        #expect(rule.period == "gallras 10 år efter ärendets avslutande")
        #expect(rule.disposalDue(caseClosedAt: nil) == nil)
        // 23:30 UTC on 29 February 2028 is already 1 March in Stockholm: the ten years run to the end of 1 March
        // 2038, so disposal is due at midnight starting 2 March there (23:00 UTC, winter time).
        let closed = Timestamp.parse("2028-02-29T23:30:00.000Z")!
        #expect(rule.disposalDue(caseClosedAt: closed).map(Timestamp.format) == "2038-03-01T23:00:00.000Z")
        // Closed on 29 February in Stockholm: the period ends with the last day of February 2038, not at the hour
        // of closing on the 28th.
        let leapDay = Timestamp.parse("2028-02-29T10:00:00.000Z")!
        #expect(rule.disposalDue(caseClosedAt: leapDay).map(Timestamp.format) == "2038-02-28T23:00:00.000Z")
        // Summer time: closed 15 June 2026 at 14:00 Stockholm, due at the start of 16 June 2027 there (22:00 UTC).
        let summer = Timestamp.parse("2026-06-15T12:00:00.000Z")!
        let oneYear = try RetentionRule(series: ks, recordType: nil, action: .dispose, years: 1, mandate: "KS 2024-03-12 § 45")
        #expect(oneYear.disposalDue(caseClosedAt: summer).map(Timestamp.format) == "2027-06-15T22:00:00.000Z")
        let keep = try RetentionRule(series: ks, recordType: nil, action: .keep, years: nil, mandate: "RA-FS 1991:6")
        #expect(keep.disposalDue(caseClosedAt: closed) == nil)
        let atOnce = try RetentionRule(series: ks, recordType: nil, action: .dispose, years: 0, mandate: "KS 2024-03-12 § 45")
        #expect(atOnce.disposalDue(caseClosedAt: closed) == closed && atOnce.period == "gallras när ärendet avslutas")
    }

    @Test func aTypesOwnRuleComesBeforeTheSeriesDefault() throws {
        let fallback = try RetentionRule(series: ks, recordType: nil, action: .dispose, years: 10, mandate: "KS 2024-03-12 § 45")
        let letters = try RetentionRule(series: ks, recordType: .letter, action: .keep, years: nil, mandate: "RA-FS 1991:6")
        #expect([letters, fallback].rule(for: .letter) == letters)
        #expect([letters, fallback].rule(for: .decision) == fallback)
        #expect([letters].rule(for: .decision) == nil)
    }
}

@Suite struct FileNameRuleTests {
    /// A content file's name names one file: no path, no "." or "..", no bidirectional controls that disguise its type.
    @Test func fileNamesNameOneFileAndShowAsTheyAre() throws {
        #expect(try TextRules.fileName("  Beslut för Åre.pdf ") == "Beslut för Åre.pdf")
        #expect(try TextRules.fileName("rapport..v2.txt") == "rapport..v2.txt")
        for bad in ["a/b.txt", "../etc", ".", "..", "kvitto\u{202E}fdp.exe", "x\u{2066}y.txt", "", String(repeating: "a", count: 256)] {
            do {
                _ = try TextRules.fileName(bad)
                Issue.record("accepted \(bad.debugDescription)")
            } catch {
                #expect(error.field == "originalName")
            }
        }
        // Names kept from before the rule, made to pass it when shown or reused.
        for (stored, safe) in [("a/b.txt", "a_b.txt"), ("kvitto\u{202E}fdp.exe", "kvittofdp.exe"), ("..", "_"), ("plan.pdf", "plan.pdf")] {
            #expect(TextRules.safeFileName(stored) == safe)
            #expect(try TextRules.fileName(TextRules.safeFileName(stored)) == safe)
        }
    }
}
