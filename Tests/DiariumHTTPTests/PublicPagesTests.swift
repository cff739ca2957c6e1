import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DiariumHTTP

/// The public diarium's web pages: what they show and what they never show, their forms' mistakes, and (judged by
/// the W3C's Nu HTML Checker) that every kind of page is valid HTML.
@Suite struct PublicPagesTests {
    /// `/diarium/handlingar/KS%202026%2F1-3`.
    func pagePath(_ number: DocumentNumber) -> String { Page.documentHref(number) }

    /// The value of the first `href` after `marker`, as a browser would follow it (`&amp;` read as `&`).
    func link(after marker: String, in text: String) throws -> String {
        let start = try #require(text.range(of: marker), "no \(marker)")
        let rest = text[start.lowerBound...]
        let href = try #require(rest.range(of: "href=\""))
        let value = rest[href.upperBound...].prefix { $0 != "\"" }
        return value.replacingOccurrences(of: "&amp;", with: "&")
    }

    /// `count` incoming letters without electronic content, in a new case in KS, titled `title(i)`.
    func paperLetters(_ f: PublicFixture, _ count: Int, sender: ((Int) -> String)? = nil, title: (Int) -> String) throws -> [DocumentRecord] {
        let caseNumber = try f.service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Brev"), actor: "anna").number
        return try f.service.register((1...count).map { i in
            NewDocument(file: nil, metadata: DocumentMetadata(title: title(i), recordType: .letter, direction: .incoming, sender: sender?(i)))
        }, in: caseNumber, actor: "anna")
    }

