import DiariumCore
import DiariumServices
@testable import DiariumStorage
import DiariumTesting
import Foundation
import GRDB
import Testing

@Suite struct SearchTests {
    /// Filler documents so bm25 has a real corpus (with four documents every term's IDF is ~0).
    func fixture(filler: Int = 40) throws -> Fixture {
        let f = try Fixture()
        guard filler > 0 else { return f }
        let docs = try (0..<filler).map { i in try f.document("filler\(i).txt", "Protokoll från sammanträde nummer \(i) om budget och lokaler.", type: .minutes) }
        _ = try f.service.register(docs, in: f.caseNumber, actor: "anna")
        return f
    }

    func numbers(_ result: SearchResult) -> [String] { result.hits.map(\.number.description) }

    static let ks = SeriesCode(rawValue: "KS")!, sn = SeriesCode(rawValue: "SN")!

    /// The SQL statements one search runs, in order (to show which path it took).
    func statements(_ f: Fixture, _ query: String, _ view: SearchView, limits: SearchLimits = SearchLimits()) throws -> [String] {
        try f.service.store.catalog.read { access in
            var statements: [String] = []
            access.db.trace(options: .statement) { statements.append("\($0)") }
            defer { access.db.trace(options: .statement, nil) }
            _ = try access.search(try SearchQueryParser.parse(query), view: view, options: SearchOptions(), limits: limits)
            return statements
        }
    }

    /// An empty store with a second series, SN (of the department SOC), and a case in it.
    func twoSeries(snCase title: String = "Ärenden") throws -> (f: Fixture, snCase: CaseNumber) {
        let f = try fixture(filler: 0)
        _ = try f.service.addSeries(code: Self.sn, name: "Socialnämnden", department: Department(rawValue: "SOC")!, actor: "admin")
        return (f, try f.service.openCase(NewCase(series: Self.sn, title: title), actor: "anna").number)
    }

    func register(_ f: Fixture, _ name: String, _ text: String, title: String? = nil, type: RecordType = .report,
                  sender: String? = nil, recipient: String? = nil, date: CalendarDate? = nil, classification: String? = nil,
                  restriction: AccessRestriction? = nil, publicTitle: String? = nil, in caseNumber: CaseNumber? = nil,
                  direction: Direction = .internal) throws -> DocumentRecord {
        let metadata = DocumentMetadata(title: title ?? name, publicTitle: publicTitle, recordType: type, direction: direction,
                                        documentDate: date, sender: sender, recipient: recipient, classification: classification,
                                        restriction: restriction)
        return try f.service.register([NewDocument(file: try f.dir.write(name, text), metadata: metadata)],
                                      in: caseNumber ?? f.caseNumber, actor: "anna")[0]
    }

    /// One-phrase queries are ranked by diarium_rank (bm25 without IDF), in one pass or after counting: the order
    /// must be bm25's own, as SQLite's FTS5 computes it on the same index.
    @Test func onePhraseRankingIsBM25Order() throws {
        let f = try fixture()
        defer { f.dir.remove() }
        // Different term frequencies, document lengths and columns (title weighs ten times the body).
        let texts = ["cykel", "cykel cykel cykel", "en lång text om trafik och vägar där cykel nämns en gång bland många andra ord",
                     "cykel cykel i en kort text", "ingenting om det", "cykelbana och cykel", "cykel " + String(repeating: "ord ", count: 60)]
        for (i, text) in texts.enumerated() {
            _ = try register(f, "c\(i).txt", text, title: i == 4 ? "Cykel i titeln" : "Dokument \(i)")
        }
        for (query, limits) in [("cykel", SearchLimits()), ("cykel", SearchLimits(onePassMatches: 2)), ("cyk*", SearchLimits())] {
            let result = try f.service.search(query, view: .full, limits: limits)
            let expected = try f.rawCatalog().read { db in
                try String.fetchAll(db, sql: """
                    SELECT c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal FROM search_fts
                    JOIN documents d ON d.id = search_fts.rowid JOIN cases c ON c.id = d.case_id
                    WHERE search_fts MATCH ? ORDER BY bm25(search_fts, \(SearchIndex.bm25Weights)), search_fts.rowid DESC
                    """, arguments: [query == "cyk*" ? "\"cyk\"*" : "\"cykel\""])
            }
            #expect(result.order == .relevance && result.total == expected.count)
            #expect(numbers(result) == expected, "\(query) with one pass up to \(limits.onePassMatches)")
        }
    }

