import DiariumCore
import DiariumExchange
import DiariumTesting
import Foundation
import Testing

/// ERMS a careless or hostile writer could send: everything the catalog (or a later change) would trip over is refused
/// by the reader, naming the file, line, element and attribute; nothing that restricts access is dropped or narrowed.
@Suite struct ERMSReaderTests {
    /// The extension's XSD is checked in under `Schemas/archive/` for people and other tools; every package carries
    /// the same text. `DIARIUM_WRITE_SCHEMAS=1 swift test --filter ERMSReaderTests` rewrites the file.
    @Test func checkedInExtensionSchemaIsWhatPackagesCarry() throws {
        let path = SharedMaterial.packageRoot + "/Schemas/archive/" + ERMS.extensionSchemaName
        if ProcessInfo.processInfo.environment["DIARIUM_WRITE_SCHEMAS"] == "1" {
            try Data(ERMS.extensionSchema.utf8).write(to: URL(fileURLWithPath: path))
        }
        let file = try #require(FileManager.default.contents(atPath: path), "\(path) is missing")
        #expect(Array(ERMS.extensionSchema.utf8) == Array(file),
                "Schemas/archive/\(ERMS.extensionSchemaName) differs from ERMS.extensionSchema: run DIARIUM_WRITE_SCHEMAS=1 swift test --filter ERMSReaderTests")
    }

    /// The sample transfer (case KS 2026/7, closed, with document KS 2026/7-1 in two restricted versions) as ERMS text.
    func sample() throws -> String {
        String(decoding: ERMS.write(try PackageFormatTests().sample(), packageID: "uuid-1", createdAt: Date(timeIntervalSince1970: 0),
                                    creator: PackageCreator(archivalCreator: try Organisation(name: "Kommunen"), person: "arkivarie")), as: UTF8.self)
    }

    /// Expects `text` refused with a diagnostic containing `phrase`, at the line holding `marker` (the `occurrence`th line
    /// matching it after the edit) and naming `element`.
    func expectRefused(_ text: String, at marker: String, occurrence: Int = 1, element: String, _ phrase: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let (read, diagnostics) = ERMS.read(Array(text.utf8), file: "erms.xml")
        #expect(read == nil, sourceLocation: sourceLocation)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let matching = lines.indices.filter { lines[$0].range(of: marker, options: .regularExpression) != nil }
        guard matching.count >= occurrence else {
            Issue.record("no line matches \(marker)", sourceLocation: sourceLocation)
            return
        }
        let prefix = "erms.xml:\(matching[occurrence - 1] + 1) <\(element)>: "
        #expect(diagnostics.contains { $0.description.hasPrefix(prefix) && $0.message.contains(phrase) },
                "expected \(prefix)…\(phrase)… in \(diagnostics.map(\.description))", sourceLocation: sourceLocation)
    }

    /// The classification structure is read back as written; one whose class comes before its parent, repeats a code or
    /// gives a rule without saying what it does is refused, naming the class's line.
    @Test func theClassificationStructureIsReadBackOrRefused() throws {
        var transfer = try PackageFormatTests().sample()
        transfer.classification = [
            try ClassificationClass(code: "2", title: "Stödprocesser"),
            try ClassificationClass(code: "2.4", title: "Bygglov", description: "Lov",
                                    retention: try RetentionTerms(action: .dispose, years: 5, mandate: "KS 2024 § 45", schedule: "IHP")),
            try ClassificationClass(code: "2.5", title: "Detaljplaner", typeRetention: [
                .letter: try RetentionTerms(action: .dispose, years: 2, mandate: "KS 2024 § 47"),
                .decision: try RetentionTerms(action: .keep, years: nil, mandate: "RA-FS 1991:6", schedule: "IHP"),
            ]),
        ]
        let text = String(decoding: ERMS.write(transfer, packageID: "uuid-1", createdAt: Date(timeIntervalSince1970: 0),
                                               creator: PackageCreator(archivalCreator: try Organisation(name: "Kommunen"), person: "arkivarie")), as: UTF8.self)
        let (read, diagnostics) = ERMS.read(Array(text.utf8), file: "erms.xml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(read?.classification == transfer.classification)
        #expect(text.contains("<p>2.5 Detaljplaner – beslut: bevaras (RA-FS 1991:6, IHP); skrivelse: gallras 2 år efter ärendets avslutande (KS 2024 § 47)</p>"))
        for type in RecordType.allCases {
            #expect(ERMS.extensionSchema.contains(#"<xs:enumeration value="\#(type.rawValue)"/>"#), "the schema's recordType lacks \(type)")
        }

        expectRefused(try text.replacingFirst(#"<dx:class code="2" [^>]*/>"#, with: ""), at: #"<dx:class code="2\.4""#, element: "class",
                      "class 2.4 comes before its parent 2")
        expectRefused(try text.replacingFirst(#"<dx:class code="2\.4""#, with: #"<dx:class code="2""#), at: #"<dx:class code="2" "#,
                      occurrence: 2, element: "class", "class 2 is described twice")
        expectRefused(try text.replacingFirst(#"action="dispose" "#, with: ""), at: #"<dx:class code="2\.4""#, element: "class",
                      "has a mandate or years but no action")
        expectRefused(try text.replacingFirst(#"action="dispose""#, with: #"action="burn""#), at: #"<dx:class code="2\.4""#, element: "class",
                      "action must be keep or dispose")
        expectRefused(try text.replacingFirst(#"(<dx:rule recordType="decision")"#, with: #"<dx:exception recordType="decision"/>$1"#),
                      at: #"<dx:exception"#, element: "exception", "class 2.5 holds <exception>, which this version does not read")
        // A class refused is one line: the classes under it are left out without one each.
        let underRefused = try text.replacingFirst(#"(<dx:class code="2\.4"[^>]*/>)"#, with: #"$1<dx:class code="2.4.1" title="Under"/>"#)
            .replacingFirst(#"action="dispose""#, with: #"action="burn""#)
        let (_, cascade) = ERMS.read(Array(underRefused.utf8), file: "erms.xml")
        #expect(cascade.filter { $0.severity == .error }.map(\.message).count == 1, "\(cascade)")
        // A class's rules for record types: a type Diarium does not have, one given twice, terms that do not hold.
        expectRefused(try text.replacingFirst(#"recordType="letter""#, with: #"recordType="invoice""#), at: #"recordType="invoice""#,
                      element: "rule", "attribute recordType must be one of actionPlan, decision")
        expectRefused(try text.replacingFirst(#"recordType="decision""#, with: #"recordType="letter""#), at: #"recordType="letter""#,
                      occurrence: 2, element: "rule", "class 2.5 gives two rules for letter")
        expectRefused(try text.replacingFirst(#"(recordType="letter" action="dispose") years="2""#, with: "$1"), at: #"<dx:rule recordType="letter""#,
                      element: "rule", "a disposal rule needs the years")
    }

    @Test func timesOutsideTheYearsATimestampCanHoldAreRefused() throws {
        let text = try sample()
        // Year 0000 an hour east of UTC is 31 December of year -1 in UTC, which no timestamp can be written as.
        expectRefused(try text.replacingFirst(#"(<dx:document [^>]*registeredAt=")[^"]*""#, with: "$10000-01-01T00:00:00+01:00\""),
                      at: "<dx:document ", element: "document", "attribute registeredAt")
        expectRefused(try text.replacingFirst(#"(<dx:case [^>]*openedAt=")[^"]*""#, with: "$11000-01-01T00:30:00+01:00\""),
                      at: "<dx:case ", element: "case", "years 1000–9999")
        expectRefused(try text.replacingFirst(#"(<dx:version [^>]*createdAt=")[^"]*""#, with: "$19999-12-31T23:30:00-01:00\""),
                      at: "<dx:version ", element: "version", "attribute createdAt")
        // In UTC year 9999, but already in year 10000 in Sweden, where registrations are dated and indexed (a
        // registration time like this once crashed the import at its search index).
        expectRefused(try text.replacingFirst(#"(<dx:document [^>]*registeredAt=")[^"]*""#, with: "$19999-12-31T23:30:00Z\""),
                      at: "<dx:document ", element: "document", "attribute registeredAt")
        // An offset inside the range is read as the same moment in UTC.
        let east = try text.replacingFirst(#"(<dx:case [^>]*openedAt=")[^"]*""#, with: "$12026-03-01T10:00:00+01:00\"")
        let (read, diagnostics) = ERMS.read(Array(east.utf8), file: "erms.xml")
        #expect(diagnostics == [])
        #expect(read?.cases.first?.record.openedAt == Timestamp.parse("2026-03-01T09:00:00.000Z"))
        // Early dates in the calendar `Timestamp` writes (Foundation's ISO 8601 formatter would switch to Julian and move
        // them by days), fractions rounded to milliseconds, no zone read as UTC.
        for (given, stored) in [("1200-03-01T00:00:00Z", "1200-03-01T00:00:00.000Z"), ("2026-03-01T09:00:00.12345", "2026-03-01T09:00:00.123Z")] {
            let edited = try text.replacingFirst(#"(<dx:case [^>]*openedAt=")[^"]*""#, with: "$1\(given)\"")
            #expect(ERMS.read(Array(edited.utf8), file: "erms.xml").transfer?.cases.first?.record.openedAt == Timestamp.parse(stored), "\(given)")
        }
    }

    /// A disposed document's registration: dx:disposal read back as written; its content described with no file, and
    /// a file named for it, or a disposal that cannot be right, refused.
    @Test func aDisposedDocumentTravelsWithoutItsContent() throws {
        var transfer = try PackageFormatTests().sample()
        let at = Timestamp.parse("2037-01-02T08:00:00.000Z")!
        transfer.cases[0].documents[0].disposal = DocumentDisposal(at: at, by: "arkivarie", dueAt: at.addingTimeInterval(-3600),
                                                                   ruleRecordType: .letter, years: 10, mandate: "KS 2024 § 45", schedule: nil)
        for v in transfer.cases[0].documents[0].versions.indices { transfer.cases[0].documents[0].versions[v].contentPath = nil }
        let text = String(decoding: ERMS.write(transfer, packageID: "uuid-1", createdAt: Date(timeIntervalSince1970: 0),
                                               creator: PackageCreator(archivalCreator: try Organisation(name: "Kommunen"), person: "arkivarie")), as: UTF8.self)
        #expect(!text.contains("<appendix") && text.contains(#"<disposalDate dateType="disposal_date">"#))
        let (read, diagnostics) = ERMS.read(Array(text.utf8), file: "erms.xml")
        #expect(diagnostics.allSatisfy { $0.severity != .error }, "\(diagnostics)")
        #expect(read?.cases[0].documents[0] == transfer.cases[0].documents[0])
        expectRefused(try text.replacingFirst(#"<dx:content "#, with: #"<dx:content path="representations/rep1/data/x.txt" "#),
                      at: "<dx:content path=", element: "content", "has no file")
        expectRefused(try text.replacingFirst(#"years="10""#, with: #"years="-1""#), at: "<dx:disposal ", element: "disposal", "attribute years")
        expectRefused(try text.replacingFirst(#"ruleRecordType="letter""#, with: #"ruleRecordType="brev""#),
                      at: "<dx:disposal ", element: "disposal", "unknown record type")
    }

    @Test func versionNumbersAreBounded() throws {
        let text = try sample()
        for n in ["9223372036854775807", "1000000000", "0", "-1"] {
            expectRefused(try text.replacingFirst(#"<dx:version n="1""#, with: "<dx:version n=\"\(n)\""),
                          at: "<dx:version n=\"\(n)\"", element: "version", "attribute n")
        }
    }

    @Test func whatTheCatalogWouldRefuseIsRefusedNamingTheElement() throws {
        let text = try sample()
        // The same document twice in its case.
        let record = try #require(text.range(of: #"(?s)<record .*?</record>"#, options: .regularExpression))
        expectRefused(text.replacingCharacters(in: record, with: text[record] + "\n" + text[record]),
                      at: "<dx:document ", occurrence: 2, element: "document", "KS 2026/7-1 occurs twice")
        // The same case twice.
        let aggregation = try #require(text.range(of: #"(?s)<aggregation .*?</aggregation>"#, options: .regularExpression))
        expectRefused(text.replacingCharacters(in: aggregation, with: text[aggregation] + "\n" + text[aggregation]),
                      at: "<dx:case ", occurrence: 2, element: "case", "KS 2026/7 occurs twice")
        // Closed without a closing time, open with one.
        expectRefused(try text.replacingFirst(#"(<dx:case [^>]*) closedAt="[^"]*""#, with: "$1"),
                      at: "<dx:case ", element: "case", "closedAt")
        expectRefused(try text.replacingFirst(#"(<dx:case [^>]*)status="closed""#, with: "$1status=\"open\""),
                      at: "<dx:case ", element: "case", "closedAt")
        // Blank or broken text.
        for attribute in ["title", "seriesName", "openedBy", "externalReference", "department"] {
            expectRefused(try text.replacingFirst(#"(<dx:case [^>]* \#(attribute)=")[^"]*""#, with: "$1 \""),
                          at: "<dx:case ", element: "case", "attribute \(attribute)")
        }
        expectRefused(try text.replacingFirst(#"(<dx:case [^>]* title=")[^"]*""#, with: "$1Rad ett&#10;rad två\""),
                      at: "<dx:case ", element: "case", "attribute title")
        expectRefused(try text.replacingFirst(#"(<dx:case [^>]* classification=")[^"]*""#, with: "$1inte en kod!\""),
                      at: "<dx:case ", element: "case", "attribute classification")
        expectRefused(try text.replacingFirst(#"(<dx:document [^>]*registeredBy=")[^"]*""#, with: "$1\t\""),
                      at: "<dx:document ", element: "document", "attribute registeredBy")
        expectRefused(try text.replacingFirst(#"(<dx:metadata [^>]*title=")[^"]*""#, with: "$1 \""),
                      at: "<dx:metadata ", element: "metadata", "title")
    }

    @Test func aggregationsOtherThanCaseFilesAreNotSkippedSilently() throws {
        let text = try sample()
        expectRefused(try text.replacingFirst(#"aggregationType="caseFile""#, with: "aggregationType=\"casefile\""),
                      at: "aggregationType=\"casefile\"", element: "aggregation", "aggregationType 'casefile'")
        expectRefused(try text.replacingFirst(#" aggregationType="caseFile""#, with: ""),
                      at: "<aggregation ", element: "aggregation", "aggregationType")
    }

    @Test func restrictionsAreNeverNarrowedOrDropped() throws {
        let text = try sample()
        // An unknown word in hides (here "titles"): it would have left the title public.
        expectRefused(try text.replacingFirst(#"hides="parties title""#, with: "hides=\"parties titles\""),
                      at: "hides=\"parties titles\"", element: "restriction", "'titles'")
        expectRefused(try text.replacingFirst(#"hides="parties title""#, with: "hides=\"\""),
                      at: "hides=\"\"", element: "restriction", "hides")
        // The current version without its dx:restriction, while the record's ERMS restriction still stands.
        let versions = text.ranges(of: #/<dx:restriction [^>]*/>/#)
        try #require(versions.count == 2)
        expectRefused(text.replacingCharacters(in: versions[1], with: ""), at: "<restriction ", element: "restriction", "OSL 26 kap. 1 §")
        // A record whose ERMS restriction names another ground than its version's.
        expectRefused(try text.replacingFirst(#"<regulation>[^<]*</regulation>"#, with: "<regulation>OSL 21 kap. 1 §</regulation>"),
                      at: "<restriction ", element: "restriction", "OSL 21 kap. 1 §")
        // A restriction on the case (which Diarium cannot hold) is not dropped either.
        expectRefused(try text.replacingFirst(#"(<aggregation [^>]*>)"#,
                                              with: "$1<restriction restrictionType=\"confidential\"><regulation>OSL 26 kap. 1 §</regulation></restriction>"),
                      at: "<aggregation ", element: "restriction", "KS 2026/7")
    }

    @Test func fileNamesAndMediaTypesFollowTheRegistrationRules() throws {
        let text = try sample()
        expectRefused(try text.replacingFirst(#"mediaType="[^"]*""#, with: "mediaType=\"text/html&#13;&#10;Set-Cookie: x=1\""),
                      at: "<dx:content ", element: "content", "attribute mediaType")
        expectRefused(try text.replacingFirst(#"mediaType="[^"]*""#, with: "mediaType=\"html\""),
                      at: "<dx:content ", element: "content", "attribute mediaType")
        // Refused versions say why; their document does not add that it has none.
        let allBad = text.replacingOccurrences(of: #"mediaType="[^"]*""#, with: "mediaType=\"html\"", options: .regularExpression)
        let diagnostics = ERMS.read(Array(allBad.utf8), file: "erms.xml").diagnostics
        #expect(diagnostics.count == 2 && !diagnostics.contains { $0.message.contains("has no version") }, "\(diagnostics)")
        expectRefused(try text.replacingFirst(#"originalName="[^"]*""#, with: "originalName=\"pub&#10;.txt\""),
                      at: "<dx:content ", element: "content", "attribute originalName")
        expectRefused(try text.replacingFirst(#"originalName="[^"]*""#, with: "originalName=\"\(String(repeating: "x", count: 300)).txt\""),
                      at: "<dx:content ", element: "content", "attribute originalName")
    }
}