    func expectPage(_ response: TestResponse, _ status: HTTPResponse.Status = .ok, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "text/html; charset=utf-8", sourceLocation: sourceLocation)
        #expect(response.headers[.contentSecurityPolicy] == Page.securityPolicy, sourceLocation: sourceLocation)
        #expect(response.headers[.xContentTypeOptions] == "nosniff", sourceLocation: sourceLocation)
        #expect(response.headers[.cacheControl] == "no-cache", sourceLocation: sourceLocation)
        let text = bodyText(response)
        #expect(text.hasPrefix("<!DOCTYPE html>\n<html lang=\"sv\">"), sourceLocation: sourceLocation)
        #expect(text.hasSuffix("</html>\n"), sourceLocation: sourceLocation)
    }

    @Test func theRegisterListsEveryDocumentWithoutRestrictedParts() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .found && response.headers[.location] == "/diarium")
            }
            try await client.execute(uri: "/diarium", method: .get) { response in
                expectPage(response)
                expectNoSecrets(response)
                let text = bodyText(response)
                // Newest registration first, each number a link to its page.
                let numbers = [docs.late, docs.paper, docs.titleOnly, docs.draft, docs.secret, docs.decision].map(\.number)
                let positions = try numbers.map { number in
                    try #require(text.range(of: "<a href=\"\(pagePath(number))\">\(number)</a>")).lowerBound
                }
                #expect(positions == positions.sorted())
                #expect(text.contains("<td>Beslut om bygglov i Åre</td><td>Åre kommun</td><td></td>"))
                #expect(text.contains("<td>Utredning enligt LSS</td><td><em>visas inte</em></td>"
                    + "<td>skydd för personlig integritet enligt OSL 26 kap. 1 §</td>"))
                #expect(text.contains("<td><em>Rubriken visas inte</em></td><td></td><td>sekretess enligt OSL 21 kap. 1 §</td>"))
                #expect(text.contains("<td>Anna Andersson</td>"), "an incoming paper letter's sender is public")
                // Registered 2026-03-04T23:30Z, which is the 5th in Sweden.
                #expect(text.contains("<td>2026-03-05</td><td>protokoll</td><td>intern</td>"))
                #expect(text.contains("<option value=\"BUN\">BUN – Barn- och utbildningsnämnden</option>"))
                #expect(!text.contains("rel=\"next\""))
            }
            // HEAD answers the same head, without the body.
            try await client.execute(uri: "/diarium", method: .head) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.body.readableBytes == 0)
            }
            // Other methods: 405 with Allow, as everywhere.
            try await client.execute(uri: "/diarium", method: .post) { response in
                #expect(response.status == .methodNotAllowed && response.headers[.allow] == "GET, HEAD")
            }
        }
    }

    @Test func theRegisterFiltersBySeriesAndRegistrationDateAndPages() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        // 50 more paper letters in KS, registered after the fixture's: 56 in all, so two pages.
        let letters = try paperLetters(f, 50) { "Brev nummer \($0)" }
        try await f.application().test(.router) { client in
            // A form sends its empty fields: no filter.
            let next = try await client.execute(uri: "/diarium?series=&from=&to=", method: .get) { response in
                expectPage(response)
                let text = bodyText(response)
                #expect(text.contains(letters[49].number.description) && text.contains(letters[0].number.description))
                #expect(!text.contains(">\(docs.late.number)<"), "the 51st entry is on the next page")
                #expect(!text.contains("Första sidan"))
                return try link(after: "rel=\"next\"", in: text)
            }
            #expect(next.hasPrefix("/diarium?series=&from=&to=&after=") == false, "empty fields are not carried on")
            #expect(next.hasPrefix("/diarium?after="))
            try await client.execute(uri: next.replacingOccurrences(of: "KS%20", with: "ks%20"), method: .get) { response in
                expectPage(response)
                let text = bodyText(response)
                for record in [docs.late, docs.paper, docs.titleOnly, docs.draft, docs.secret, docs.decision] {
                    #expect(text.contains(">\(record.number)</a>"))
                }
                #expect(!text.contains(">\(letters[0].number)</a>"))
                #expect(!text.contains("rel=\"next\""))
                let first = try link(after: "Sidor", in: text)
                #expect(first == "/diarium")
            }
            try await client.execute(uri: "/diarium?series=BUN", method: .get) { response in
                expectPage(response)
                let text = bodyText(response)
                #expect(text.contains(">\(docs.late.number)</a>") && !text.contains(">\(docs.decision.number)</a>"))
                #expect(text.contains("<caption id=\"tabell\">Registrerade handlingar i BUN, senast registrerade först</caption>"))
                #expect(text.contains("<option value=\"BUN\" selected>"))
            }
            // The fixture's clock still says 2026-03-04T23:30Z, so the letters are of the 5th (Swedish time) too.
            try await client.execute(uri: "/diarium?from=2026-03-05&to=2026-03-05&series=BUN", method: .get) { response in
                let text = bodyText(response)
                #expect(text.contains(">\(docs.late.number)</a>") && !text.contains(">\(docs.paper.number)</a>"))
                #expect(text.contains("i BUN från 2026-03-05 till 2026-03-05"))
                #expect(text.contains("value=\"2026-03-05\""))
            }
            try await client.execute(uri: "/diarium?to=2026-03-04", method: .get) { response in
                let text = bodyText(response)
                #expect(text.contains(">\(docs.paper.number)</a>") && !text.contains(">\(docs.late.number)</a>"))
                #expect(!text.contains(">\(letters[0].number)</a>"))
                #expect(text.contains("Registrerade handlingar till 2026-03-04"))
            }
            // No such series (a typo, an old link): a mistake in the form, not an empty register.
            try await client.execute(uri: "/diarium?series=SBN", method: .get) { response in
                expectPage(response, .badRequest)
                #expect(bodyText(response).contains("Det finns ingen sådan diarieserie.") && bodyText(response).contains("there is no series SBN"))
                #expect(bodyText(response).contains("<option value=\"SBN\" selected>SBN</option>"), "kept in the form, as typed")
            }
        }
    }

    @Test func aMistakeInTheFormIsAnsweredWithTheFormNamingIt() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        try await f.application().test(.router) { client in
            for (query, field, label, swedish) in [
                ("from=2026-13-01", "from", "Registrerad från", "Datumet finns inte eller är inte skrivet som ÅÅÅÅ-MM-DD, till exempel 2026-03-01."),
                ("to=2026-3-1", "to", "Registrerad till", "Datumet finns inte eller är inte skrivet som ÅÅÅÅ-MM-DD, till exempel 2026-03-01."),
                ("from=2026-03-05&to=2026-03-01", "to", "Registrerad till", "Registrerad till är före Registrerad från."),
                ("series=ks", "series", "Diarieserie", "En diarieserie skrivs med stora bokstäver och siffror, till exempel KS."),
            ] {
                try await client.execute(uri: "/diarium?\(query)", method: .get) { response in
                    expectPage(response, .badRequest)
                    let text = bodyText(response)
                    #expect(text.contains("<div class=\"fel\" id=\"fel\" role=\"alert\"><p><strong>\(label):</strong> \(swedish)</p>"), "\(query)")
                    #expect(text.contains("<title>Fel i urvalet – Diariet</title>"), "\(query)")
                    #expect(text.contains("name=\"\(field)\""), "\(query)")
                    let invalid = try #require(text.range(of: "aria-invalid=\"true\""), "\(query)")
                    let tag = text[..<invalid.lowerBound].components(separatedBy: "<").last ?? ""
                    #expect(tag.contains("name=\"\(field)\""), "the field marked invalid is \(field): \(tag)")
                    #expect(!text.contains("<table>"))
                }
            }
            try await client.execute(uri: "/diarium?after=nonsense", method: .get) { response in
                expectPage(response, .badRequest)
                #expect(bodyText(response).contains("invalid cursor"))
            }
            // What sites add to links they share is passed over; anything else unknown is refused.
            try await client.execute(uri: "/diarium?fbclid=IwAR0x&utm_source=nyhetsbrev&series=KS", method: .get) { response in
                expectPage(response)
                #expect(bodyText(response).contains("<option value=\"KS\" selected>"))
            }
            try await client.execute(uri: "/?utm_medium=e-post", method: .get) { response in
                #expect(response.status == .found)
            }
            try await client.execute(uri: "/?x=1", method: .get) { response in
                expectPage(response, .badRequest)
            }
            // Not a field of the form: an error page (not problem+json), which says what is wrong.
            try await client.execute(uri: "/diarium?utm=x", method: .get) { response in
                expectPage(response, .badRequest)
                let text = bodyText(response)
                #expect(text.contains("<h1>Frågan kunde inte besvaras</h1>") && text.contains("unknown parameter &#39;utm&#39;"))
            }
        }
    }

    @Test func searchShowsHitsWithTheirWordsMarkedAndCountsToNarrowBy() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/diarium/sok", method: .get) { response in
                expectPage(response)
                #expect(bodyText(response).contains("<summary>Så söker du</summary>") && !bodyText(response).contains("träff"))
            }
            let narrowed = try await client.execute(uri: "/diarium/sok?q=bygglov", method: .get) { response in
                expectPage(response)
                expectNoSecrets(response)
                let text = bodyText(response)
                #expect(text.contains("<h2>2 träffar</h2>"))
                #expect(text.contains("<a href=\"\(pagePath(docs.decision.number))\">\(docs.decision.number)</a> Beslut om bygglov i Åre</p>"))
                // Found by its public text; its title is restricted.
                #expect(text.contains("<a href=\"\(pagePath(docs.titleOnly.number))\">\(docs.titleOnly.number)</a> <em>Rubriken visas inte</em>"))
                #expect(text.contains("<p>Sekretessmarkering: sekretess enligt OSL 21 kap. 1 §</p>"))
                #expect(text.contains("<p>Allmän text om ett <mark>bygglov</mark>.</p>"))
                #expect(text.contains("<title>bygglov – Sök – Diariet</title>"))
                #expect(text.contains("value=\"bygglov\""))
                return try link(after: "<h3>Typ</h3>", in: text)
            }
            #expect(narrowed == "/diarium/sok?q=bygglov%20type%3Adecision")
            try await client.execute(uri: narrowed, method: .get) { response in
                let text = bodyText(response)
                #expect(text.contains("<h2>2 träffar</h2>"))
                #expect(!text.contains("<h3>Typ</h3>"), "the query filters on the type already")
                #expect(text.contains("<h3>Diarieserie</h3>"))
            }
            // Words of restricted parts are never found; the page repeats the query, and nothing else of them.
            for secret in ["Hemligsson", "konfidentiellt", "Smithsson", "\"Hemlig Avsändare\"", "sender:hemlig"] {
                try await client.execute(uri: Page.href(PublicPages.searchPath, ["q": secret]), method: .get) { response in
                    expectPage(response)
                    let text = bodyText(response)
                    #expect(text.contains("<h2>0 träffar</h2>") && !text.contains("class=\"traffar\""), "\(secret)")
                    #expect(!text.contains(docs.secret.number.description), "\(secret)")
                }
            }
            // A draft's title is public, its text is not.
            try await client.execute(uri: "/diarium/sok?q=budget", method: .get) { response in
                #expect(bodyText(response).contains("<h2>0 träffar</h2>"))
            }
            try await client.execute(uri: "/diarium/sok?q=budgetutkast", method: .get) { response in
                #expect(bodyText(response).contains("<h2>1 träff</h2>"))
            }
        }
    }

    @Test func searchPagesOnAndNamesAMalformedQuery() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        _ = try paperLetters(f, 25) { "Gatubelysning \($0)" }
        try await f.application().test(.router) { client in
            let next = try await client.execute(uri: "/diarium/sok?q=gatubelysning", method: .get) { response in
                let text = bodyText(response)
                #expect(text.contains("<h2>25 träffar</h2>"))
                #expect(text.components(separatedBy: "<li><p><a href=").count - 1 == PublicPages.searchPageSize)
                return try link(after: "rel=\"next\"", in: text)
            }
            try await client.execute(uri: next, method: .get) { response in
                expectPage(response)
                let text = bodyText(response)
                #expect(text.components(separatedBy: "<li><p><a href=").count - 1 == 5)
                let first = try link(after: "Sidor", in: text)
                #expect(first == "/diarium/sok?q=gatubelysning")
            }
            try await client.execute(uri: "/diarium/sok?q=%22unclosed", method: .get) { response in
                expectPage(response, .badRequest)
                let text = bodyText(response)
                #expect(text.contains("<strong>Sök:</strong> Sökfrågan kunde inte tolkas.</p><p class=\"anm\" lang=\"en\">column 1:"))
                #expect(text.contains("<title>Fel i sökningen – Diariet</title>"))
                #expect(text.contains("value=\"&quot;unclosed\" maxlength=\"1000\" aria-invalid=\"true\" aria-describedby=\"fel\""))
            }
            try await client.execute(uri: "/diarium/sok?q=gatubelysning&after=x", method: .get) { response in
                expectPage(response, .badRequest)
                #expect(bodyText(response).contains("invalid cursor"))
            }
            // The length is checked first, in Unicode scalars (as the OpenAPI document's maxLength counts them).
            for long in [String(repeating: " ", count: 1001), String(repeating: "a\u{301}", count: 501)] {
                try await client.execute(uri: Page.href(PublicPages.searchPath, ["q": long]), method: .get) { response in
                    expectPage(response, .badRequest)
                    #expect(bodyText(response).contains("Sökfrågan är för lång: högst 1000 tecken."))
                    #expect(!bodyText(response).contains("maxlength"), "a value longer than maxlength would be invalid HTML")
                }
            }
            // A browser would drop the line break from the box and search "gatubelysningbrev" next time.
            try await client.execute(uri: "/diarium/sok?q=gatubelysning%0Abrev", method: .get) { response in
                #expect(bodyText(response).contains("value=\"gatubelysning brev\""))
            }
            try await client.execute(uri: "/diarium/sok?q=%20%20", method: .get) { response in
                expectPage(response)
                #expect(!bodyText(response).contains("träff"), "blanks are no query: the form alone")
            }
        }
    }

    @Test func aDocumentsPageShowsItsEntryAndLinksItsPublicContent() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        try await f.application().test(.router) { client in
            let download = try await client.execute(uri: pagePath(docs.decision.number), method: .get) { response in
                expectPage(response)
                let text = bodyText(response)
                #expect(text.contains("<h1>Beslut om bygglov i Åre</h1>"))
                #expect(text.contains("<dt>Mottagare</dt><dd>Åre kommun</dd>"))
                #expect(text.contains("<dt>Handlingens datum</dt><dd>2026-02-20</dd>"))
                #expect(text.contains("<dt>Status</dt><dd>upprättad</dd>"))
                #expect(text.contains("(PDF, 300 kB)"))
                #expect(!text.contains("<h2>Sekretess</h2>"))
                return try link(after: "<h2>Handlingen</h2>", in: text)
            }
            #expect(download == documentPath(docs.decision.number, "/content"))
            try await client.execute(uri: download, method: .get) { response in
                #expect(response.status == .ok && Data(response.body.readableBytesView) == docs.decisionBytes)
            }
            try await client.execute(uri: pagePath(docs.secret.number), method: .get) { response in
                expectPage(response)
                expectNoSecrets(response)
                let text = bodyText(response)
                #expect(text.contains("<h1>Utredning enligt LSS</h1>"))
                #expect(text.contains("<dt>Avsändare och mottagare</dt><dd><em>visas inte</em></dd>"))
                #expect(text.contains("markerad för skydd för personlig integritet enligt OSL 26 kap. 1 §. Det som inte visas här: innehåll, avsändare och mottagare, rubrik."))
                #expect(text.contains("Innehållet visas inte här") && !text.contains("/content"))
            }
            try await client.execute(uri: pagePath(docs.titleOnly.number), method: .get) { response in
                expectNoSecrets(response)
                let text = bodyText(response)
                #expect(text.contains("<h1>Handling \(docs.titleOnly.number)</h1>"))
                #expect(text.contains("<title>Handling \(docs.titleOnly.number) – Diariet</title>"))
                #expect(text.contains("<dt>Rubrik</dt><dd><em>Rubriken visas inte</em></dd>"))
                #expect(text.contains("Hämta handlingen"), "only the title is restricted")
            }
            try await client.execute(uri: pagePath(docs.draft.number), method: .get) { response in
                #expect(bodyText(response).contains("Handlingen är ett utkast") && !bodyText(response).contains("/content"))
            }
            try await client.execute(uri: pagePath(docs.paper.number), method: .get) { response in
                #expect(bodyText(response).contains("Handlingen finns inte i elektronisk form"))
                #expect(bodyText(response).contains("<dt>Avsändare</dt><dd>Anna Andersson</dd>"))
                #expect(bodyText(response).contains("<dt>Status</dt><dd>inkommen</dd>"), "a final incoming letter is inkommen, not upprättad")
            }
            try await client.execute(uri: "/diarium/handlingar/KS%202026%2F1-99", method: .get) { response in
                expectPage(response, .notFound)
                #expect(bodyText(response).contains("<h1>Finns inte</h1>"))
            }
            try await client.execute(uri: "/diarium/handlingar/nonsense", method: .get) { response in
                expectPage(response, .badRequest)
            }
            // A number typed into the address bar with its slash, which the browser sends as two segments.
            try await client.execute(uri: "/diarium/handlingar/" + docs.decision.number.description.replacingOccurrences(of: " ", with: "%20"),
                                     method: .get) { response in
                expectPage(response)
                #expect(bodyText(response).contains("<h1>Beslut om bygglov i Åre</h1>"))
            }
            try await client.execute(uri: pagePath(docs.decision.number), method: .delete) { response in
                #expect(response.status == .methodNotAllowed && response.headers[.allow] == "GET, HEAD")
            }
            // Counted under the route's OpenAPI template, not the router's catch-all.
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = bodyText(response)
                #expect(text.contains("route=\"/diarium/handlingar/{number}\",method=\"GET\",status=\"200\""))
                #expect(!text.contains("**"))
            }
        }
    }

    /// Each page's footer names where its own facts are served as open data, and that address answers with them.
    @Test func everyPageLinksTheOpenDataItShows() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let decision = f.docs.decision.number
        let pages: [(String, String)] = [
            ("/diarium", "/public/v1/diarium"), ("/diarium?from=x", "/public/v1/diarium"),
            ("/diarium?series=KS&from=2026-03-01&to=", "/public/v1/diarium?series=KS&from=2026-03-01"), ("/diarium/sok", "/public/v1/diarium"),
            ("/diarium/sok?q=bygglov%20%C3%85re", "/public/v1/search?q=bygglov%20%C3%85re"),
            ("/diarium/arenden", "/public/v1/cases"), ("/diarium/arenden?title=-x", "/public/v1/cases"),
            (Page.documentHref(decision), "/public/v1/documents/\(decision.description.percentEncoded())"),
            (Page.caseHref(decision.caseNumber), "/public/v1/cases/\(decision.caseNumber.description.percentEncoded())"),
        ]
        try await f.application().test(.router) { client in
            for (page, data) in pages {
                let linked = try await client.execute(uri: page, method: .get) { response in
                    try link(after: "öppna data", in: bodyText(response))
                }
                #expect(linked == data, "\(page)")
                // The address of the page's own facts; a form with a mistake links the whole register.
                try await client.execute(uri: linked, method: .get) { response in
                    #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("application/json") == true, "\(linked)")
                }
            }
        }
    }

    @Test func aCasesPageListsItsDocumentsAndHidesARestrictedTitle() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        let restricted = try f.restrictedCase(until: CalendarDate(year: 2096, month: 12, day: 31), department: "Individ- och familjeomsorgen")
        let letters = try paperLetters(f, 53) { "Brev \($0)" }
        let lettersCase = letters[0].number.caseNumber
        _ = try f.service.closeCase(lettersCase, actor: "anna")
        try await f.application().test(.router) { client in
            // The document's page links its case's.
            let caseLink = try await client.execute(uri: pagePath(docs.decision.number), method: .get) { response in
                try link(after: "<dt>Ärende</dt>", in: bodyText(response))
            }
            #expect(caseLink == Page.caseHref(docs.decision.number.caseNumber) && caseLink == "/diarium/arenden/KS%202026%2F1")
            try await client.execute(uri: caseLink, method: .get) { response in
                expectPage(response)
                expectNoSecrets(response)
                let text = bodyText(response)
                #expect(text.contains("<h1>Beslut och skrivelser</h1>"))
                #expect(text.contains("<dt>Status</dt><dd>pågående</dd>") && text.contains("<dt>Registrerat</dt><dd>2026-03-01</dd>"))
                #expect(text.contains("<dt>Antal handlingar</dt><dd>5</dd>") && !text.contains("<h2>Sekretessmarkering</h2>"))
                // In filing order, each linking its entry; the restricted one without what it hides.
                let positions = [docs.decision, docs.secret, docs.draft, docs.titleOnly, docs.paper].map { doc in
                    text.range(of: "href=\"\(pagePath(doc.number))\"")?.lowerBound
                }
                #expect(positions.allSatisfy { $0 != nil } && positions.map { $0! } == positions.map { $0! }.sorted())
                #expect(text.contains("Utredning enligt LSS") && text.contains("<em>Rubriken visas inte</em>"))
                #expect(text.contains("href=\"/diarium/sok?q=case%3A%22KS%202026%2F1%22\">Sök bland ärendets handlingar</a>"))
            }
            try await client.execute(uri: Page.caseHref(restricted), method: .get) { response in
                expectPage(response)
                expectNoSecrets(response)
                let text = bodyText(response)
                #expect(text.contains("<h1>Orosanmälan</h1>") && text.contains("<title>Orosanmälan – Diariet</title>"))
                #expect(text.contains("<dt>Handläggare</dt><dd>Anna Berg</dd>"))
                #expect(text.contains("<dt>Ansvarig enhet</dt><dd>Individ- och familjeomsorgen</dd>"))
                #expect(text.contains("Ärendets fullständiga rubrik är markerad för skydd för personlig integritet enligt OSL 26 kap. 1 § och "
                                      + "visas inte här. Markeringen anger 2096-12-31 som sista dag; den gäller tills myndigheten har hävt den. "
                                      + "Den rubrik som visas är en offentlig rubrik. Markeringen gäller bara rubriken"))
                #expect(text.contains("Du kan begära att få ta del av rubriken"))
                #expect(text.contains("<p>Inga handlingar är registrerade i ärendet.</p>"))
            }
            // 53 letters: 50 on the first page, 3 on the next, which links back.
            let next = try await client.execute(uri: Page.caseHref(lettersCase), method: .get) { response in
                let text = bodyText(response)
                #expect(text.contains("<dt>Status</dt><dd>avslutat</dd>") && text.contains("<dt>Avslutat</dt><dd>2026-03-05</dd>"), "closed after 00:00 in Sweden")
                #expect(text.contains(">Brev 50<") && !text.contains(">Brev 51<") && !text.contains("Första sidan"))
                return try link(after: "<nav class=\"sidor\"", in: text)
            }
            #expect(next.hasPrefix(Page.caseHref(lettersCase) + "?after="))
            try await client.execute(uri: next, method: .get) { response in
                expectPage(response)
                let text = bodyText(response)
                #expect(text.contains(">Brev 51<") && text.contains(">Brev 53<") && !text.contains(">Brev 50<"))
                #expect(text.contains(">Första sidan</a>") && !text.contains("Nästa sida"))
            }
            // A number typed with its slash; a cursor of another case; no such case; not a case number.
            try await client.execute(uri: "/diarium/arenden/KS%202026/1", method: .get) { response in
                expectPage(response)
                #expect(bodyText(response).contains("<h1>Beslut och skrivelser</h1>"))
            }
            try await client.execute(uri: Page.caseHref(restricted) + String(next.drop { $0 != "?" }), method: .get) { response in
                expectPage(response, .badRequest)
                #expect(bodyText(response).contains("Länken till nästa sida gäller inte det här ärendet."))
                #expect(bodyText(response).contains("<title>Fel i länken – Diariet</title>"))
            }
            try await client.execute(uri: "/diarium/arenden/KS%202026%2F99", method: .get) { response in
                expectPage(response, .notFound)
            }
            try await client.execute(uri: "/diarium/arenden/nonsense", method: .get) { response in
                expectPage(response, .badRequest)
            }
            // A number typed with its series in lower case finds it too.
            try await client.execute(uri: "/diarium/arenden/ks%202026/1", method: .get) { response in
                expectPage(response)
                #expect(bodyText(response).contains("<h1>Beslut och skrivelser</h1>"))
            }
            // Addresses under the pages that lead nowhere are pages too (a browser shows them), not JSON.
            for path in ["/diarium/handlingar/", "/diarium/saknas"] {
                try await client.execute(uri: path, method: .get) { response in
                    expectPage(response, .notFound)
                    #expect(bodyText(response).contains("<h1>Finns inte</h1>"), "\(path)")
                }
            }
            try await client.execute(uri: "/diarium/saknas", method: .post) { response in
                #expect(response.headers[.contentType] == "application/problem+json", "a form posted nowhere is answered as a client")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = bodyText(response)
                #expect(text.contains("route=\"/diarium/arenden/{case}\",method=\"GET\",status=\"200\""))
                #expect(text.contains("route=\"/diarium/arenden/{case}\",method=\"GET\",status=\"404\""))
                #expect(!text.contains("**"))
            }
        }
    }

    /// `/diarium/arenden`: cases newest first, found by the words of their public titles, a page at a time; a
    /// restricted title is neither matched nor shown; the form's mistakes are named beside their fields.
    @Test func casesAreFoundByTheWordsOfTheirPublicTitles() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let ks = SeriesCode(rawValue: "KS")!
        let restricted = try f.restrictedCase(department: "Socialtjänsten")
        let storgatan = try (1...52).map { i in
            try f.service.openCase(NewCase(series: ks, title: "Bygglov Storgatan \(i)"), actor: "anna").number
        }
        let first = try f.service.openCase(NewCase(series: ks, title: "Strandskydd vid Storgatans brygga"), actor: "anna").number
        try await f.application().test(.router) { client in
            // Every case, newest first; the restricted one by its public title, marked.
            try await client.execute(uri: "/diarium/arenden", method: .get) { response in
                expectPage(response)
                expectNoSecrets(response)
                let text = bodyText(response)
                #expect(text.contains("<h1>Ärenden</h1>") && text.contains("Ärenden, senast registrerade först"))
                #expect(text.contains("href=\"\(Page.caseHref(first))\""))
                #expect(text.contains("rel=\"next\""), "more than 50 cases: a next page")
            }
            // By words in any order, a prefix among them; 52 hits: two pages, the second linked from the first.
            let next = try await client.execute(uri: "/diarium/arenden?title=storgatan+BYGGLOV", method: .get) { response in
                expectPage(response)
                let text = bodyText(response)
                #expect(text.contains("Ärenden med orden ”storgatan BYGGLOV” i rubriken, senast registrerade först"))
                #expect(text.contains(">\(storgatan[51].description)</a>") && !text.contains(">\(storgatan[1].description)</a>"))
                #expect(!text.contains("Strandskydd"), "every word must be in the title")
                #expect(text.components(separatedBy: "<tr><th scope=\"row\">").count - 1 == 50)
                return try link(after: "rel=\"next\"", in: text)
            }
            try await client.execute(uri: next, method: .get) { response in
                expectPage(response)
                let text = bodyText(response)
                #expect(text.contains(">\(storgatan[0].description)</a>") && text.contains(">\(storgatan[1].description)</a>"))
                #expect(text.components(separatedBy: "<tr><th scope=\"row\">").count - 1 == 2 && !text.contains("rel=\"next\""))
                #expect(text.contains(">Första sidan</a>"))
            }
            try await client.execute(uri: "/diarium/arenden?title=storgat*&series=KS", method: .get) { response in
                #expect(bodyText(response).contains(">\(first.description)</a>"), "a prefix: Storgatans too")
            }
            // The restricted case: found by its public title, never by its own, and shown by the public one.
            try await client.execute(uri: "/diarium/arenden?title=orosanm%C3%A4lan", method: .get) { response in
                expectPage(response)
                expectNoSecrets(response)
                let text = bodyText(response)
                #expect(text.contains(">\(restricted.description)</a>")
                        && text.contains("(rubriken är markerad för skydd för personlig integritet enligt OSL 26 kap. 1 §)"), "\(text)")
            }
            try await client.execute(uri: "/diarium/arenden?title=hemligsson", method: .get) { response in
                expectPage(response)
                expectNoSecrets(response)
                #expect(bodyText(response).contains("<p>Inga ärenden finns i det urvalet.</p>"))
            }
            // Mistakes: the form again, 400, the field named in Swedish and the value kept.
            for (uri, field, swedish) in [
                ("/diarium/arenden?title=-storgatan", "title", "Alla ord ska finnas i rubriken"),
                ("/diarium/arenden?title=st*", "title", "En asterisk (*) får bara stå sist i ett ord"),
                ("/diarium/arenden?series=ks", "series", "skrivs med stora bokstäver"),
                ("/diarium/arenden?series=SBN", "series", "Det finns ingen sådan diarieserie"),
                ("/diarium/arenden?after=nonsense", "after", "Länken till nästa sida gäller inte"),
                ("/diarium/arenden?after=KS%202026%2F9999", "after", "Länken till nästa sida gäller inte"),
                ("/diarium/arenden?title=" + (1...33).map { "ord\($0)" }.joined(separator: "+"), "title", "Skriv högst 32 ord"),
            ] {
                try await client.execute(uri: uri, method: .get) { response in
                    expectPage(response, .badRequest)
                    let text = bodyText(response)
                    #expect(text.contains(swedish), "\(uri): \(text)")
                    if field != "after" {
                        // The field's own tag says it is the one in error.
                        let tag = try #require(text.range(of: "name=\"\(field)\"")).upperBound
                        #expect(text[tag...].prefix { $0 != ">" }.contains("aria-invalid=\"true\""), "\(uri)")
                    }
                    #expect(text.contains("<title>Fel i urvalet – Diariet</title>"))
                }
            }
            try await client.execute(uri: "/diarium/arenden?title=-storgatan", method: .get) { response in
                #expect(bodyText(response).contains("value=\"-storgatan\""))
            }
            // Blank words are no filter; an unknown parameter is refused, as everywhere.
            try await client.execute(uri: "/diarium/arenden?title=+++&series=", method: .get) { response in
                expectPage(response)
                #expect(bodyText(response).contains("Ärenden, senast registrerade först"))
            }
            try await client.execute(uri: "/diarium/arenden?q=storgatan", method: .get) { expectPage($0, .badRequest) }
            try await client.execute(uri: "/diarium/arenden/", method: .get) { response in
                expectPage(response)
                #expect(bodyText(response).contains("<h1>Ärenden</h1>"))
            }
            // Every page links here.
            try await client.execute(uri: "/diarium", method: .get) { response in
                #expect(bodyText(response).contains("<a href=\"/diarium/arenden\">Ärenden</a>"))
            }
        }
    }

    /// A restricted title with no public title in its place, on a case with documents; and a case restricted before
    /// grounds were recorded for cases.
    @Test func aCasesHiddenTitleLeavesNothingBehind() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let ks = SeriesCode(rawValue: "KS")!
        let bare = try f.service.openCase(NewCase(series: ks, title: "Ärende om Hemligsson", restriction: AccessRestriction(
            kind: .secrecy, legalReference: "OSL 21 kap. 1 §", hides: [.title])), actor: "anna").number
        _ = try f.service.register([NewDocument(file: nil, metadata: DocumentMetadata(title: "Kallelse till möte", recordType: .letter))],
                                   in: bare, actor: "anna")
        let legacy = try f.service.openCase(NewCase(series: ks, title: "Utredning om Smithsson", publicTitle: "Utredning",
                                                    restriction: AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §",
                                                                                   hides: [.title])), actor: "anna").number
        try await DatabaseQueue(path: f.dir.file("store/catalog.sqlite")).write { db in
            try db.execute(sql: "UPDATE cases SET restriction_kind = NULL, restriction_legal = NULL WHERE serial = ?", arguments: [legacy.serial])
        }
        try await f.application().test(.router) { client in
            try await client.execute(uri: Page.caseHref(bare), method: .get) { response in
                expectPage(response)
                expectNoSecrets(response)
                let text = bodyText(response)
                #expect(text.contains("<h1>Ärende \(bare)</h1>") && text.contains("<title>Ärende \(bare) – Diariet</title>"))
                #expect(text.contains("<dt>Rubrik</dt><dd><em>Rubriken visas inte</em></dd>"))
                #expect(text.contains("markerad för sekretess enligt OSL 21 kap. 1 § och visas inte här. Markeringen gäller bara rubriken"))
                #expect(!text.contains("offentlig rubrik"))
                #expect(text.contains(">Kallelse till möte<") && text.contains("Sök bland ärendets handlingar"))
            }
            try await client.execute(uri: Page.caseHref(legacy), method: .get) { response in
                expectPage(response)
                expectNoSecrets(response)
                let text = bodyText(response)
                #expect(text.contains("<h1>Utredning</h1>"))
                #expect(text.contains("Ärendets fullständiga rubrik visas inte här. Någon grund för det är inte registrerad. "
                                      + "Den rubrik som visas är en offentlig rubrik.</p>"))
            }
        }
    }

    @Test func aMarkingsLastDayIsSaidAsTheMarkingsNotAsTheLaw() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let record = try paperLetters(f, 1) { "Ansökan \($0)" }[0]
        var restrict = MetadataChange()
        restrict.restriction = .some(try AccessRestriction(kind: .secrecy, legalReference: "OSL 31 kap. 16 §",
                                                           until: CalendarDate(year: 2031, month: 12, day: 31), hides: [.parties]))
        _ = try f.service.update(record.number, restrict, comment: nil, actor: "anna")
        try await f.application().test(.router) { client in
            try await client.execute(uri: pagePath(record.number), method: .get) { response in
                expectPage(response)
                #expect(bodyText(response).contains("Handlingen är markerad för sekretess enligt OSL 31 kap. 16 §. Det som inte visas här: "
                    + "avsändare och mottagare. Markeringen anger 2031-12-31 som sista dag; den gäller tills myndigheten har hävt den.</p>"))
            }
        }
    }

    @Test func aDisposedDocumentsPageSaysItsContentIsGone() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let ks = SeriesCode(rawValue: "KS")!
        let caseNumber = try f.service.openCase(NewCase(series: ks, title: "Gallras"), actor: "anna").number
        let letter = try f.service.register([NewDocument(file: try f.dir.write("brev.txt", "Brev om gatubelysning."),
                                                         metadata: DocumentMetadata(title: "Brev om gatubelysning", recordType: .letter))],
                                            in: caseNumber, actor: "anna")[0]
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: .letter, action: .dispose, years: 0, mandate: "KS 2024 § 45"),
                                           actor: "admin")
        _ = try f.service.closeCase(caseNumber, actor: "anna")
        _ = try f.service.dispose(.documents([letter.number]), actor: "arkivarie")
        try await f.application().test(.router) { client in
            try await client.execute(uri: pagePath(letter.number), method: .get) { response in
                expectPage(response)
                #expect(bodyText(response).contains("Handlingen har gallrats enligt myndighetens gallringsbeslut."))
            }
        }
    }

    @Test func storedTextReachesAPageOnlyAsText() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let ks = SeriesCode(rawValue: "KS")!
        let caseNumber = try f.service.openCase(NewCase(series: ks, title: "Skript"), actor: "anna").number
        let text = "Texten <script>alert(1)</script> och <img src=x onerror=alert(2)> med \u{E001}udda\u{E000} markörer och \u{1}kontroll."
        let record = try f.service.register([NewDocument(
            file: try f.dir.write("skript.txt", text),
            metadata: DocumentMetadata(title: "Rubrik <script>alert(\"t\")</script> & 'citat'", recordType: .letter,
                                       direction: .incoming, sender: "<b>Avsändare</b>"))], in: caseNumber, actor: "anna")[0]
        #expect(record.current.status == .final, "inkommen: final as registered")
        try await f.application().test(.router) { client in
            for uri in ["/diarium", pagePath(record.number), "/diarium/sok?q=texten", "/diarium/sok?q=%3Cscript%3E%20texten"] {
                try await client.execute(uri: uri, method: .get) { response in
                    let page = bodyText(response)
                    #expect(!page.contains("<script") && !page.contains("<img") && !page.contains("<b>"), "\(uri)")
                    #expect(!page.contains("\u{1}"), "\(uri)")
                }
            }
            try await client.execute(uri: "/diarium/sok?q=texten", method: .get) { response in
                let page = bodyText(response)
                #expect(page.contains("Rubrik &lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; &#39;citat&#39;"))
                #expect(page.contains("<mark>Texten</mark> &lt;script&gt;"))
                #expect(page.components(separatedBy: "<mark>").count == page.components(separatedBy: "</mark>").count)
            }
        }
    }

    @Test func snippetsMarkOnlyPairedMarkersAndEscapingKeepsPagesValid() {
        func snippet(_ text: String) -> String { HTML.marked(text, open: "\u{E000}", close: "\u{E001}").markup }
        #expect(snippet("a\u{E001}b\u{E000}c<d") == "ab<mark>c&lt;d</mark>")
        #expect(snippet("\u{E000}x\u{E000}y\u{E001}z\u{E001}") == "<mark>xy</mark>z")
        #expect(snippet("\u{E000}\u{E001}") == "<mark></mark>" && snippet("") == "")
        // Controls and noncharacters (which Swift's literals refuse, so built from their values).
        let forbidden = [0x0, 0x7F, 0x85, 0xFDD0, 0xFFFF, 0x10FFFE].map { String(Unicode.Scalar($0)!) }
        #expect(HTML(text: forbidden.joined(separator: "-") + "\tx\ny").markup
            == Array(repeating: "\u{FFFD}", count: forbidden.count).joined(separator: "-") + "\tx\ny")
        let title = "<\"'&>"
        let row: HTML = "<td title=\"\(title)\">\(title)</td>"
        #expect(row.markup == "<td title=\"&lt;&quot;&#39;&amp;&gt;\">&lt;&quot;&#39;&amp;&gt;</td>")
        #expect(Page.size(999) == "999 byte" && Page.size(300_000) == "300 kB" && Page.size(1_234_567) == "1,2 MB"
            && Page.size(9_960_000) == "10 MB" && Page.size(5_000_000_000) == "5 GB")
        #expect("KS 2026/1-3 åÄ&=+#%".percentEncoded() == "KS%202026%2F1-3%20%C3%A5%C3%84%26%3D%2B%23%25")
    }

    /// Every kind of page, judged by the W3C's Nu HTML Checker (vnu): errors and warnings both fail.
    @Test func everyKindOfPageIsValidHTML() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        let docs = f.docs
        let ks = SeriesCode(rawValue: "KS")!
        let caseNumber = try f.service.openCase(NewCase(series: ks, title: "Skript"), actor: "anna").number
        let odd = try f.service.register([NewDocument(
            file: try f.dir.write("udda.txt", "Udda \u{E001}tecken\u{E000} och \u{1}kontroll och <b>taggar</b> i texten."),
            metadata: DocumentMetadata(title: "Udda <b>tecken</b>", recordType: .letter, direction: .outgoing, recipient: "\"Citat\" & co"))],
            in: caseNumber, actor: "anna")[0]
        _ = try f.service.finalise(odd.number, comment: nil, actor: "anna")
        let letters = try paperLetters(f, 51, sender: { "Avsändare \($0)" }) { "Brev \($0)" }[0].number.caseNumber
        let restricted = try f.service.openCase(NewCase(series: ks, title: "Ärende om Hemligsson", restriction: AccessRestriction(
            kind: .secrecy, legalReference: "OSL 21 kap. 1 §", until: CalendarDate(year: 2090, month: 1, day: 1), hides: [.title]),
                                                        department: "Socialtjänsten", officer: "Bo <Ek>"), actor: "anna").number
        let uris = ["/diarium", "/diarium?series=BUN&from=2026-01-01&to=2026-12-31", "/diarium?series=SBN", "/diarium?from=2026-13-01",
                    "/diarium?utm=x", "/diarium/sok", "/diarium/sok?q=udda", "/diarium/sok?q=bygglov", "/diarium/sok?q=brev",
                    "/diarium/sok?q=ingenting", "/diarium/sok?q=%22unclosed", "/diarium/handlingar/KS%202026%2F1-99",
                    "/diarium/handlingar/nonsense"]
            + [docs.decision, docs.secret, docs.draft, docs.titleOnly, docs.paper, docs.late, odd].map { pagePath($0.number) }
            + [docs.decision.number.caseNumber, caseNumber, restricted, letters].map(Page.caseHref)
            + ["/diarium/arenden/KS%202026%2F99", "/diarium/arenden/nonsense", "/diarium/arenden", "/diarium/arenden?title=brev&series=KS",
               "/diarium/arenden?title=hemligsson", "/diarium/arenden?title=a*", "/diarium/arenden?after=KS%202026%2F3&title=%3Cb%3E"]
        let dir = try TempDirectory("diarium-pages")
        defer { dir.remove() }
        let files = try await f.application().test(.router) { client in
            var files: [String] = []
            for (i, uri) in uris.enumerated() {
                let page = try await client.execute(uri: uri, method: .get) { response in Data(response.body.readableBytesView) }
                files.append(try dir.write("page-\(i).html", page))
            }
            return files
        }
        let (ok, messages) = try Validators.vnu(files)
        #expect(ok, "\(messages.joined(separator: "\n"))")
    }
}