    /// A page of a ranked query wants only the best rows up to it: diarium_rank_top scores in full only the matches
    /// that can still be among them, and every page, paged through, is diarium_rank's own order (with a filter too).
    @Test func rankingOnlyThePagesBestChangesNoOrder() throws {
        let f = try fixture(filler: 0)
        defer { f.dir.remove() }
        // Term frequencies, lengths and titles that vary: most matches cannot beat the best few.
        let docs = try (0..<240).map { i in
            let text = Array(repeating: "cykel", count: 1 + i % 4).joined(separator: " ") + String(repeating: " ord", count: (i * 7) % 50)
            return NewDocument(file: try f.dir.write("c\(i).txt", text),
                               metadata: DocumentMetadata(title: i % 9 == 0 ? "Cykel \(i)" : "Dokument \(i)", recordType: i % 3 == 0 ? .report : .minutes))
        }
        _ = try f.service.register(docs, in: f.caseNumber, actor: "anna")
        let weights = SearchIndex.bm25Weights
        /// diarium_rank's own order of the matches of `match` (an FTS5 expression), with `condition` on search_meta.
        func order(_ match: String, _ condition: String = "", weights: String = weights) throws -> [String] {
            try f.service.store.catalog.read { access in
                try String.fetchAll(access.db, sql: """
                    SELECT c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal FROM search_fts
                    JOIN documents d ON d.id = search_fts.rowid JOIN cases c ON c.id = d.case_id JOIN search_meta m ON m.document_id = d.id
                    WHERE search_fts MATCH ? \(condition) ORDER BY diarium_rank(search_fts, \(weights)), search_fts.rowid DESC
                    """, arguments: [match])
            }
        }
        let pruned = try f.service.store.catalog.read { access in
            try Int.fetchOne(access.db, sql: """
                SELECT count(*) FROM (SELECT diarium_rank_top(search_fts, 8, \(weights)) AS s FROM search_fts WHERE search_fts MATCH '"cykel"')
                WHERE s = 1.0
                """) ?? 0
        }
        let publicTitles = "{\(SearchIndex.publicColumns.joined(separator: " "))} : "
        let cases: [(String, SearchView, [String])] = [
            ("cykel", .full, try order(#""cykel""#)), ("cykel type:report", .full, try order(#""cykel""#, "AND m.record_type = 'report'")),
            ("cyk*", .full, try order(#""cyk"*"#)), (#""cykel cykel""#, .full, try order(#""cykel cykel""#)),
            ("cykel", .public, try order(publicTitles + #"("cykel")"#, weights: SearchIndex.publicBM25Weights)),
        ]
        #expect(cases[0].2.count == 240 && cases[1].2.count == 80 && cases[3].2.count == 180 && cases[4].2.count == 27)
        #expect(pruned > 100, "most matches are left out: \(pruned)")
        // A weight below 0 (no upper bound at a length of 0): nothing is left out.
        let unpruned = try f.service.store.catalog.read { access in
            try Int.fetchOne(access.db, sql: """
                SELECT count(*) FROM (SELECT diarium_rank_top(search_fts, 8, -1.0, 1.0) AS s FROM search_fts WHERE search_fts MATCH '"cykel"')
                WHERE s = 1.0
                """) ?? 0
        }
        #expect(unpruned == 0)
        for (query, view, order) in cases {
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try f.service.search(query, view: view, options: SearchOptions(limit: 7, cursor: cursor),
                                                limits: SearchLimits(onePassMatches: 5))
                #expect(page.order == .relevance && page.total == order.count, "\(query) \(view)")
                seen += numbers(page)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == order, "\(query) \(view)")
            let run = try statements(f, query, view, limits: SearchLimits(onePassMatches: 5))
            #expect(run.contains { $0.contains("diarium_rank_top") }, "\(query) \(view)")
        }
        #expect(throws: (any Error).self) {
            try f.service.store.catalog.read { access in
                try Row.fetchAll(access.db, sql: "SELECT diarium_rank_top(search_fts, 0, 1.0) FROM search_fts WHERE search_fts MATCH 'cykel'")
            }
        }
    }

    /// diarium_bm25 scores as FTS5's bm25 does (when every column weighs, so that lengths agree) although it stops
    /// counting a phrase's documents at half the store, where the IDF reaches its floor; diarium_bm25_given scores
    /// exactly the same from the counts diarium_phrase_documents read once. An even and an odd number of documents.
    @Test func bm25VariantsScoreAsFTS5sOwn() throws {
        let f = try fixture(filler: 0)
        defer { f.dir.remove() }
        for i in 0..<10 {
            let words = ["alla"] + (i < 5 ? ["halva"] : []) + (i < 6 ? ["sex"] : []) + (i < 3 ? ["tre"] : [])
            _ = try register(f, "b\(i).txt", (words + Array(repeating: "ord", count: i)).joined(separator: " "), title: "Dokument")
        }
        let every = "10.0, 1.0, 2.0, 2.0, 10.0, 1.0, 2.0, 2.0, 1.0"
        let expressions = [#""alla" AND "tre""#, #""halva" OR "tre""#, #""sex" AND "alla halva""#, #""alla" AND "se"*"#, #""halva" NOT "tre""#]
        func check(_ counts: [String]) throws {
            try f.service.store.catalog.read { access in
                for (expression, expected) in zip(expressions, counts) {
                    let documents = try String.fetchOne(access.db, sql: """
                        SELECT diarium_phrase_documents(search_fts) FROM search_fts WHERE search_fts MATCH ? LIMIT 1
                        """, arguments: [expression])
                    #expect(documents == expected, "\(expression)")
                    let rows = try Row.fetchAll(access.db, sql: """
                        SELECT bm25(search_fts, \(every)), diarium_bm25(search_fts, \(every)), diarium_bm25_given(search_fts, ?, \(every))
                        FROM search_fts WHERE search_fts MATCH ?
                        """, arguments: [expected, expression])
                    #expect(!rows.isEmpty, "\(expression)")
                    for row in rows {
                        let fts5: Double = row[0], ours: Double = row[1], given: Double = row[2]
                        #expect(abs(fts5 - ours) <= 1e-12 * abs(fts5) && ours == given, "\(expression): \(fts5) \(ours) \(given)")
                    }
                }
                #expect(throws: DatabaseError.self) {
                    try Row.fetchAll(access.db, sql: "SELECT diarium_bm25_given(search_fts, '3', 1.0) FROM search_fts WHERE search_fts MATCH ?",
                                     arguments: [expressions[0]])
                }
            }
        }
        // Ten documents: counting stops at five ("alla" is in all ten, "sex" in six; "halva" is in exactly five).
        try check(["5 3", "5 3", "5 5", "5 5", "5 3"])
        _ = try register(f, "b10.txt", "alla", title: "Dokument")
        // Eleven: at six ("halva" is now below half, its IDF above the floor).
        try check(["6 3", "5 3", "6 5", "6 6", "5 3"])
    }

    /// Snippets of a small result come from one scan of its matches, of a large one from a lookup per hit: the
    /// same text either way, in the public view (public columns) and the full one (every column).
    @Test func snippetsAreTheSameFromTheScanAndPerHit() throws {
        let f = try fixture()
        defer { f.dir.remove() }
        _ = try register(f, "x.txt", "Lokaler för skolan: budget och lokaler i nya huset.", title: "Lokalbudget")
        for view in [SearchView.full, .public] {
            for query in ["lokaler", "budget lokaler", "lokal*"] {
                let scanned = try f.service.search(query, view: view, options: SearchOptions(limit: 50))
                let perHit = try f.service.search(query, view: view, options: SearchOptions(limit: 50), limits: SearchLimits(onePassMatches: 0))
                #expect(scanned.hits.map(\.number) == perHit.hits.map(\.number), "\(query) \(view)")
                #expect(scanned.hits.map(\.snippet) == perHit.hits.map(\.snippet), "\(query) \(view)")
                if view == .full {
                    #expect(scanned.hits.contains { $0.snippet?.contains("[") == true }, "\(query)")
                } else {
                    // The title's words may be marked (the body of the public columns has none), the draft's text never shown.
                    #expect(!scanned.hits.contains { $0.snippet?.contains("skolan") == true || $0.snippet?.contains("huset") == true },
                            "\(query): drafts' text is not public")
                }
            }
        }
    }

    /// Snippets show the window with the most distinct words, phrases marked whole, in time linear in the text:
    /// FTS5's own snippet() took seconds for a common word in a long text.
    @Test func snippetsFindTheBestWindowInALongText() throws {
        let f = try fixture()
        defer { f.dir.remove() }
        let filler = String(repeating: "och att det som ", count: 30_000)
        _ = try register(f, "lang.txt", "Inledning om dagvatten. " + filler + "Till sist: dagvatten och kommunen i samarbete. Slut.", title: "Lång text")
        let both = try #require(try f.service.search("dagvatten kommunen", view: .full).hits.first?.snippet)
        #expect(both.hasPrefix("…") && both.contains("[dagvatten] och [kommunen]"), "\(both)")
        let phrase = try #require(try f.service.search(#""dagvatten och kommunen""#, view: .full).hits.first?.snippet)
        #expect(phrase.contains("[dagvatten och kommunen]"), "\(phrase)")
        let first = try #require(try f.service.search("inledning", view: .full).hits.first?.snippet)
        #expect(first.hasPrefix("[Inledning] om dagvatten.") && first.hasSuffix("…"), "\(first)")
        let common = try #require(try f.service.search("och att", view: .full).hits.first?.snippet)
        #expect(common.contains("[och] [att]"), "\(common)")
        let end = try #require(try f.service.search("slut", view: .full).hits.first?.snippet)
        #expect(end.hasSuffix("[Slut]."), "\(end)")
    }

    @Test func swedishLettersStayDistinctAndCaseFolds() throws {
        let f = try fixture()
        defer { f.dir.remove() }
        let sheep = try register(f, "a.txt", "Fåren betar på ängen.")
        let father = try register(f, "b.txt", "Far och son fiskar.")
        #expect(numbers(try f.service.search("fåren", view: .full)) == [sheep.number.description])
        #expect(numbers(try f.service.search("FÅREN", view: .full)) == [sheep.number.description])
        #expect(numbers(try f.service.search("far", view: .full)) == [father.number.description], "får is not far")
        #expect(numbers(try f.service.search("ängen", view: .full)) == [sheep.number.description])
        #expect(try f.service.search("angen", view: .full).hits.isEmpty)
    }

    /// "İ" (Turkish capital dotted I, in names such as İsmail and İbrahim) has no simple lower case, so the index keeps
    /// it: a query lower-cased in full ("i" and a combining dot) found nothing, however the name was typed.
    @Test func aCapitalDottedIFindsWhatHoldsIt() throws {
        let f = try fixture()
        defer { f.dir.remove() }
        let letter = try register(f, "i.txt", "Angående İlhans ansökan.", title: "Brev från İlhan Yılmaz", type: .letter,
                                  sender: "İbrahim Öztürk", direction: .incoming)
        // Written with the Turkish letters or without, in capitals or not: İ and ı are i, in the text and in the query
        // (Diarium's tokenizer), and the snippet marks the word as the text spells it.
        for query in ["İlhan", "\"från İlhan\"", "İlh*", "sender:İbrahim", "sender:İbr*", "yılmaz", "İlhans", "ilhan", "ILHAN",
                      "\"från ilhan\"", "ilh*", "sender:ibrahim", "sender:IBR*", "yilmaz", "YILMAZ", "YıLMAZ", "ilhans"] {
            #expect(numbers(try f.service.search(query, view: .full)) == [letter.number.description], "\(query)")
        }
        let marked = try #require(try f.service.search("ilhans", view: .full, options: SearchOptions(highlight: ("[", "]"))).hits.first?.snippet)
        #expect(marked.contains("[İlhans]"), "\(marked)")
        #expect(numbers(try f.service.search("ilhan", view: .public)) == [letter.number.description])
        // A word longer than the tokenizer's buffer (128 bytes) is folded too.
        let long = String(repeating: "a", count: 300)
        let longWord = try register(f, "l.txt", "Ordet İ\(long)ı står här.", title: "Långt ord")
        #expect(numbers(try f.service.search("i\(long)i", view: .full)) == [longWord.number.description])
        // An i with a combining dot (a lower-casing of İ that knows no Turkish) is an i, in text and in queries.
        let dotted = try register(f, "d.txt", "Ansökan från i\u{307}smet.", title: "Dotted")
        #expect(numbers(try f.service.search("ismet", view: .full)) == [dotted.number.description])
        #expect(numbers(try f.service.search("İsmet", view: .full)) == [dotted.number.description])
        #expect(numbers(try f.service.search("İlhan".lowercased(), view: .full)) == [letter.number.description])
        #expect(SearchQueryParser.folded("i\u{307}smet a\u{307}") == "ismet a\u{307}", "the dot goes after an i only")
        // Case pairs made after Unicode 6.1, which unicode61 does not fold, stay as written on both sides: Cherokee
        // capitals (lower case since Unicode 8) and Adlam (Unicode 9).
        #expect(SearchQueryParser.folded("ᏣᎳᎩ") == "ᏣᎳᎩ" && SearchQueryParser.folded("𞤀𞤁") == "𞤀𞤁")
        #expect(SearchQueryParser.folded("ÅÄÖ İı Ǆ 𐐀") == "åäö ii ǆ 𐐨", "Swedish letters, İ and ı as i, a titlecase pair, Deseret")
        let cherokee = try register(f, "c.txt", "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ", title: "Cherokee")
        #expect(numbers(try f.service.search("ᏣᎳᎩ", view: .full)) == [cherokee.number.description])
        let opened = try f.service.openCase(NewCase(series: Self.ks, title: "Bygglov İsmail"), actor: "anna").number
        #expect(try f.service.listCases(title: try TitleWords(parsing: "İsmail")).map(\.number) == [opened])
        #expect(try f.service.listCases(title: try TitleWords(parsing: "bygglov İsm*")).map(\.number) == [opened])
        #expect(try f.service.listCases(title: try TitleWords(parsing: "BYGGLOV ismail")).map(\.number) == [opened])

        // A store from before v29: both indexes with unicode61, which keeps İ and ı; made again as it opens.
        try f.rawCatalog().write { db in
            try db.execute(sql: """
                DROP TABLE search_fts;
                CREATE VIRTUAL TABLE search_fts USING fts5(
                    title, body, sender, recipient, case_title,
                    restricted_title, restricted_body, restricted_sender, restricted_recipient, restricted_case_title, scope,
                    content = 'search_content', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4');
                INSERT INTO search_fts(search_fts) VALUES ('rebuild');
                DROP TABLE case_fts;
                CREATE VIRTUAL TABLE case_fts USING fts5(case_title, restricted_case_title, content = 'case_search', content_rowid = 'id',
                    tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4');
                INSERT INTO case_fts(case_fts) VALUES ('rebuild');
                UPDATE store_info SET value = '3' WHERE key = 'search_index_version';
                DELETE FROM grdb_migrations WHERE identifier = 'v29-search-turkish-i';
                """)
        }
        #expect(throws: DiariumError.self, "an index of another version is not searched") { try f.service.search("ilhan", view: .full) }
        let upgraded = try RecordsService.open(at: f.storePath, clock: f.clock)
        #expect(numbers(try upgraded.search("ILHAN yilmaz", view: .full)) == [letter.number.description])
        #expect(try upgraded.listCases(title: try TitleWords(parsing: "ismail")).map(\.number) == [opened])
        #expect(try upgraded.indexStatus(check: true).problems == [])
    }

    /// Text, titles and queries meet in NFC, so a decomposed "å" (macOS, some PDFs) finds and is found.
    @Test func decomposedLettersMatchComposedOnes() throws {
        let f = try fixture(filler: 0)
        defer { f.dir.remove() }
        let decomposed = try register(f, "nfd.txt", "Fa\u{030A}ren betar. Infor\u{00AD}mation.", title: "Ha\u{0308}ndelse i a\u{0308}ngen")
        #expect(numbers(try f.service.search("fåren", view: .full)) == [decomposed.number.description])
        #expect(numbers(try f.service.search("händelse", view: .full)) == [decomposed.number.description])
        #expect(numbers(try f.service.search("information", view: .full)) == [decomposed.number.description])
        #expect(numbers(try f.service.search("a\u{0308}ngen", view: .full)) == [decomposed.number.description])
        #expect(Array(try f.service.document(decomposed.number).current.metadata.title.utf8) == Array("Händelse i ängen".utf8))
    }

    @Test func titleRanksAboveBodyAndSnippetsMarkWords() throws {
        let f = try fixture()
        defer { f.dir.remove() }
        let inBody = try register(f, "body.txt", "Här nämns dagvatten i texten, och dagvatten igen.", title: "Rapport om vägar")
        let inTitle = try register(f, "title.txt", "Text om något annat helt och hållet.", title: "Dagvatten i centrum")
        let result = try f.service.search("dagvatten", view: .full)
        #expect(result.order == .relevance)
        #expect(numbers(result) == [inTitle.number.description, inBody.number.description])
        let snippet = try #require(result.hits[1].snippet)
        #expect(snippet.contains("[dagvatten]"))
        let custom = try f.service.search("dagvatten", view: .full, options: SearchOptions(highlight: ("<mark>", "</mark>")))
        #expect(custom.hits[1].snippet?.contains("<mark>dagvatten</mark>") == true)
    }

    @Test func queryLanguage() throws {
        let f = try fixture()
        defer { f.dir.remove() }
        let a = try register(f, "a.txt", "Detaljplan för norra hamnen, remiss till nämnden.", type: .decision,
                             sender: "Anna Andersson", date: CalendarDate(year: 2026, month: 2, day: 10), classification: "2.4.1")
        let b = try register(f, "b.txt", "Detaljplan för södra hamnen.", type: .letter, recipient: "Bo Berg",
                             date: CalendarDate(year: 2026, month: 5, day: 1), classification: "2.5")
        let c = try register(f, "c.txt", "Hamnavgifter och taxor för hamnen.", type: .decision, date: CalendarDate(year: 2025, month: 12, day: 1))
        func find(_ q: String) throws -> Set<String> { Set(numbers(try f.service.search(q, view: .full, options: SearchOptions(limit: 100)))) }
        let (na, nb, nc) = (a.number.description, b.number.description, c.number.description)
        #expect(try find("hamnen") == [na, nb, nc])
        #expect(try find("detaljplan hamnen") == [na, nb])
        #expect(try find(#""norra hamnen""#) == [na])
        #expect(try find(#""hamnen norra""#) == [])
        #expect(try find("hamnavg*") == [nc])
        #expect(try find(#""norra ham"*"#) == [na], "a phrase whose last word is a prefix")
        #expect(try find("norra OR södra") == [na, nb])
        #expect(try find("norra OR södra remiss") == [na], "OR groups combine with other words")
        #expect(try find(#"remiss "norra hamnen" OR taxor"#) == [na])
        #expect(try find("hamnen -remiss") == [nb, nc])
        #expect(try find("hamnen NOT remiss") == [nb, nc])
        #expect(try find("hamnen type:decision") == [na, nc])
        #expect(try find("type:letter") == [nb])
        #expect(try find("hamnen from:2026-01-01") == [na, nb])
        #expect(try find("hamnen from:2026-01-01 to:2026-03-01") == [na])
        #expect(try find("class:2.4") == [na], "sub-classes included")
        #expect(try find("class:2") == [na, nb], "a class includes all classes below it")
        #expect(try find("class:2.4.1") == [na])
        #expect(try find("class:2.41") == [], "classes match whole parts, not text prefixes")
        #expect(try find("sender:andersson") == [na])
        #expect(try find("recipient:berg hamnen") == [nb])
        #expect(try find("sender:berg") == [], "sender: looks at senders only")
        #expect(try find("sender:anders*") == [na], "a prefix")
        #expect(try find(#"sender:"andersson anna""#) == [na], "a party's words in any order")
        #expect(try find(#"sender:"anna anders"*"#) == [na])
        #expect(try find("sender:andersso") == [], "without * a word is whole")
        #expect(try find(#"sender:"anna berg""#) == [], "every word must be in the one party")
        #expect(throws: DiariumError.self) { try find("sender:an*") }
        #expect(try find(#"number:"\#(nb)""#) == [nb])
        #expect(try find("series:KS status:draft year:\(Calendar(identifier: .gregorian).component(.year, from: Timestamp.parse("2026-03-01T09:00:00.000Z")!)) type:decision") == [na, nc])
        #expect(try find(#"case:"\#(f.caseNumber)" type:letter"#) == [nb])

        let filtersOnly = try f.service.search("type:decision", view: .full)
        #expect(filtersOnly.order == .newest)
        #expect(numbers(filtersOnly) == [nc, na], "newest first")
        #expect(filtersOnly.hits.allSatisfy { $0.snippet == nil })
    }

    @Test func facetsCountMatches() throws {
        let f = try fixture(filler: 5)
        defer { f.dir.remove() }
        _ = try register(f, "a.txt", "budget", type: .decision)
        let facets = try #require(try f.service.search("budget", view: .full).facets)
        #expect(facets.exact)
        #expect(facets.type == [FacetCount(value: "minutes", count: 5), FacetCount(value: "decision", count: 1)])
        #expect(facets.series == [FacetCount(value: "KS", count: 6)])
        #expect(facets.status == [FacetCount(value: "draft", count: 6)])
        #expect(facets.year == [FacetCount(value: "2026", count: 6)])
        #expect(try f.service.search("budget", view: .full, options: SearchOptions(facets: false)).facets == nil)
    }

    @Test func cursorPaginationCoversEverythingOnce() throws {
        let f = try fixture(filler: 45)
        defer { f.dir.remove() }
        for query in ["budget", "type:minutes"] {
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try f.service.search(query, view: .full, options: SearchOptions(limit: 10, cursor: cursor, facets: false))
                #expect(page.total == 45)
                seen += numbers(page)
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 5)
            #expect(seen.count == 45 && Set(seen).count == 45, "\(query): every hit once")
        }
        let first = try f.service.search("budget", view: .full, options: SearchOptions(limit: 10))
        #expect(throws: DiariumError.self) {
            try f.service.search("lokaler", view: .full, options: SearchOptions(limit: 10, cursor: first.nextCursor))
        }
    }

    @Test func broadQueriesAreAnsweredInBoundedCostAndSaySo() throws {
        let f = try fixture(filler: 30)
        defer { f.dir.remove() }
        let limits = SearchLimits(rankedMatches: 10, facetMatches: 5)
        let result = try f.service.search("och", view: .full, options: SearchOptions(limit: 5), limits: limits)
        #expect(result.order == .newest)
        #expect(result.note?.contains("ranking approximated") == true)
        #expect(!result.totalIsExact && result.total == 10)
        #expect(result.facets?.exact == false)
        #expect(result.hits.count == 5)
        let narrow = try f.service.search("nummer 7", view: .full, limits: limits)
        #expect(narrow.order == .relevance && narrow.note == nil)
        // Common words, rare phrase: the relaxed count exceeds the cap, the exact phrase does not.
        let rare = try register(f, "r.txt", "Samtal om lokaler och budget.")
        let phrase = try f.service.search(#""och budget""#, view: .full, limits: limits)
        #expect(phrase.order == .relevance && phrase.totalIsExact && phrase.total == 1)
        #expect(numbers(phrase) == [rare.number.description])
        let filtered = try f.service.search(#""och budget" type:minutes"#, view: .full, limits: limits)
        #expect(filtered.total == 0 && filtered.hits.isEmpty && filtered.order == .relevance)
        let common = try f.service.search(#""budget och""#, view: .full, limits: limits)
        #expect(common.order == .newest && !common.totalIsExact, "the phrase itself is broad")
        // Its exact matches are not counted (that would check every candidate): the total is a lower bound (what
        // the one-pass attempt saw, 11, or, above that, the page of 20 and at least one more), and the note says why.
        #expect(common.total == 21 && common.note?.contains("the phrase's words occur together in more than 10 documents") == true)
        #expect(common.hits.count == 20 && common.hits.map(\.number) == common.hits.map(\.number).sorted { $0.ordinal > $1.ordinal })
        // Few matches are ranked in one pass, also when the relaxed query would be broad.
        let few = SearchLimits(rankedMatches: 10, facetMatches: 5, onePassMatches: 2)
        let two = try f.service.search(#""nummer 7" OR "nummer 12""#, view: .full, limits: few)
        #expect(two.order == .relevance && two.totalIsExact && two.total == 2 && two.note == nil)
        let three = try f.service.search(#""nummer 7" OR "nummer 12" OR "nummer 13""#, view: .full, limits: few)
        #expect(three.order == .relevance && three.total == 3, "three candidates, within the phrase cap: ranked after counting")
        // A broad phrase under a phrase cap below the facet cap: its facets cover only the newest matches, and say so.
        let phraseCap = SearchLimits(rankedMatches: 50, facetMatches: 20, onePassMatches: 1, rankedPhraseCandidates: 5)
        let broadPhrase = try f.service.search(#""budget och""#, view: .full, limits: phraseCap)
        let facets = try #require(broadPhrase.facets)
        #expect(broadPhrase.order == .newest && facets.exact == false)
        #expect(facets.type.reduce(0) { $0 + $1.count } == 20, "the newest 20 matches, not all 30")
    }

    /// A series that does not exist is a mistake in the query, said as an unknown type is; not an empty result that
    /// looks like "nothing registered".
    @Test func anUnknownSeriesIsAMistakeNotAnEmptyResult() throws {
        let f = try fixture(filler: 0)
        defer { f.dir.remove() }
        #expect(throws: DiariumError(.invalidField, "series:UTB: there is no series UTB (series: KS)", field: "query")) {
            try f.service.search("budget series:utb", view: .public)
        }
        #expect(try f.service.search("series:ks", view: .public).total == f.service.search("series:KS", view: .public).total, "any case")

        // A class: only once there is a structure, and only when no document holds it (one filed before the
        // structure was set up is still found by it).
        let number = try f.service.listCases().first!.number
        _ = try f.service.register([NewDocument(file: nil, metadata: DocumentMetadata(title: "Tidigt", recordType: .letter, classification: "9.9"))],
                                   in: number, actor: "anna")
        #expect(try f.service.search("class:8", view: .full).total == 0, "no structure: nothing to compare with")
        _ = try f.service.setClass(try ClassificationClass(code: "2", title: "Samhällsbyggnad"), actor: "anna")
        _ = try f.service.setClass(try ClassificationClass(code: "2.4", title: "Detaljplaner"), actor: "anna")
        #expect(throws: DiariumError(.invalidField, "class:8: there is no class 8 in the classification structure (its top classes: 2)",
                                     field: "query")) {
            try f.service.search("budget class:8", view: .public)
        }
        #expect(try f.service.search("class:9.9", view: .full).total == 1, "filed before the structure")
        #expect(try f.service.search("class:9", view: .full).total == 1)
        #expect(try f.service.search("class:2", view: .full).total == 0, "in the structure, nothing filed yet")
    }

    /// A filter on one case, year, type or status bounds the ids of its documents (its index lists them in id
    /// order): a broad word under it is stepped through within those bounds only, so it is ranked when the bounded
    /// matches are few, and the first and last document of the bounds are among them.
    @Test func aFilterBoundsTheMatchesSteppedThrough() throws {
        let f = try fixture(filler: 30)
        defer { f.dir.remove() }
        let ks = SeriesCode(rawValue: "KS")!
        let other = try f.service.openCase(NewCase(series: ks, title: "Lokalfrågor"), actor: "anna").number
        let inCase = try [("a.txt", "Lokaler och skolor."), ("b.txt", "Skolor och förskolor och skolor."), ("c.txt", "Budget och skolor.")]
            .map { try register(f, $0.0, $0.1, in: other) }
        let later = try (0..<30).map { i in try f.document("later\(i).txt", "Protokoll nummer \(i) om budget och lokaler.", type: .minutes) }
        _ = try f.service.register(later, in: f.caseNumber, actor: "anna")
        let limits = SearchLimits(rankedMatches: 10, onePassMatches: 1, candidateLookups: 0)
        #expect(try f.service.search("och", view: .full, limits: limits).order == .newest, "63 matches in the store: broad")
        let query = "och case:\"\(other)\""
        let first = try f.service.search(query, view: .full, options: SearchOptions(limit: 2), limits: limits)
        #expect(first.order == .relevance && first.totalIsExact && first.total == 3 && first.note == nil, "3 matches within the case's ids: ranked")
        #expect(first.hits.first?.number == inCase[1].number, "the case's best match first")
        let second = try f.service.search(query, view: .full, options: SearchOptions(limit: 2, cursor: first.nextCursor), limits: limits)
        #expect(Set(numbers(first) + numbers(second)) == Set(inCase.map(\.number.description)) && second.nextCursor == nil)
        // Several bounding filters narrow each other; one that no document passes leaves nothing to step through.
        let typed = try f.service.search("och type:minutes year:2026", view: .full, limits: limits)
        #expect(typed.order == .newest && typed.hits.count == 20, "60 minutes")
        for none in ["och year:2025", "och type:decision", "och status:final", "och type:minutes case:\"\(other)\"", "budget number:\"\(other)-9\""] {
            let result = try f.service.search(none, view: .full, limits: limits)
            #expect(result.total == 0 && result.totalIsExact && result.hits.isEmpty, "\(none)")
        }
        let one = try f.service.search("skolor number:\"\(inCase[2].number)\"", view: .full, limits: limits)
        #expect(numbers(one) == [inCase[2].number.description] && one.total == 1)
        // Newest first, FTS5 is offered one upper rowid bound: it seeks by the first it sees and checks any other
        // row by row, so a cursor's `rowid <` beside the bounds would step through every newer match.
        let pages = try statements(f, "och type:minutes", .full, limits: limits).filter { $0.contains("ORDER BY f.rowid DESC") }
        #expect(!pages.isEmpty && pages.allSatisfy { $0.contains("f.rowid BETWEEN ? AND ?") && !$0.contains("f.rowid <") }, "\(pages)")
        // Lookups never change an answer: they are bounded by the one-pass limit.
        #expect(SearchLimits(onePassMatches: 5, candidateLookups: 1_000).candidateLookups == 5)
    }

    /// Under filters few documents pass, a common word's matches are found by looking each document up: the same
    /// answers, page for page, in every view, as stepping through the word's matches.
    @Test func lookingUpFilteredDocumentsOneByOneChangesNoAnswer() throws {
        let (f, snCase) = try twoSeries()
        defer { f.dir.remove() }
        let ks = Self.ks, sn = Self.sn
        let ksCase = try f.service.openCase(NewCase(series: ks, title: "Lokaler"), actor: "anna").number
        let secret = try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §", hides: [.content, .title, .parties])
        // The filtered documents first and last, the filler between: the filters' bounds leave every match to step through.
        let decision = try register(f, "d1.txt", "Beslut om budget och lokaler och skolor.", type: .decision, sender: "Anna Ek")
        let letter = try register(f, "l1.txt", "Brev om skolor och lokaler.", type: .letter, sender: "Bo Ek", restriction: secret,
                                  publicTitle: "Brev enligt OSL", in: ksCase, direction: .outgoing)
        let filler = try (0..<250).map { i in NewDocument(file: try f.dir.write("f\(i).txt", "Protokoll nummer \(i) om budget och lokaler."),
                                                            metadata: DocumentMetadata(title: "Protokoll och bilagor \(i)", recordType: .minutes)) }
        _ = try f.service.register(filler, in: f.caseNumber, actor: "anna")
        let decision2 = try register(f, "d2.txt", "Hemligt om skolor och budget.", title: "Skolor och budget", type: .decision, sender: "Anna Ek",
                                     restriction: secret, publicTitle: "Beslut enligt OSL", in: snCase)
        let letter2 = try register(f, "l2.txt", "Svar om lokaler och budget.", type: .letter, in: snCase, direction: .outgoing)
        _ = try register(f, "k2.txt", "Om skolor och lokaler.", title: "Lokaler och skolor", type: .report, in: ksCase)
        let queries = ["och type:decision", "och skolor type:decision", "budget -lokaler type:decision", "\"och lokaler\" type:letter",
                       "och type:letter", "och case:\"\(ksCase)\"", "och case:\"\(snCase)\"", "och number:\"\(decision.number)\"",
                       "och year:2025", "och year:2026 type:decision", "sender:ek och", "och status:final", "och OR skolor type:decision",
                       "skol* type:decision", "och type:minutes", "lokaler series:SN", "och sender:ek type:letter",
                       "och budget type:decision", "budget och -skolor type:decision", "\"och lokaler\" budget type:letter",
                       "och protokoll* series:SN", "budget OR skolor och type:letter", "och direction:outgoing", "och skolor direction:outgoing",
                       "sender:ek type:letter", "sender:ek year:2025", "sender:ek type:decision year:2025"]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var found = 0
        for view in [SearchView.full, .public, .cleared([ks]), .cleared([sn])] {
            for query in queries {
                var cursors: (String?, String?) = (nil, nil)
                var pages = 0
                repeat {
                    let lookedUp = try f.service.search(query, view: view, options: SearchOptions(limit: 2, cursor: cursors.0))
                    let stepped = try f.service.search(query, view: view, options: SearchOptions(limit: 2, cursor: cursors.1),
                                                       limits: SearchLimits(candidateLookups: 0))
                    #expect(String(decoding: try encoder.encode(lookedUp), as: UTF8.self) == String(decoding: try encoder.encode(stepped), as: UTF8.self),
                            "\(view) '\(query)' page \(pages + 1)")
                    found += lookedUp.hits.count
                    cursors = (lookedUp.nextCursor, stepped.nextCursor)
                    pages += 1
                } while cursors.0 != nil && pages < 4
            }
        }
        #expect(found > 60)
        // Where the lookups are made: the full view, one word or phrase, an index for the filters.
        func statements(_ query: String, _ view: SearchView, limits: SearchLimits = SearchLimits()) throws -> [String] {
            try self.statements(f, query, view, limits: limits)
        }
        func looksUp(_ query: String, _ view: SearchView) throws -> Bool {
            try statements(query, view).contains { $0.contains("CROSS JOIN search_fts") }
        }
        for query in ["och type:decision", "och case:\"\(ksCase)\"", "och series:SN", "\"och lokaler\" type:letter", "lokal* from:2026-01-01 type:letter",
                      "och direction:outgoing"] {
            #expect(try looksUp(query, .full), "\(query)")
        }
        // Several words: their document frequencies counted once, then given to every lookup's score.
        for query in ["och budget type:decision", "\"och lokaler\" budget type:letter", "och protokoll* series:SN"] {
            let run = try statements(query, .full)
            #expect(run.filter { $0.contains("diarium_phrase_documents") }.count == 1, "\(query)")
            #expect(run.contains { $0.contains("CROSS JOIN search_fts") && $0.contains("diarium_bm25_given") }, "\(query)")
        }
        // No document passes the filters: no full-text query at all, in any view; party filters alone still list
        // newest first (their cursors are not a ranking's).
        for view in [SearchView.full, .public, .cleared([ks]), .cleared([ks, sn])] {
            let run = try statements("och year:2025", view)
            #expect(!run.isEmpty && !run.contains { $0.contains("search_fts") }, "\(view): \(run)")
            #expect(try f.service.search("sender:ek year:2025", view: view).order == .newest, "\(view)")
        }
        // Only words are looked up, and only without a column filter (a party filter's is one).
        for (query, seeks) in [("och type:letter", true), ("och budget type:letter", true), ("sender:ek type:letter", false),
                               ("och sender:ek type:letter", false)] {
            let plan = SearchPlan(query: try SearchQueryParser.parse(query), view: .full, allSeries: [])
            #expect(plan.only?.seeksCheaply == seeks, "\(query)")
        }
        for (query, view) in [("och type:decision", SearchView.public), ("och type:decision", .cleared([ks])), ("och budget type:decision", .public),
                              ("och skolor type:decision", .full), ("och direction:incoming", .full), ("och sender:ek type:letter", .full),
                              ("sender:ek type:letter", .full), ("sender:ek type:decision", .full),
                              ("skolor type:decision", .full)] {
            #expect(try !looksUp(query, view), "\(query) \(view)")
        }
        // Filters alone, several of them: read from the narrowest one's index, newest first, all of them counted.
        for (query, expected) in [("type:letter status:draft", [letter2, letter]), ("status:draft type:decision year:2026", [decision2, decision]),
                                  ("series:SN type:letter", [letter2]), ("type:decision status:final", []),
                                  ("from:2020-01-01 type:letter direction:outgoing", [letter2, letter]), ("direction:outgoing type:decision", [])] {
            let result = try f.service.search(query, view: .full)
            #expect(numbers(result) == expected.map(\.number.description) && result.total == expected.count && result.totalIsExact, "\(query)")
        }
        let listed = try statements("status:draft type:letter", .full).filter { $0.contains("ORDER BY m.document_id DESC") }
        #expect(!listed.isEmpty && listed.allSatisfy { $0.contains("INDEXED BY search_meta_type") }, "\(listed)")
        // A range that holds few documents is read from its index and sorted; one that holds many, newest first by id.
        let broad = SearchLimits(rankedMatches: 100)
        let dated = try f.service.search("from:2000-01-01", view: .full), datedBroad = try f.service.search("from:2000-01-01", view: .full, limits: broad)
        #expect(numbers(dated) == numbers(datedBroad) && dated.total == 255 && datedBroad.total == 100 && !datedBroad.totalIsExact)
        #expect(try statements("from:2000-01-01", .full).contains { $0.contains("INDEXED BY search_meta_date") })
        #expect(try statements("from:2000-01-01", .full, limits: broad).contains { $0.contains("NOT INDEXED") })
        // Both broad: the one whose index lists its documents in id order reads the page.
        let both = try f.service.search("from:2000-01-01 type:minutes", view: .full, limits: broad)
        #expect(numbers(both) == numbers(try f.service.search("from:2000-01-01 type:minutes", view: .full)) && both.hits.count == 20)
        let pageReads = try statements("from:2000-01-01 type:minutes", .full, limits: broad).filter { $0.contains("ORDER BY m.document_id DESC") }
        #expect(!pageReads.isEmpty && pageReads.allSatisfy { $0.contains("INDEXED BY search_meta_type") }, "\(pageReads)")
        let minutes = try f.service.search("type:minutes status:draft", view: .full, options: SearchOptions(limit: 100))
        #expect(minutes.total == 250 && minutes.totalIsExact && minutes.hits.count == 100 && minutes.facets?.type == [FacetCount(value: "minutes", count: 250)])
    }

    @Test func malformedQueriesNeverReachSQL() throws {
        let f = try fixture(filler: 3)
        defer { f.dir.remove() }
        for query in ["\"", "*", "(", ")", "AND", "NEAR(a b)", "{title}: x", "a:b:c", "^budget", "budget AND", "\"\"", "-", "- budget",
                      "budget\"*", "title:budget", "budget OR OR lokaler", "é", "😀", "x\"y", String(repeating: "a ", count: 400)] {
            do {
                _ = try f.service.search(query, view: .full)
            } catch {
                #expect(error.code == .invalidField, "\(query): \(error.code) \(error.message)")
                #expect(!error.message.lowercased().contains("sql") && !error.message.contains("fts5"), "\(query): \(error.message)")
            }
        }
    }

    /// A restricted text does not move a public result: the document length the public ranking normalises by
    /// counts the public columns only (with bm25's it did, and a long secret pushed its document down).
    @Test func restrictedTextDoesNotMovePublicRanking() throws {
        let f = try fixture(filler: 0)
        defer { f.dir.remove() }
        let contentOnly = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §")
        let plain = try register(f, "a.txt", "", title: "Budget för skolan")
        let secret = try register(f, "b.txt", String(repeating: "hemlig uppgift om eleven ", count: 2_000), title: "Budget för skolan",
                                  restriction: contentOnly)
        for query in ["budget", "budget skolan"] {
            // Equal public text: a tie, broken newest first, as if the restricted text were not there.
            #expect(numbers(try f.service.search(query, view: .public)) == [secret.number.description, plain.number.description], "\(query)")
        }
    }

    /// A view cleared for KS (a KS clerk's) matches, ranks and shows restricted parts of KS documents only: another
    /// department's restricted document is, to it, what it is to the public, on every path of the search (one
    /// pass, ranked after counting, newest first when broad, filters only, facets, cursors, party filters).
    @Test func aClearedViewSearchesRestrictedPartsOfItsSeriesOnly() throws {
        let (f, snCase) = try twoSeries(snCase: "Ärenden enligt SoL")
        defer { f.dir.remove() }
        let ks = Self.ks, sn = Self.sn
        let everything = try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §", hides: [.content, .title, .parties])
        let ours = try register(f, "a.txt", "Utredningen om zebulon och kvastfening.", title: "Zebulon i KS", type: .serviceRecord,
                                sender: "Ylva Yxsköld", restriction: everything, publicTitle: "Utredning enligt OSL")
        let theirs = try register(f, "b.txt", "Utredningen om zebulon och kvastfening.", title: "Zebulon i SN", type: .serviceRecord,
                                  sender: "Ylva Yxsköld", restriction: everything, publicTitle: "Utredning enligt SoL", in: snCase)
        let publicSN = try register(f, "c.txt", "", title: "Zebulon, allmänt brev", type: .letter, in: snCase)
        let publicSN2 = try register(f, "d.txt", "", title: "Svar om zebulon", type: .letter, in: snCase)
        let publicKS = try register(f, "e.txt", "", title: "Zebulon i kommunstyrelsen", type: .letter)
        // Its title is public, its content (with the same secret word) is not.
        let mixed = try register(f, "m.txt", "Om kvastfening.", title: "Zebulon och annat", type: .letter,
                                 restriction: try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §"), in: snCase)
        let view = SearchView.cleared([ks])
        let expected = Set([ours, publicSN, publicSN2, publicKS, mixed].map(\.number.description))
        let secret = theirs.number.description

        // Every path: one pass; ranked after counting (the union materialised); newest first when too broad.
        let paths = [("one pass", SearchLimits()), ("ranked", SearchLimits(rankedMatches: 100, onePassMatches: 1)),
                     ("broad", SearchLimits(rankedMatches: 2, facetMatches: 2, onePassMatches: 1))]
        for (path, limits) in paths {
            let all = try f.service.search("zebulon", view: view, options: SearchOptions(limit: 10), limits: limits)
            #expect(Set(numbers(all)) == expected, "\(path)")
            #expect(all.order == (path == "broad" ? .newest : .relevance), "\(path)")
            #expect(all.total <= 5 && (all.totalIsExact ? all.total == 5 : true), "\(path): \(all.total)")
            #expect(all.facets?.series.first { $0.value == "SN" }.map { $0.count <= 3 } ?? true, "\(path): facets count SN's secret")
            #expect((all.facets?.type.first { $0.value == "serviceRecord" }?.count ?? 0) <= 1, "\(path)")
            let hit = try #require(all.hits.first { $0.number == ours.number })
            #expect(hit.title == "Zebulon i KS", "\(path): the cleared series' title")
            #expect(hit.snippet?.contains("[zebulon]") == true || hit.snippet?.contains("[Zebulon]") == true, "\(path)")
            // A page at a time, by the cursor: the same documents, none twice.
            var seen: [String] = [], cursor: String?
            repeat {
                let page = try f.service.search("zebulon", view: view, options: SearchOptions(limit: 1, cursor: cursor, facets: false),
                                                limits: limits)
                seen += numbers(page)
                cursor = page.nextCursor
            } while cursor != nil && seen.count < 10
            #expect(seen.count == 5 && Set(seen) == expected, "\(path): \(seen)")
        }
        // Words only restricted parts hold: ours are found, SN's are not, and no count gives them away. Ranked, and
        // newest first (every query too broad: each document checked against its own arm).
        let broad = SearchLimits(rankedMatches: 0, facetMatches: 0, onePassMatches: 0, rankedPhraseCandidates: 0)
        for limits in [SearchLimits(), broad] {
            for probe in ["kvastfening", "kvast*", "utredningen", "sender:yxsköld", "sender:yxs*", "kvastfening type:serviceRecord",
                          "\"och kvastfening\""] {
                let result = try f.service.search(probe, view: view, limits: limits)
                #expect(numbers(result) == [ours.number.description], "'\(probe)'")
                #expect(result.total == 1, "'\(probe)'")
                #expect(result.facets?.series.allSatisfy { $0.value == "KS" } ?? true, "'\(probe)'")
            }
            #expect(numbers(try f.service.search("\"zebulon i\"", view: view, limits: limits)).sorted()
                    == [ours, publicKS].map(\.number.description).sorted())
            #expect(Set(numbers(try f.service.search("zebulon -allmänt", view: view, limits: limits)))
                    == expected.subtracting([publicSN.number.description]))
            // Excluding a word hidden in SN's restricted content does not exclude that document (its absence would
            // tell the word is there), while it does exclude ours, whose restricted content this view reads.
            #expect(Set(numbers(try f.service.search("zebulon -kvastfening", view: view, limits: limits)))
                    == expected.subtracting([ours.number.description]))
        }
        // Filters alone list both restricted entries, each with the title this view may see.
        let listed = try f.service.search("type:serviceRecord", view: view)
        #expect(Set(listed.hits.map(\.title)) == ["Zebulon i KS", "Utredning enligt SoL"])
        #expect(listed.hits.first { $0.number == theirs.number }?.snippet == nil)
        // A cursor of one view does not page another.
        let first = try f.service.search("zebulon", view: view, options: SearchOptions(limit: 1))
        #expect(throws: DiariumError.self) {
            try f.service.search("zebulon", view: .public, options: SearchOptions(limit: 1, cursor: first.nextCursor))
        }
        // Each arm names the series it covers (an AND FTS5 answers by skipping, never a NOT that would step through
        // every match of the cleared series); cleared for every series, one arm is left.
        let plan = SearchPlan(query: try SearchQueryParser.parse("zebulon -allmänt"), view: view, allSeries: [ks, sn])
        #expect(plan.arms.count == 2 && plan.arms[0].full && !plan.arms[1].full)
        #expect(plan.arms[0].match.hasPrefix("{scope} : (\"\u{E000}ks\") AND ("), "\(plan.arms[0].match)")
        #expect(plan.arms[1].match.hasPrefix("{scope} : (\"\u{E000}sn\") AND ("), "\(plan.arms[1].match)")
        // Cleared for every series of the store, or for none of them, one arm over all documents, with no scope to
        // check: the full view's and the public view's.
        let everywhere = SearchPlan(query: try SearchQueryParser.parse("zebulon"), view: .cleared([ks, sn]), allSeries: [ks, sn])
        #expect(everywhere.arms.count == 1 && everywhere.arms[0].full && !everywhere.arms[0].match.contains("{scope}"))
        let nowhere = SearchPlan(query: try SearchQueryParser.parse("zebulon"), view: .cleared([SeriesCode(rawValue: "BUN")!]), allSeries: [ks, sn])
        #expect(nowhere.arms.count == 1 && !nowhere.arms[0].full && !nowhere.arms[0].match.contains("{scope}"))
        #expect(Set(numbers(try f.service.search("zebulon", view: .cleared([ks, sn])))) == expected.union([secret]))
        #expect(Set(numbers(try f.service.search("zebulon", view: .cleared([SeriesCode(rawValue: "BUN")!]))))
                == Set(numbers(try f.service.search("zebulon", view: .public))))
        // A document stays in its case, and a case in its series, as the index's scope assumes.
        #expect(throws: (any Error).self) {
            try f.rawCatalog().write { db in try db.execute(sql: "UPDATE cases SET series = 'SN' WHERE series = 'KS'") }
        }
        #expect(throws: (any Error).self) {
            try f.rawCatalog().write { db in try db.execute(sql: "UPDATE documents SET case_id = case_id + 1") }
        }
        // Cleared for SN instead, the other way round; cleared for nothing is the public view.
        #expect(Set(numbers(try f.service.search("kvastfening", view: .cleared([sn])))) == [secret, mixed.number.description])
        #expect(SearchView.cleared(in: []) == .public)
    }

    /// Nothing a cleared or a public view shows depends on what other departments' restricted parts and drafts
    /// hold. Two stores that differ only there answer every query alike, page by page: hits, titles, snippets,
    /// order, totals and their exactness, notes, facets and cursors, whatever the cost bounds (so the decisions to
    /// rank or not, and the ranking's statistics, cannot count the hidden text either).
    @Test func noViewShowsAnythingOfTextHiddenFromIt() throws {
        let ks = Self.ks, sn = Self.sn
        let everything = try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §", hides: [.content, .title, .parties])
        func store(hidden words: String) throws -> Fixture {
            let (f, snCase) = try twoSeries()
            _ = try register(f, "k1.txt", "alfa alfa beta", title: "Protokoll ett")
            _ = try register(f, "k2.txt", "beta", title: "Alfa och beta")
            _ = try register(f, "k3.txt", "alfa", title: "Yttrande", restriction: everything, publicTitle: "Yttrande enligt OSL")
            // Ranked by lengths against their average: the order of these two turns if hidden text counts in it.
            _ = try register(f, "x.txt", "", title: "Omega rapport ett")
            _ = try register(f, "y.txt", String(repeating: "ord ", count: 28), title: "Omega omega")
            _ = try register(f, "s1.txt", "", title: "Alfa i SN", in: snCase)
            _ = try register(f, "s2.txt", "", title: "Beta i SN", in: snCase)
            _ = try register(f, "d.txt", words, title: "Utkast", in: snCase)   // a draft: its text is not public yet
            for i in 0..<6 {
                let line = String(words.prefix(400))   // a title or a party is at most 1,000 or 500 characters
                _ = try register(f, "h\(i).txt", "\(words) nummer \(i)", title: "\(line) \(i)", sender: "\(line) Person",
                                 restriction: everything, publicTitle: "Utredning \(i)", in: snCase)
            }
            // A case of SN's whose title is restricted: its documents are indexed with it (v26), and it is in the case
            // index (v27); the same public title in both stores.
            let hiddenCase = try f.service.openCase(NewCase(series: sn, title: String(words.prefix(400)) + " ärende", publicTitle: "Ärende enligt SoL",
                                                            restriction: try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §",
                                                                                               hides: [.title])),
                                                    actor: "anna").number
            _ = try register(f, "c1.txt", "beta omega", title: "Alfa i ärendet", in: hiddenCase)
            _ = try register(f, "c2.txt", "", title: "Beta i ärendet", type: .letter, in: hiddenCase)
            return f
        }
        // Different words, and very different lengths: document lengths and their averages must not tell either.
        let a = try store(hidden: String(repeating: "alfa gamma ", count: 1_000)), b = try store(hidden: "delta")
        defer { a.dir.remove(); b.dir.remove() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let queries = ["alfa", "gamma", "alfa OR beta", "alfa gamma", "beta -gamma", "beta -alfa", "\"alfa gamma\"", "alf*", "gam*",
                       "sender:gamma", "sender:alfa", "alfa type:report", "alfa OR gamma OR beta", "nummer", "utredning", "alfa -beta",
                       "omega", "omega OR alfa"]
        let bounds = [SearchLimits(), SearchLimits(rankedMatches: 5, facetMatches: 5, onePassMatches: 2, rankedPhraseCandidates: 5),
                      SearchLimits(rankedMatches: 3, facetMatches: 2, onePassMatches: 1, rankedPhraseCandidates: 2),
                      SearchLimits(rankedMatches: 0, facetMatches: 0, onePassMatches: 0, rankedPhraseCandidates: 0)]
        var compared = 0
        for view in [SearchView.cleared([ks]), .public] {
            for (n, limits) in bounds.enumerated() {
                for query in queries {
                    var cursors: (String?, String?) = (nil, nil)
                    var pages = 0
                    repeat {
                        let first = try a.service.search(query, view: view, options: SearchOptions(limit: 2, cursor: cursors.0), limits: limits)
                        let second = try b.service.search(query, view: view, options: SearchOptions(limit: 2, cursor: cursors.1), limits: limits)
                        let shown = (String(decoding: try encoder.encode(first), as: UTF8.self),
                                     String(decoding: try encoder.encode(second), as: UTF8.self))
                        #expect(shown.0 == shown.1, "\(view) bounds \(n) '\(query)' page \(pages + 1)")
                        cursors = (first.nextCursor, second.nextCursor)
                        pages += 1
                        compared += 1
                    } while cursors.0 != nil && pages < 8
                }
            }
        }
        #expect(compared > 150)
        // Cases by title words, as each view may read them: the same in both stores.
        for (view, principal) in [(SearchView.cleared([ks]), Principal(name: "k", role: .clerk, departments: [Department(rawValue: "KS")!])),
                                  (.public, Principal(name: "a", role: .admin))] {
            for words in ["alfa", "gamma", "ärende", "ärende enligt", "alf*", "delta"] {
                let listed = try [a, b].map { try $0.service.listCases(title: try TitleWords(parsing: words), as: principal).map(\.number) }
                #expect(listed[0] == listed[1], "\(view) '\(words)'")
            }
        }
        // And the hidden words are there to be found, by whom they are not hidden from.
        #expect(try a.service.search("gamma", view: .cleared([sn])).total == 9)
        #expect(try b.service.search("gamma", view: .cleared([sn])).total == 0)
        #expect(try a.service.listCases(title: try TitleWords(parsing: "gamma")).count == 1)
        #expect(try b.service.listCases(title: try TitleWords(parsing: "delta")).count == 1)
    }

    /// Every field a restriction hides is unfindable and invisible in the public view, through every route.
    @Test func restrictedPartsNeverReachThePublic() throws {
        let f = try fixture()
        defer { f.dir.remove() }
        let everything = try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §", hides: [.content, .title, .parties])
        let hidden = try register(f, "s.txt", "Uppgifter om patienten Zebulon och hans diagnos kvastfening.",
                                  title: "Utredning rörande Zebulon", type: .serviceRecord, sender: "Ylva Yxsköld",
                                  recipient: "Xerxes Xylander", restriction: everything, publicTitle: "Utredning enligt SoL")
        let contentOnly = try AccessRestriction(kind: .privacy, legalReference: "OSL 21 kap. 1 §")
        let partly = try register(f, "p.txt", "Känslig text om vindsröjning.", title: "Beslut om bostadsanpassning",
                                  type: .decision, sender: "Vera Vindsröj", restriction: contentOnly)
        let n = hidden.number.description

        for probe in ["zebulon", "kvastfening", "diagnos", "utredning rörande", "yxsköld", "xylander", "sender:yxsköld",
                      "recipient:xylander", "zebu*", "kvast*", "vindsröjning", "sender:yxs*", "recipient:xyl*"] {
            let result = try f.service.search(probe, view: .public)
            #expect(result.hits.isEmpty, "public found a restricted document through '\(probe)'")
            #expect(result.total == 0)
            #expect(result.facets?.type.isEmpty ?? true, "facets leak the match for '\(probe)'")
            let full = try f.service.search(probe, view: .full)
            #expect(!full.hits.isEmpty, "an authorised user finds '\(probe)'")
        }
        // What the public may see: the entry, its public title and its legal ground; no restricted snippet.
        let listed = try f.service.search("type:serviceRecord", view: .public)
        #expect(numbers(listed) == [n])
        #expect(listed.hits[0].title == "Utredning enligt SoL")
        #expect(listed.hits[0].legalReference == "OSL 26 kap. 1 §")
        let byPublicTitle = try f.service.search("SoL", view: .public)
        #expect(numbers(byPublicTitle) == [n])
        #expect(byPublicTitle.hits[0].snippet?.contains("Zebulon") != true)
        // Content restricted only: title and sender stay public; snippets come from public text only.
        let decision = try f.service.search("bostadsanpassning", view: .public)
        #expect(numbers(decision) == [partly.number.description])
        #expect(decision.hits[0].snippet?.contains("vindsröjning") != true)
        #expect(numbers(try f.service.search("sender:vindsröj", view: .public)) == [partly.number.description])

        // Lifting the restriction makes it findable at once: the index moves in the same transaction.
        var change = MetadataChange()
        change.restriction = .some(nil)
        _ = try f.service.update(hidden.number, change, comment: "sekretessen har upphört", actor: "anna")
        #expect(try f.service.search("kvastfening", view: .public).hits.isEmpty, "still a draft")
        _ = try f.service.finalise(hidden.number, comment: nil, actor: "anna")
        #expect(numbers(try f.service.search("kvastfening", view: .public)) == [n])
        // And restricting again hides it again.
        change.restriction = .some(everything)
        _ = try f.service.update(hidden.number, change, comment: "ny prövning", actor: "anna")
        #expect(try f.service.search("kvastfening", view: .public).hits.isEmpty)
    }

    /// A case's title finds its documents, whatever each is called, as a document's own title does: the public title
    /// for the public, the restricted one for whom it is not hidden from; a correction of the case moves every
    /// document's entry in the same transaction; and a store from before v26 is re-indexed as it opens.
    @Test func aCaseTitleFindsItsDocuments() throws {
        let (f, snCase) = try twoSeries(snCase: "Ärenden")
        defer { f.dir.remove() }
        let storgatan = try f.service.openCase(NewCase(series: Self.ks, title: "Bygglov Storgatan 5"), actor: "anna").number
        let application = try register(f, "a.txt", "Ansökan om bygglov för ett enbostadshus.", title: "Ansökan", type: .letter,
                                       in: storgatan, direction: .incoming)
        let drawings = try register(f, "b.txt", "Fasad mot norr.", title: "Ritningar", type: .letter, in: storgatan, direction: .incoming)
        let own = try register(f, "c.txt", "Yttrande.", title: "Grannyttrande om Storgatan", type: .letter, direction: .incoming)
        let elsewhere = try register(f, "d.txt", "Annat.", title: "Annat ärende", type: .letter, in: snCase, direction: .incoming)
        let inCase = Set([application, drawings].map(\.number.description))

        for view in [SearchView.full, .public, .cleared([Self.ks])] {
            let found = try f.service.search("storgatan", view: view)
            #expect(Set(numbers(found)) == inCase.union([own.number.description]), "\(view)")
            #expect(numbers(found).first == own.number.description, "\(view): a document's own title weighs more than its case's")
            let hit = try #require(found.hits.first { $0.number == drawings.number })
            #expect(hit.snippet == "Bygglov [Storgatan] 5", "\(view): the snippet shows where the words were found")
            #expect(Set(numbers(try f.service.search("\"bygglov storgatan\"", view: view))) == inCase, "\(view)")
            #expect(Set(numbers(try f.service.search("storgat* -ansökan", view: view))) == [drawings.number.description, own.number.description])
        }
        #expect(numbers(try f.service.search("storgatan series:SN", view: .full)).isEmpty)
        #expect(numbers(try f.service.search("ärenden", view: .public)) == [elsewhere.number.description])

        // The title restricted, a public title in its place: the public and other departments find the case's
        // documents by that, those cleared for KS by either; no count, facet or snippet tells the hidden words.
        var restrict = CaseChange()
        restrict.restriction = .some(try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.title]))
        restrict.publicTitle = .some("Bygglov")
        _ = try f.service.updateCase(storgatan, restrict, actor: "anna")
        for view in [SearchView.public, .cleared([Self.sn])] {
            let hidden = try f.service.search("storgatan", view: view)
            #expect(numbers(hidden) == [own.number.description], "\(view)")
            #expect(hidden.total == 1 && hidden.facets?.type.first?.count == 1, "\(view)")
            for probe in ["storgat*", "\"bygglov storgatan\"", "storgatan type:letter"] {
                #expect(Set(numbers(try f.service.search(probe, view: view))).isDisjoint(with: inCase), "\(view) '\(probe)'")
            }
            let byPublicTitle = try f.service.search("bygglov", view: view)
            #expect(inCase.isSubset(of: Set(numbers(byPublicTitle))), "\(view)")
            #expect(!byPublicTitle.hits.contains { $0.snippet?.contains("Storgatan") == true }, "\(view)")
        }
        for view in [SearchView.full, .cleared([Self.ks])] {
            let found = try f.service.search("storgatan", view: view)
            #expect(Set(numbers(found)) == inCase.union([own.number.description]), "\(view)")
            // Found by the restricted title, never shown it: the case shows it, where reading it is audited.
            #expect(!found.hits.contains { inCase.contains($0.number.description) && $0.snippet?.contains("Storgatan") == true }, "\(view)")
        }
        #expect(try f.service.indexStatus(check: true).problems == [])

        // Corrected: the old title finds nothing of the case, the new one finds it; lifted, the public finds it again.
        var retitle = CaseChange()
        retitle.title = "Bygglov Kyrkgatan 2"
        _ = try f.service.updateCase(storgatan, retitle, actor: "anna")
        #expect(numbers(try f.service.search("storgatan", view: .full)) == [own.number.description])
        #expect(Set(numbers(try f.service.search("kyrkgatan", view: .full))) == inCase)
        #expect(numbers(try f.service.search("kyrkgatan", view: .public)).isEmpty)
        var lift = CaseChange()
        lift.restriction = .some(nil)
        _ = try f.service.updateCase(storgatan, lift, actor: "anna")
        #expect(Set(numbers(try f.service.search("kyrkgatan", view: .public))) == inCase)
        #expect(try f.service.indexStatus(check: true).problems == [])
        // A correction that leaves the title alone leaves the index alone (no entry out and in per document).
        let original = try f.service.caseDetails(storgatan).record
        var record = original
        record.officer = "Karin Handläggare"
        let statements = try f.service.store.catalog.write { access in
            var statements: [String] = []
            access.db.trace(options: .statement) { statements.append("\($0)") }
            defer { access.db.trace(options: .statement, nil) }
            let id = try Int64.fetchOne(access.db, sql: "SELECT id FROM cases WHERE title = 'Bygglov Kyrkgatan 2'")!
            try access.updateCase(id: id, record)
            // Written without its event: put back, or verify rightly finds a description the log did not make.
            try access.updateCase(id: id, original)
            return statements
        }
        #expect(!statements.contains { $0.contains("search_fts") }, "\(statements)")

        // A store from before v26: the v23 view and table, without case titles, and no record of v26.
        try f.rawCatalog().write { db in
            let view = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'search_content'")!
            let lines = view.components(separatedBy: "\n").filter { !$0.contains("AS case_title") && !$0.contains("AS restricted_case_title") }
            try db.execute(sql: "DROP TABLE search_fts; DROP VIEW search_content")
            try db.execute(sql: lines.joined(separator: "\n"))
            try db.execute(sql: """
                CREATE VIRTUAL TABLE search_fts USING fts5(
                    title, body, sender, recipient, restricted_title, restricted_body, restricted_sender, restricted_recipient, scope,
                    content = 'search_content', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4');
                INSERT INTO search_fts(search_fts) VALUES ('rebuild');
                UPDATE store_info SET value = '2' WHERE key = 'search_index_version';
                DELETE FROM grdb_migrations WHERE identifier IN ('v26-search-case-titles', 'v29-search-turkish-i');
                """)
        }
        #expect(throws: DiariumError.self, "an index of another version is not searched") { try f.service.search("kyrkgatan", view: .full) }
        let upgraded = try RecordsService.open(at: f.storePath, clock: f.clock)
        #expect(Set(numbers(try upgraded.search("kyrkgatan", view: .public))) == inCase)
        #expect(numbers(try upgraded.search("fasad", view: .full)) == [drawings.number.description])
        #expect(try upgraded.indexStatus(check: true).problems == [])
        let report = try upgraded.verify()
        #expect(report.ok, "\(report.problems)")
    }

    /// Cases are found by the words of their titles (`case list --title`), before they hold a document too: in any
    /// order and case, the last word perhaps a prefix, a restricted title only by readers cleared for its series;
    /// corrections move the case index in the same transaction, and a store from before v27 gets one as it opens.
    @Test func casesAreFoundByTheWordsOfTheirTitles() throws {
        let (f, snCase) = try twoSeries(snCase: "Ärenden")
        defer { f.dir.remove() }
        let ks = Self.ks, sn = Self.sn
        func found(_ words: String, as principal: Principal? = nil, series: SeriesCode? = nil) throws -> [String] {
            try f.service.listCases(series: series, title: try TitleWords(parsing: words), as: principal).map(\.number.description)
        }
        let storgatan = try f.service.openCase(NewCase(series: ks, title: "Bygglov Storgatan 5"), actor: "anna").number
        let angsvagen = try f.service.openCase(NewCase(series: sn, title: "Förhandsbesked Ängsvägen 3"), actor: "anna").number
        let secret = try f.service.openCase(NewCase(series: sn, title: "Orosanmälan gällande Hemligsson", publicTitle: "Orosanmälan",
                                                    restriction: try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §",
                                                                                       hides: [.title])),
                                            actor: "anna").number
        #expect(try found("storgatan") == [storgatan.description])
        #expect(try found("5 BYGGLOV") == [storgatan.description], "any order, any case")
        #expect(try found("ängsväg*") == [angsvagen.description])
        #expect(try found("storg* BYGG*") == [storgatan.description], "any word a prefix")
        #expect(try found("bygglov – storgatan") == [storgatan.description], "punctuation between words")
        #expect(try found("A\u{308}ngsva\u{308}gen") == [angsvagen.description], "NFD as NFC")
        #expect(try found("angsvagen").isEmpty, "ä is a letter of its own")
        #expect(try found("bygglov storgatan", series: sn).isEmpty)
        #expect(try found("ärenden") == [snCase.description])

        // The restricted title: the operator and an archivist find it; a clerk of KS and the public do not (they find
        // the public title); a clerk of SN's department does.
        let kClerk = Principal(name: "k", role: .clerk, departments: [Department(rawValue: "KS")!])
        let socClerk = Principal(name: "s", role: .clerk, departments: [Department(rawValue: "SOC")!])
        let admin = Principal(name: "a", role: .admin)
        let archivist = Principal(name: "r", role: .archivist)
        for (principal, sees) in [(nil, true), (archivist, true), (socClerk, true), (kClerk, false), (admin, false)] as [(Principal?, Bool)] {
            #expect(try found("hemligsson", as: principal) == (sees ? [secret.description] : []), "\(String(describing: principal))")
            #expect(try found("hemlig*", as: principal).isEmpty == !sees)
            #expect(try found("orosanmälan", as: principal) == [secret.description], "the public title")
            // All the words in one title: not some in the public title and the rest in the restricted one.
            #expect(try found("orosanmälan hemligsson", as: principal) == (sees ? [secret.description] : []))
            #expect(try found("gällande orosanm*", as: principal) == (sees ? [secret.description] : []))
            #expect(try found("storgatan", as: principal) == [storgatan.description])
        }

        // Corrected: the old words find nothing, the new ones the case; lifted, everyone finds the title.
        var retitle = CaseChange()
        retitle.title = "Bygglov Kyrkgatan 2"
        _ = try f.service.updateCase(storgatan, retitle, actor: "anna")
        #expect(try found("storgatan").isEmpty)
        #expect(try found("kyrkgatan") == [storgatan.description])
        var lift = CaseChange()
        lift.restriction = .some(nil)
        _ = try f.service.updateCase(secret, lift, actor: "anna")
        #expect(try found("hemligsson", as: kClerk) == [secret.description])
        #expect(try found("orosanmälan gällande", as: admin) == [secret.description])
        #expect(try f.service.indexStatus(check: true).problems == [])

        // What is not words is refused, naming the field.
        // Search's operators are not taken as words: every word given must be in the title. AND is what it means anyway.
        #expect(try found("bygglov AND storgatan").isEmpty)
        #expect(try found("bygglov AND kyrkgatan") == [storgatan.description])
        #expect(try found(String(repeating: "kyrkgatan ", count: 40)) == [storgatan.description], "a word given twice counts once")
        #expect(try found("bygglov - kyrkgatan -- -. 2") == [storgatan.description], "dashes before nothing are punctuation")
        for bad in ["ky*", "***", "", "  ", "a\u{0}b", (1...33).map { "ord\($0)" }.joined(separator: " "), "sto*rgatan", "storgatan**", "– *",
                    "bygglov -kyrkgatan", "-bygglov", "--bygglov", "-kyrk*", "bygglov OR marklov", "NOT bygglov", "AND", "-*"] {
            #expect(throws: DiariumError.self, "'\(bad)'") { _ = try TitleWords(parsing: bad) }
            do { _ = try TitleWords(parsing: bad) } catch { #expect(error.field == "title", "'\(bad)'") }
        }

        // A store from before v27: no case index, and no record of it.
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TABLE case_fts; DROP VIEW case_search; DELETE FROM grdb_migrations WHERE identifier IN ('v27-case-title-index', 'v29-search-turkish-i')")
        }
        let upgraded = try RecordsService.open(at: f.storePath, clock: f.clock)
        #expect(try upgraded.listCases(title: try TitleWords(parsing: "kyrkgatan")).map(\.number) == [storgatan])
        #expect(try upgraded.indexStatus(check: true).problems == [])
        _ = try upgraded.rebuildIndex(reextract: .missing)
        #expect(try upgraded.listCases(title: try TitleWords(parsing: "hemligsson"), as: kClerk).map(\.number) == [secret])
        #expect(try upgraded.verify().ok)
    }

    /// Soft hyphens and joiners in a title or a party are not word breaks in the index (as in extracted text and in
    /// queries), also in a store indexed before v7, which the upgrade re-indexes without an `index rebuild`.
    @Test func invisibleCharactersInTitlesAndPartiesDoNotSplitWords() throws {
        let f = try fixture(filler: 3)
        defer { f.dir.remove() }
        let plan = try register(f, "plan.txt", "Text.", title: "Klimat\u{AD}anpassnings\u{200D}plan", sender: "Ander\u{2060}sson")
        let other = try register(f, "annan.txt", "Annat.", title: "Vanlig titel")
        func check(_ service: RecordsService, _ when: String) throws {
            for query in ["klimatanpassningsplan", "sender:andersson", "klimatanpassnings*", "\"klimat\u{AD}anpassningsplan\""] {
                #expect(try service.search(query, view: .full).hits.map(\.number) == [plan.number], "\(query) \(when)")
            }
            #expect(try service.search("anpassningsplan", view: .full).hits.isEmpty, "\(when)")
            #expect(try service.verify().ok, "\(when)")
        }
        try check(f.service, "new store")
        #expect(try f.service.document(plan.number).current.metadata.title == "Klimat\u{AD}anpassnings\u{200D}plan", "stored as typed")

        // A store from before v7: the old view, its index (without v23's scope or v26's case titles), and no record of the
        // migrations since.
        let v2 = Migrations.v2
        let oldView = String(v2[v2.range(of: "CREATE VIEW search_content")!.lowerBound...v2.range(of: "r.sha256 = v.blob_sha256;")!.upperBound])
        let tableStart = v2.range(of: "CREATE VIRTUAL TABLE search_fts")!.lowerBound
        let oldTable = String(v2[tableStart..<v2[tableStart...].range(of: ");")!.upperBound])
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TABLE search_fts; DROP VIEW search_content; \(oldView) \(oldTable)")
            try db.execute(sql: "DROP TRIGGER cases_series_fixed; DROP TRIGGER documents_case_fixed")
            try db.execute(sql: "INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier IN ('v7-search-text', 'v8-index-pending-terms', 'v23-search-scope', 'v26-search-case-titles', 'v29-search-turkish-i')")
        }
        #expect(try f.service.search("klimatanpassningsplan", view: .full).hits.isEmpty, "the old index split the word")
        let upgraded = try RecordsService.open(at: f.storePath, clock: f.clock)
        try check(upgraded, "upgraded store")
        // The index stays consistent through later changes to either document.
        var change = MetadataChange()
        change.title = "Vanlig titel med mjuk\u{AD}bindestreck"
        _ = try upgraded.update(other.number, change, comment: nil, actor: "anna")
        change.title = "Klimatplan"
        _ = try upgraded.update(plan.number, change, comment: nil, actor: "anna")
        #expect(try upgraded.search("mjukbindestreck", view: .full).hits.map(\.number) == [other.number])
        #expect(try upgraded.search("klimatanpassningsplan", view: .full).hits.isEmpty)
        #expect(try upgraded.verify().ok)
    }

    /// FTS5 writes a transaction's terms once per 8 MiB instead of once per MiB (fewer segments to write and merge
    /// during a batch), in new stores and, through migration v8, in older ones.
    @Test func theIndexWritesABatchOfTermsAtOnce() throws {
        let f = try fixture(filler: 3)
        defer { f.dir.remove() }
        func pendingTermsBytes() throws -> Int? {
            try f.rawCatalog().read { db in try Int.fetchOne(db, sql: "SELECT v FROM search_fts_config WHERE k = 'hashsize'") }
        }
        #expect(try pendingTermsBytes() == 8 << 20)
        try f.rawCatalog().write { db in
            try db.execute(sql: "DELETE FROM search_fts_config WHERE k = 'hashsize'")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v8-index-pending-terms'")
        }
        #expect(try pendingTermsBytes() == nil)
        let upgraded = try RecordsService.open(at: f.storePath, clock: f.clock)
        #expect(try pendingTermsBytes() == 8 << 20)
        #expect(try upgraded.verify().ok)
    }

    /// FTS5 must be told, to forget a document, the very values it indexed. A text holding a NUL (from an older build,
    /// or SQL by hand) reaches it byte for byte, not cut where a C string would end.
    @Test func theIndexForgetsExactlyWhatItIndexed() throws {
        let f = try fixture(filler: 3)
        defer { f.dir.remove() }
        let doc = try register(f, "a.txt", "före", title: "Gammalrubrik")
        try f.rawCatalog().write { db in
            try db.execute(sql: "UPDATE renditions SET text = 'före' || char(0) || ' efterord' WHERE text = 'före'")
            try db.execute(sql: "INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        }
        #expect(try f.service.search("efterord", view: .full).hits.map(\.number) == [doc.number])
        var change = MetadataChange()
        change.title = "Ny rubrik"
        _ = try f.service.update(doc.number, change, comment: nil, actor: "anna")
        #expect(try f.service.indexStatus(check: true).problems == [], "the index still agrees with its content")
        #expect(try f.service.search("efterord", view: .full).hits.map(\.number) == [doc.number])
        #expect(try f.service.search("gammalrubrik", view: .full).hits.isEmpty)
    }

    @Test func draftContentIsNotPublic() throws {
        let f = try fixture(filler: 3)
        defer { f.dir.remove() }
        let draft = try register(f, "utkast.txt", "Utkast om markanvisning i Västerby.", title: "Markanvisning")
        #expect(try f.service.search("västerby", view: .public).hits.isEmpty, "a draft's text is not public")
        #expect(try f.service.search("markanvisning", view: .public).hits.map(\.number) == [draft.number], "its entry is")
        #expect(try f.service.search("västerby", view: .full).hits.map(\.number) == [draft.number])
        _ = try f.service.finalise(draft.number, comment: nil, actor: "anna")
        #expect(try f.service.search("västerby", view: .public).hits.map(\.number) == [draft.number], "final content is public")
    }

    @Test func indexFollowsEveryChangeAndRebuildAgrees() throws {
        let f = try fixture()
        defer { f.dir.remove() }
        let doc = try register(f, "v1.txt", "Första versionen handlar om cykelbanor.", title: "Cykelplan")
        _ = try f.service.addVersion(doc.number, file: try f.dir.write("v2.txt", "Andra versionen handlar om gångvägar."), comment: nil, actor: "bo")
        #expect(try f.service.search("cykelbanor", view: .full).hits.isEmpty, "the old content is no longer the document's text")
        #expect(numbers(try f.service.search("gångvägar", view: .full)) == [doc.number.description])
        var change = MetadataChange()
        change.title = "Gångplan"
        _ = try f.service.update(doc.number, change, comment: nil, actor: "bo")
        #expect(try f.service.search("cykelplan", view: .full).hits.isEmpty)
        #expect(numbers(try f.service.search("gångplan type:report", view: .full)) == [doc.number.description])
        _ = try f.service.finalise(doc.number, comment: nil, actor: "bo")
        #expect(numbers(try f.service.search("status:final", view: .full)) == [doc.number.description])

        let queries = ["gångvägar", "budget", "type:minutes", "status:final", "protokoll -nummer"]
        let before = try queries.map { try numbers(f.service.search($0, view: .full, options: SearchOptions(limit: 100))) }
        #expect(try f.service.indexStatus(check: true).problems == [])
        _ = try f.service.rebuildIndex(reextract: .all)
        let after = try queries.map { try numbers(f.service.search($0, view: .full, options: SearchOptions(limit: 100))) }
        #expect(before == after)
        #expect(try f.service.indexStatus(check: true).problems == [])
        #expect(try f.service.verify().ok)
    }

    /// Re-extraction replaces renditions page by page, long before the final rebuild: each replacement must keep the
    /// index in step, or a later change unindexes with the wrong text (a damaged index) and the old words stay
    /// searchable, publicly, after the document is restricted.
    @Test func aReplacedRenditionIsReindexedAtOnce() throws {
        let f = try fixture(filler: 3)
        defer { f.dir.remove() }
        let doc = try register(f, "brev.txt", "Gammalt ord: kvarnhjul.", title: "Brev")
        let sha256 = try #require(doc.current.content?.sha256)
        try f.service.store.catalog.write { access in
            try access.replaceRendition(sha256: sha256, TextRendition(status: .extracted, extractor: "test", message: nil, length: 17),
                                        text: "Nytt ord: vattenhjul.", format: nil, at: Date())
        }
        #expect(try f.service.search("kvarnhjul", view: .full).hits.isEmpty, "the old text left the index")
        #expect(numbers(try f.service.search("vattenhjul", view: .public)) == [], "a draft's text is not public")
        #expect(numbers(try f.service.search("vattenhjul", view: .full)) == [doc.number.description])
        var change = MetadataChange()
        change.restriction = .some(try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §", hides: [.content]))
        _ = try f.service.update(doc.number, change, comment: nil, actor: "bo")
        _ = try f.service.finalise(doc.number, comment: nil, actor: "bo")
        for word in ["kvarnhjul", "vattenhjul"] {
            #expect(try f.service.search(word, view: .public).hits.isEmpty, "\(word) is restricted now")
        }
        #expect(try f.service.indexStatus(check: true).problems == [])
    }

    /// `--extract-all` after installing an extractor gives most content the text it had: that replacement leaves the
    /// index alone (the rebuild after it indexes everything once), while the rendition's new status is still kept.
    @Test func aRenditionWithTheSameTextLeavesTheIndexAlone() throws {
        let f = try fixture(filler: 3)
        defer { f.dir.remove() }
        let doc = try register(f, "brev.txt", "Oförändrad text om kvarnhjul.", title: "Brev")
        let sha256 = try #require(doc.current.content?.sha256)
        // FTS5's own pages: any re-indexing rewrites some (at least the structure record).
        func indexPages() throws -> String? {
            try f.service.store.catalog.read { access in
                try String.fetchOne(access.db, sql: "SELECT group_concat(id || ':' || hex(block), ',') FROM (SELECT * FROM search_fts_data ORDER BY id)")
            }
        }
        let text = try #require(try f.service.store.catalog.read { access in
            try String.fetchOne(access.db, sql: "SELECT text FROM renditions WHERE sha256 = ?", arguments: [sha256])
        })
        let before = try indexPages()
        let replaced = TextRendition(status: .extracted, extractor: "test-again", message: nil, length: text.utf8.count)
        try f.service.store.catalog.write { access in try access.replaceRendition(sha256: sha256, replaced, text: text, format: nil, at: Date()) }
        #expect(try indexPages() == before, "nothing was re-indexed")
        #expect(try f.service.textRendition(of: try #require(doc.current.content))?.extractor == "test-again")
        #expect(numbers(try f.service.search("kvarnhjul", view: .full)) == [doc.number.description])
        #expect(try f.service.indexStatus(check: true).problems == [])
    }

    /// Documents registered one at a time leave the index in several segments; optimize merges them into one, in as
    /// many bounded steps as it takes, and no search answers differently.
    @Test func optimizeMergesTheIndexIntoOneSegmentAndChangesNoAnswer() throws {
        let f = try fixture()
        defer { f.dir.remove() }
        for i in 0..<12 {
            // Many distinct words, so each segment spans several pages and a one-page step cannot merge them at once.
            let words = (0..<1_500).map { "ord\(i)x\($0)" }.joined(separator: " ")
            _ = try register(f, "anteckning\(i).txt", "Anteckning \(i) om snöröjning, cykelbanor och budget. \(words)", title: "Anteckning \(i)")
        }
        let queries = ["budget", "snöröjning", "\"om budget\"", "cykel*", "anteckning -budget", "type:minutes", "lokaler OR cykelbanor"]
        let before = try queries.map { try numbers(f.service.search($0, view: .full, options: SearchOptions(limit: 100))) }

        let segments = try f.service.indexStatus(check: false).segments
        let report = try f.service.optimizeIndex(pagesPerStep: 1)
        #expect(report.segmentsBefore > 1 && report.segmentsBefore == segments)
        #expect(try f.service.indexStatus(check: false).segments == 1)
        #expect(report.segmentsAfter == 1)
        #expect(report.steps > 1, "one page per step takes several steps")
        #expect(try queries.map { try numbers(f.service.search($0, view: .full, options: SearchOptions(limit: 100))) } == before)
        #expect(try f.service.indexStatus(check: true).problems == [])

        let again = try f.service.optimizeIndex()
        #expect(again.steps == 0 && again.segmentsBefore == 1 && again.segmentsAfter == 1)
        // The index keeps working as documents arrive.
        let later = try register(f, "sent.txt", "Sent inkommen skrivelse om snöröjning.")
        #expect(numbers(try f.service.search("snöröjning", view: .full, options: SearchOptions(limit: 100))).contains(later.number.description))

        // A document registered between every two steps makes FTS5 start over each time: optimize gives up after a
        // bounded number of steps instead of rewriting the index forever, and the index stays sound.
        var arrived = 0
        let busy = try f.service.optimizeIndex(pagesPerStep: 1) { _ in
            arrived += 1
            _ = try? register(f, "strom\(arrived).txt", "Skrivelse \(arrived) om snöröjning.")
        }
        #expect(!busy.complete && busy.steps > 1 && busy.segmentsAfter > 1)
        #expect(arrived == busy.steps)
        #expect(try f.service.indexStatus(check: true).problems == [])
        let found = try f.service.search("skrivelse", view: .full, options: SearchOptions(limit: 1000))
        #expect(found.total == arrived + 1, "\(found.total) \(found.hits.count) \(arrived) \(busy)")
    }

    @Test func extractionProblemsNeverFailRegistration() throws {
        let f = try fixture(filler: 0)
        defer { f.dir.remove() }
        var issues: [String] = []
        let binary = NewDocument(file: try f.dir.write("bild.png", Data([0x89, 0x50, 0x4E, 0x47, 0, 1, 2, 3])),
                                 metadata: DocumentMetadata(title: "Foto på hamnen", recordType: .other))
        let records = try f.service.register([binary], in: f.caseNumber, actor: "anna") { _ in } textIssue: { number, rendition in
            issues.append("\(number) \(rendition.status.rawValue)")
        }
        #expect(issues == ["\(records[0].number) unsupported"])
        let rendition = try #require(try f.service.textRendition(of: records[0].current.content!))
        #expect(rendition.status == .unsupported)
        #expect(numbers(try f.service.search("hamnen", view: .full)) == [records[0].number.description], "still found by metadata")
    }
}

@Suite struct ExtractionSearchTests {
    @Test func extractedTextIsSearchable() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let html = NewDocument(file: try f.dir.write("sida.html", "<html><head><style>.x{}</style><script>var hemligt=1</script></head><body><p>Kallelse till <b>sammanträde</b> om älgjakt</p></body></html>"),
                               metadata: DocumentMetadata(title: "Kallelse", recordType: .letter))
        let latin1 = NewDocument(file: try f.dir.write("gammal.txt", Data([0x53, 0xE5, 0x67, 0x76, 0xE4, 0x72, 0x6B, 0x20, 0x96, 0x20, 0x62, 0xF6, 0x74, 0x65, 0x72])),
                                 metadata: DocumentMetadata(title: "Gammalt brev", recordType: .letter))
        let xml = NewDocument(file: try f.dir.write("data.xml", "<?xml version=\"1.0\"?><beslut><text>Bygglov för växthus</text></beslut>"),
                              metadata: DocumentMetadata(title: "Beslut", recordType: .decision))
        let records = try f.service.register([html, latin1, xml], in: f.caseNumber, actor: "anna")
        func find(_ q: String) throws -> [String] { try f.service.search(q, view: .full).hits.map(\.number.description) }
        #expect(try find("älgjakt sammanträde") == [records[0].number.description])
        #expect(try find("hemligt").isEmpty, "script content is not text")
        #expect(try find("sågvärk böter") == [records[1].number.description], "Windows-1252 text decoded")
        #expect(try find("växthus") == [records[2].number.description])
        #expect(try f.service.textRendition(of: records[0].current.content!)?.extractor == "html")
    }
}
