import DiariumCore
import DiariumServices
import Foundation
import Hummingbird

/// The public diarium as web pages, in Swedish, for a citizen or a journalist with nothing but a browser: the
/// register of documents (`/diarium`), search (`/diarium/sok`), each document's entry
/// (`/diarium/handlingar/{number}`), whose content link is the public download of `/public/v1`, cases found by the words
/// of their titles (`/diarium/arenden`) and each case with its documents (`/diarium/arenden/{case}`). No token, no
/// script, no cookie. Everything shown comes from the public views `/public/v1` serves.
///
/// A mistake in a form (a date that is not one, a malformed query) is answered 400 with the form again, the mistake
/// named beside the field it is in; other errors get a page with the status the API would give.
struct PublicPages {
    let records: Records

    static let diariumPath = "/diarium"
    static let searchPath = "/diarium/sok"
    static let documentsPrefix = "/diarium/handlingar/"
    static let documentPath = "/diarium/handlingar/{number}"
    static let casesPath = "/diarium/arenden"
    static let casesPrefix = "/diarium/arenden/"
    static let casePath = "/diarium/arenden/{case}"
    static let paths = ["/", diariumPath, searchPath, casesPath, documentPath, casePath]

    /// The router's path for a documented one: a document's or a case's page takes the rest of the path, so that a
    /// number typed into the address bar with its slash (`/diarium/handlingar/KS 2026/14-3`) finds it too.
    static func routed(_ path: String) -> String {
        switch path {
        case documentPath: documentsPrefix + "**"
        case casePath: casesPrefix + "**"
        default: path
        }
    }

    /// The documented path a router's path stands for (`routed`'s inverse), for the metrics' labels.
    static func documented(_ routed: String) -> String {
        catchAlls[routed] ?? routed
    }

    private static let catchAlls = Dictionary(uniqueKeysWithValues: [documentPath, casePath].map { (routed($0), $0) })

    /// Rows in a page of the register, hits in a page of search results.
    static let registerPageSize = 50
    static let searchPageSize = 20
    /// The longest query, in Unicode scalars (as the OpenAPI document's `maxLength` counts).
    static let maximumQueryLength = SearchQueryParser.maximumQueryLength
    /// Where a snippet's matched words start and end: private-use characters, which `HTML.marked` turns into `<mark>`.
    static let highlight: (open: Unicode.Scalar, close: Unicode.Scalar) = ("\u{E000}", "\u{E001}")

    func add(to router: Router<DiariumRequestContext>) {
        router.get("/") { request, context in
            await page(context) {
                _ = try Self.parameters(request, allowed: [])
                return Response(status: .found, headers: [.location: Self.diariumPath])
            }
        }
        router.get(RouterPath(Self.diariumPath)) { request, context in await page(context) { try await register(request) } }
        router.get(RouterPath(Self.searchPath)) { request, context in await page(context) { try await search(request) } }
        router.get(RouterPath(Self.casesPath)) { request, context in await page(context) { try await cases(request) } }
        router.get(RouterPath(Self.routed(Self.documentPath))) { request, context in
            await page(context) { try await document(request, context) }
        }
        router.get(RouterPath(Self.routed(Self.casePath))) { request, context in
            await page(context) { try await `case`(request, context) }
        }
    }

    /// The page a route makes, or its error as a page.
    private func page(_ context: DiariumRequestContext, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return Page.problem(Problem.from(error, logger: context.logger))
        }
    }

    /// The query's parameters. Unknown ones are refused as everywhere, except those that sites add to links they
    /// share (`utm_…`, `fbclid` …): a page's address passed on through a newsletter must still open.
    static func parameters(_ request: Request, allowed: Set<String>) throws(DiariumError) -> QueryParameters {
        try QueryParameters(request, allowed: allowed, ignoring: { name in
            name.hasPrefix("utm_") || ["fbclid", "gclid", "msclkid", "mc_cid", "mc_eid"].contains(name)
        })
    }

    // MARK: The register

    /// `?series=&from=&to=&after=`: an empty field is no filter (a form sends every field).
    func register(_ request: Request) async throws -> Response {
        let query = try Self.parameters(request, allowed: ["series", "from", "to", "after"])
        let form = RegisterForm(series: query.string("series"), from: query.string("from"), to: query.string("to"))
        let after = query.string("after")
        do {
            let (series, from, to) = try form.filters()
            // The series for the form and the page, in one trip to the read pool.
            let (allSeries, page) = try await records.run { service in
                (try service.listSeries(),
                 try service.publicDiarium(series: series, from: from, to: to, limit: Self.registerPageSize, after: after))
            }
            return Page.response(title: nil, body: Self.registerBody(form, series: allSeries, page: page, mistake: nil, first: after != nil),
                                 openData: Page.href(PublicRoutes.diariumPath, ["series": form.series, "from": form.from, "to": form.to]))
        } catch let error as DiariumError where Self.isFormMistake(error) {
            let allSeries = try await records.run { service in try service.listSeries() }
            return Page.response(status: .badRequest, title: "Fel i urvalet", body: Self.registerBody(form, series: allSeries, page: nil,
                                                                                            mistake: form.mistake(error), first: false))
        }
    }

    /// The register's form as sent: an empty field is nil.
    struct RegisterForm {
        var series: String?
        var from: String?
        var to: String?

        func filters() throws(DiariumError) -> (series: SeriesCode?, from: CalendarDate?, to: CalendarDate?) {
            (try series.map { code throws(DiariumError) in try SeriesCode(parsing: code, field: "series") },
             try from.map { text throws(DiariumError) in try CalendarDate(parsing: text, field: "from") },
             try to.map { text throws(DiariumError) in try CalendarDate(parsing: text, field: "to") })
        }

        /// The mistake in Swedish, by the field it is in.
        func mistake(_ error: DiariumError) -> Mistake {
            let swedish = switch error.field {
            case "series" where (try? filters()) != nil: "Det finns ingen sådan diarieserie. Välj en i listan."
            case "series": "En diarieserie skrivs med stora bokstäver och siffror, till exempel KS."
            case "to" where (try? filters()) != nil: "Registrerad till är före Registrerad från."
            case "from", "to": "Datumet finns inte eller är inte skrivet som ÅÅÅÅ-MM-DD, till exempel 2026-03-01."
            case "after": "Länken till nästa sida gäller inte det här urvalet. Börja om från första sidan."
            default: "Något i adressen är fel."
            }
            return Mistake(field: error.field, label: registerLabels[error.field ?? ""], swedish: swedish, detail: error.message)
        }
    }

    static let registerLabels = ["series": "Diarieserie", "from": "Registrerad från", "to": "Registrerad till", "after": "Nästa sida"]

    /// The series to choose from, the chosen one selected (kept when it is not one, so the form shows what was sent).
    static func seriesOptions(_ series: [Series], chosen: String?) -> [HTML] {
        var options: [HTML] = ["<option value=\"\">Alla diarieserier</option>"]
        var codes = series.map(\.code.rawValue)
        if let chosen, !codes.contains(chosen) { codes.append(chosen) }
        for code in codes {
            let name = series.first { $0.code.rawValue == code }.map { "\(code) – \($0.name)" } ?? code
            options.append("<option value=\"\(code)\"\(chosen == code ? " selected" : "")>\(name)</option>")
        }
        return options
    }

    static func registerBody(_ form: RegisterForm, series: [Series], page: PublicDiariumPage?, mistake: Mistake?, first: Bool) -> HTML {
        let options = seriesOptions(series, chosen: form.series)
        let invalid = mistake?.field
        var body: HTML = """
            <h1>Diariet</h1>
            \(searchForm(query: nil, mistake: nil))
            <form method="get" action="\(diariumPath)" aria-labelledby="bladdra">
            <h2 id="bladdra">Registrerade handlingar</h2>
            \(mistake?.summary)
            <label>Diarieserie<select name="series"\(invalidAttributes("series", invalid))>\(options)</select></label>
            <label>Registrerad från (ÅÅÅÅ-MM-DD)<input name="from" value="\(form.from ?? "")" size="10"\(invalidAttributes("from", invalid))></label>
            <label>Registrerad till (ÅÅÅÅ-MM-DD)<input name="to" value="\(form.to ?? "")" size="10"\(invalidAttributes("to", invalid))></label>
            <button type="submit">Visa</button>
            </form>
            """
        guard let page else { return body }
        if page.documents.isEmpty {
            body = body + "<p>Inga handlingar är registrerade i det urvalet.</p>"
        } else {
            body = body + documentTable(caption: "\(caption(form)), senast registrerade först", page.documents)
        }
        let next = page.nextCursor.map { cursor -> HTML in
            "<a rel=\"next\" href=\"\(Page.href(diariumPath, ["series": form.series, "from": form.from, "to": form.to, "after": cursor]))\">Nästa sida</a>"
        }
        let start: HTML? = first ? "<a href=\"\(Page.href(diariumPath, ["series": form.series, "from": form.from, "to": form.to]))\">Första sidan</a>" : nil
        if next != nil || start != nil {
            body = body + "<nav class=\"sidor\" aria-label=\"Sidor\">\(start)\(next)</nav>"
        }
        return body
    }

    static func caption(_ form: RegisterForm) -> String {
        var words = ["Registrerade handlingar"]
        if let series = form.series { words.append("i \(series)") }
        switch (form.from, form.to) {
        case let (from?, to?): words.append("från \(from) till \(to)")
        case let (from?, nil): words.append("från \(from)")
        case let (nil, to?): words.append("till \(to)")
        case (nil, nil): break
        }
        return words.joined(separator: " ")
    }

    /// Documents as rows of the register (the register's page, a case's page).
    static func documentTable(caption: String, _ entries: [PublicEntry]) -> HTML {
        """
        <div class="tabell" tabindex="0" role="region" aria-labelledby="tabell">
        <table>
        <caption id="tabell">\(caption)</caption>
        <thead><tr><th scope="col">Diarienummer</th><th scope="col">Registrerad</th><th scope="col">Typ</th>\
        <th scope="col">Riktning</th><th scope="col">Rubrik</th><th scope="col">Avsändare eller mottagare</th>\
        <th scope="col">Sekretessmarkering</th></tr></thead>
        <tbody>
        \(entries.map(registerRow))</tbody>
        </table>
        </div>
        """
    }

    static func registerRow(_ entry: PublicEntry) -> HTML {
        let party: HTML = switch entry.direction {
        case .incoming: entry.sender.map { HTML(text: $0) } ?? hiddenParty(entry)
        case .outgoing: entry.recipient.map { HTML(text: $0) } ?? hiddenParty(entry)
        case .internal: ""
        }
        let restriction = entry.restriction.map { HTML(text: Page.ground($0.kind, $0.legalReference)) } ?? ""
        return """
            <tr><th scope="row"><a href="\(Page.documentHref(entry.number))">\(entry.number.description)</a></th>\
            <td>\(Timestamp.swedishDate(of: entry.registeredAt).description)</td><td>\(entry.recordType.swedishName)</td>\
            <td>\(entry.direction.swedishName)</td><td>\(title(entry.title, restricted: entry.restriction?.hides.contains(.title) == true))</td>\
            <td>\(party)</td><td>\(restriction)</td></tr>

            """
    }

    static func hiddenParty(_ entry: PublicEntry) -> HTML {
        entry.restriction?.hides.contains(.parties) == true ? "<em>visas inte</em>" : ""
    }

    static func title(_ title: String?, restricted: Bool) -> HTML {
        if let title, !title.isEmpty { return HTML(text: title) }
        return restricted ? "<em>Rubriken visas inte</em>" : "<em>Utan rubrik</em>"
    }

    // MARK: Search

    /// `?q=&after=`: the query language of `diarium search`, in the public view.
    func search(_ request: Request) async throws -> Response {
        let query = try Self.parameters(request, allowed: ["q", "after"])
        let text = query.string("q") ?? ""
        // Checked before blanks are taken for no query: the limit holds for every value (as the OpenAPI says).
        guard text.unicodeScalars.count <= Self.maximumQueryLength else {
            let mistake = Mistake(field: "q", label: "Sök", swedish: "Sökfrågan är för lång: högst \(Self.maximumQueryLength) tecken.",
                                  detail: "q is longer than \(Self.maximumQueryLength) characters")
            return Page.response(status: .badRequest, title: "Fel i sökningen", body: Self.searchBody(text, mistake: mistake))
        }
        guard !text.allSatisfy(\.isWhitespace) else {
            return Page.response(title: "Sök", body: Self.searchBody(nil, mistake: nil))
        }
        let options = SearchOptions(limit: Self.searchPageSize, cursor: query.string("after"),
                                    highlight: (String(Self.highlight.open), String(Self.highlight.close)))
        do {
            let parsed = try SearchQueryParser.parse(text)
            let result = try await records.run { service in try service.search(parsed, view: .public, options: options) }
            return Page.response(title: "\(text) – Sök", body: Self.resultsBody(text, parsed: parsed, result: result, first: options.cursor != nil),
                                 openData: Page.href(PublicRoutes.searchPath, ["q": text]))
        } catch let error as DiariumError where Self.isFormMistake(error) {
            // The parser names its input "query"; the form's field is q.
            let mistake = error.field == "after"
                ? Mistake(field: "after", label: "Nästa sida", swedish: "Länken till nästa sida gäller inte den här sökningen. Sök igen.",
                          detail: error.message)
                : Mistake(field: "q", label: "Sök", swedish: "Sökfrågan kunde inte tolkas.", detail: error.message)
            return Page.response(status: .badRequest, title: "Fel i sökningen", body: Self.searchBody(text, mistake: mistake))
        }
    }

    /// The search page without results: the form (with the query and its mistake, if any) and how to search.
    static func searchBody(_ text: String?, mistake: Mistake?) -> HTML {
        "<h1>Sök i diariet</h1>\n" + searchForm(query: text, mistake: mistake) + searchHelp
    }

    static func searchForm(query: String?, mistake: Mistake?) -> HTML {
        // A browser drops line breaks from an input's value, which would join two words: spaces keep them apart.
        let value = query.map { String($0.map { $0.isNewline || $0 == "\t" ? " " : $0 }) } ?? ""
        // A browser counts maxlength in UTF-16 units, which a value may not exceed: a longer one (a query too long, or
        // one of emoji) is shown without it.
        let limit: HTML = value.utf16.count <= maximumQueryLength ? " maxlength=\"\(maximumQueryLength)\"" : ""
        return """
            <form method="get" action="\(searchPath)" role="search">
            \(mistake?.summary)
            <label>Sök bland handlingarna<input type="search" name="q" value="\(value)"\(limit)\
            \(invalidAttributes("q", mistake?.field))></label>
            <button type="submit">Sök</button>
            </form>
            """
    }

    static let searchHelp: HTML = """
        <details>
        <summary>Så söker du</summary>
        <ul>
        <li>Alla orden ska finnas: <code>bygglov hamnen</code>, i handlingens rubrik, text, avsändare eller mottagare, eller i \
        ärendets mening (då hittas ärendets alla handlingar). Stora och små bokstäver är samma; å, ä och ö är egna bokstäver.</li>
        <li>Fras: <code>"detaljplan för hamnen"</code>. Början av ord (minst tre bokstäver): <code>klimat*</code>.</li>
        <li>Något av orden: <code>skola OR förskola</code>. Utan ordet: <code>-remiss</code>.</li>
        <li>Avgränsa: <code>type:decision</code> (beslut), <code>series:KS</code>, <code>year:2026</code>, <code>from:2026-01-01</code>, \
        <code>to:2026-06-30</code>, <code>case:"KS 2026/14"</code>, <code>sender:andersson</code>.</li>
        </ul>
        <p>Det som en sekretessmarkering döljer söks inte och visas inte.</p>
        </details>
        """

    static func resultsBody(_ text: String, parsed: SearchQuery, result: SearchResult, first: Bool) -> HTML {
        let count = result.totalIsExact ? "\(result.total)" : "minst \(result.total)"
        var body: HTML = """
            <h1>Sök i diariet</h1>
            \(searchForm(query: text, mistake: nil))
            <h2>\(count) \(result.total == 1 && result.totalIsExact ? "träff" : "träffar")</h2>
            """
        if result.order == .newest && parsed.text != nil {
            body = body + "<p class=\"anm\">Sökningen matchar så många handlingar att de inte rangordnas: de senast registrerade visas först.</p>"
        }
        if !result.hits.isEmpty {
            body = body + "<ol class=\"traffar\">\n\(result.hits.map(hit))</ol>"
        }
        let next = result.nextCursor.map { cursor -> HTML in
            "<a rel=\"next\" href=\"\(Page.href(searchPath, ["q": text, "after": cursor]))\">Nästa sida</a>"
        }
        let start: HTML? = first ? "<a href=\"\(Page.href(searchPath, ["q": text]))\">Första sidan</a>" : nil
        if next != nil || start != nil {
            body = body + "<nav class=\"sidor\" aria-label=\"Sidor\">\(start)\(next)</nav>"
        }
        if let facets = result.facets { body = body + facetLinks(text, parsed: parsed, facets: facets) }
        return body
    }

    static func hit(_ hit: SearchHit) -> HTML {
        let restricted = hit.restriction.map { kind in
            HTML("<p>Sekretessmarkering: \(Page.ground(kind, hit.legalReference ?? ""))</p>")
        }
        let date = hit.documentDate.map { "; daterad \($0)" } ?? ""
        return """
            <li><p><a href="\(Page.documentHref(hit.number))">\(hit.number.description)</a> \
            \(title(hit.title, restricted: hit.restriction != nil))</p>
            <p class="anm">\(hit.recordType.swedishName), \(hit.direction.swedishName), \(Page.status(hit.status, hit.direction)); \
            registrerad \(Timestamp.swedishDate(of: hit.registeredAt).description)\(date)</p>
            \(restricted)\(hit.snippet.map { "<p>\(HTML.marked($0, open: highlight.open, close: highlight.close))</p>" as HTML })</li>

            """
    }

    /// Counts per type, series, status and year, each a link narrowing the query; a dimension the query already
    /// filters on is left out (a second filter of it would only narrow to nothing).
    static func facetLinks(_ text: String, parsed: SearchQuery, facets: SearchFacets) -> HTML {
        var has = Set<String>()
        for filter in parsed.filters {
            switch filter {
            case .type: has.insert("type")
            case .series: has.insert("series")
            case .status: has.insert("status")
            case .year: has.insert("year")
            default: break
            }
        }
        func group(_ name: String, _ heading: String, _ counts: [FacetCount], label: (String) -> String) -> HTML? {
            guard !has.contains(name), !counts.isEmpty else { return nil }
            let items = counts.map { count -> HTML in
                let narrowed = "\(text) \(name):\(count.value)"
                return "<li><a href=\"\(Page.href(searchPath, ["q": narrowed]))\">\(label(count.value))</a> (\(count.count))</li>"
            }
            return "<div><h3>\(heading)</h3><ul>\(items)</ul></div>"
        }
        let groups = [
            group("type", "Typ", facets.type) { RecordType(rawValue: $0)?.swedishName ?? $0 },
            group("series", "Diarieserie", facets.series) { $0 },
            // A final document is upprättad or inkommen, by its direction, which a count over both cannot tell.
            group("status", "Status", facets.status) { $0 == DocumentStatus.final.rawValue ? "upprättad eller inkommen" : DocumentStatus(rawValue: $0)?.swedishName ?? $0 },
            group("year", "År", facets.year) { $0 },
        ].compactMap { $0 }
        guard !groups.isEmpty else { return "" }
        let note: HTML = facets.exact ? "" : "<p class=\"anm\">Räknat bland de senast registrerade träffarna.</p>"
        return "<section aria-labelledby=\"avgransa\"><h2 id=\"avgransa\">Avgränsa</h2>\(note)<div class=\"avgransa\">\(groups)</div></section>"
    }

    // MARK: Cases

    /// `?title=&series=&after=`: cases newest first (by when they were opened), 50 a page, found by the words of their
    /// public titles (a restricted title is neither matched nor shown, as in `GET /public/v1/cases`). An empty field
    /// is no filter.
    func cases(_ request: Request) async throws -> Response {
        let query = try Self.parameters(request, allowed: ["title", "series", "after"])
        let form = CasesForm(title: query.string("title").flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }, series: query.string("series"))
        let after = query.string("after")
        do {
            let (title, series) = try form.filters()
            // Its series in any case, as a case's page takes it.
            let afterCase = try after.map { text throws(DiariumError) in
                try CaseNumber(parsing: SeriesCode.uppercasingSeries(of: text), field: "after")
            }
            // One more than a page: whether a next page follows.
            let (allSeries, found) = try await records.run { service in
                (try service.listSeries(),
                 try service.publicCases(series: series, title: title, limit: Self.registerPageSize + 1, after: afterCase))
            }
            let shown = Array(found.prefix(Self.registerPageSize))
            let next = found.count > Self.registerPageSize ? shown.last?.number : nil
            return Page.response(title: form.title.map { "\($0) – Ärenden" } ?? "Ärenden",
                                 body: Self.casesBody(form, series: allSeries, cases: shown, next: next, mistake: nil, first: after != nil),
                                 openData: PublicRoutes.casesPath)
        } catch let error as DiariumError where Self.isFormMistake(error) || error.field == "after" {
            // A next page's link names the last case shown; one that names no case is a link to start again from.
            let allSeries = try await records.run { service in try service.listSeries() }
            return Page.response(status: .badRequest, title: "Fel i urvalet", body: Self.casesBody(form, series: allSeries, cases: nil, next: nil,
                                                                                         mistake: form.mistake(error), first: false),
                                 openData: PublicRoutes.casesPath)
        }
    }

    /// The cases form as sent: an empty field is nil.
    struct CasesForm {
        var title: String?
        var series: String?

        func filters() throws(DiariumError) -> (title: TitleWords?, series: SeriesCode?) {
            (try title.map { text throws(DiariumError) in try TitleWords(parsing: text, field: "title") },
             try series.map { code throws(DiariumError) in try SeriesCode(parsing: code, field: "series") })
        }

        /// The mistake in Swedish, by the field it is in.
        func mistake(_ error: DiariumError) -> Mistake {
            let swedish = switch error.field {
            case "title" where error.message.contains("must be in the title"):
                "Alla ord ska finnas i rubriken. För att utesluta ord eller söka på något av flera ord: sök bland handlingarna."
            case "title" where error.message.contains("at most") || error.message.contains("longer than"):
                "Skriv högst \(SearchQueryParser.maximumTerms) ord och högst 1000 tecken."
            case "title" where error.message.contains("*"):
                "En asterisk (*) får bara stå sist i ett ord, efter minst tre bokstäver, till exempel storgat*."
            case "title": "Skriv ett eller flera ord ur ärendets rubrik, till exempel bygglov storgatan."
            case "series" where (try? filters()) != nil: "Det finns ingen sådan diarieserie. Välj en i listan."
            case "series": "En diarieserie skrivs med stora bokstäver och siffror, till exempel KS."
            case "after": "Länken till nästa sida gäller inte det här urvalet. Börja om från första sidan."
            default: "Något i adressen är fel."
            }
            return Mistake(field: error.field, label: casesLabels[error.field ?? ""], swedish: swedish, detail: error.message)
        }
    }

    static let casesLabels = ["title": "Ord i rubriken", "series": "Diarieserie", "after": "Nästa sida"]

    static func casesBody(_ form: CasesForm, series: [Series], cases: [PublicCase]?, next: CaseNumber?, mistake: Mistake?, first: Bool) -> HTML {
        let invalid = mistake?.field
        // A browser drops line breaks from an input's value, which would join two words: spaces keep them apart.
        let value = form.title.map { String($0.map { $0.isNewline || $0 == "\t" ? " " : $0 }) } ?? ""
        var body: HTML = """
            <h1>Ärenden</h1>
            <form method="get" action="\(casesPath)" role="search">
            \(mistake?.summary)
            <label>Ord i ärendets rubrik<input type="search" name="title" value="\(value)"\(invalidAttributes("title", invalid))></label>
            <label>Diarieserie<select name="series"\(invalidAttributes("series", invalid))>\(seriesOptions(series, chosen: form.series))</select></label>
            <button type="submit">Sök ärenden</button>
            </form>
            <details>
            <summary>Så söker du ärenden</summary>
            <ul>
            <li>Alla orden ska finnas i ärendets rubrik, i vilken ordning som helst: <code>storgatan bygglov</code>. Stora och \
            små bokstäver är samma; å, ä och ö är egna bokstäver.</li>
            <li>Början av ord (minst tre bokstäver): <code>storgat*</code>.</li>
            <li>Ett ärende vars rubrik har en sekretessmarkering hittas bara på sin offentliga rubrik, om det har en.</li>
            <li>För att söka i handlingarnas text: <a href="\(searchPath)">sök bland handlingarna</a>.</li>
            </ul>
            </details>
            """
        guard let cases else { return body }
        if cases.isEmpty {
            body = body + (first ? "<p>Inga fler ärenden.</p>" : "<p>Inga ärenden finns i det urvalet.</p>")
        } else {
            body = body + caseTable(caption: "\(casesCaption(form)), senast registrerade först", cases)
        }
        let nextLink = next.map { number -> HTML in
            "<a rel=\"next\" href=\"\(Page.href(casesPath, ["title": form.title, "series": form.series, "after": number.description]))\">Nästa sida</a>"
        }
        let start: HTML? = first ? "<a href=\"\(Page.href(casesPath, ["title": form.title, "series": form.series]))\">Första sidan</a>" : nil
        if nextLink != nil || start != nil {
            body = body + "<nav class=\"sidor\" aria-label=\"Sidor\">\(start)\(nextLink)</nav>"
        }
        return body
    }

    static func casesCaption(_ form: CasesForm) -> String {
        var words = ["Ärenden"]
        if let series = form.series { words.append("i \(series)") }
        if let title = form.title { words.append("med orden ”\(title)” i rubriken") }
        return words.joined(separator: " ")
    }

    static func caseTable(caption: String, _ cases: [PublicCase]) -> HTML {
        let rows = cases.map { record -> HTML in
            let title = title(record.title, restricted: record.redacted.contains(.title))
            let marking: HTML = !record.redacted.contains(.title) ? ""
                : record.restriction.map { " <span class=\"anm\">(rubriken är markerad för \(Page.ground($0.kind, $0.legalReference)))</span>" }
                ?? " <span class=\"anm\">(rubriken visas inte)</span>"
            return """
                <tr><th scope="row"><a href="\(Page.caseHref(record.number))">\(record.number.description)</a></th>\
                <td>\(Timestamp.swedishDate(of: record.openedAt).description)</td><td>\(title)\(marking)</td>\
                <td>\(record.status.swedishName)</td><td>\(String(record.documentCount))</td></tr>

                """
        }
        return """
            <div class="tabell" tabindex="0" role="region" aria-labelledby="tabell">
            <table>
            <caption id="tabell">\(caption)</caption>
            <thead><tr><th scope="col">Diarienummer</th><th scope="col">Registrerat</th><th scope="col">Rubrik</th>\
            <th scope="col">Status</th><th scope="col">Handlingar</th></tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            </div>
            """
    }

    // MARK: A document

    func document(_ request: Request, _ context: DiariumRequestContext) async throws -> Response {
        _ = try Self.parameters(request, allowed: [])
        // The rest of the path: one segment when the number's slash is encoded (as the pages link it), two when not.
        let number = try PublicRoutes.number(path: context.parameters.getCatchAll().joined(separator: "/"), typed: true)
        let entry = try await records.run { service in try service.publicEntry(number) }
        let heading = entry.title.flatMap { $0.isEmpty ? nil : $0 } ?? "Handling \(entry.number)"
        return Page.response(title: heading, body: Self.documentBody(entry, heading: heading), openData: Page.entryHref(entry.number))
    }

    static func documentBody(_ entry: PublicEntry, heading: String) -> HTML {
        let hides = Set(entry.restriction?.hides ?? [])
        var facts: [HTML] = [
            fact("Diarienummer", HTML(text: entry.number.description)),
            fact("Ärende", "<a href=\"\(Page.caseHref(entry.number.caseNumber))\">\(entry.number.caseNumber.description)</a>"),
            fact("Rubrik", title(entry.title, restricted: hides.contains(.title))),
            fact("Registrerad", HTML(text: Timestamp.swedishDate(of: entry.registeredAt).description)),
        ]
        if let date = entry.documentDate { facts.append(fact("Handlingens datum", HTML(text: date.description))) }
        facts += [
            fact("Typ", HTML(text: entry.recordType.swedishName)),
            fact("Riktning", HTML(text: entry.direction.swedishName)),
            fact("Status", HTML(text: Page.status(entry.status, entry.direction))),
        ]
        if hides.contains(.parties) {
            facts.append(fact("Avsändare och mottagare", "<em>visas inte</em>"))
        } else {
            if let sender = entry.sender { facts.append(fact("Avsändare", HTML(text: sender))) }
            if let recipient = entry.recipient { facts.append(fact("Mottagare", HTML(text: recipient))) }
        }
        if let classification = entry.classification { facts.append(fact("Klassificering", HTML(text: classification))) }

        var body: HTML = "<h1>\(heading)</h1>\n<dl>\n\(facts)</dl>\n"
        if let restriction = entry.restriction {
            let parts = restriction.hides.map(Page.partName).joined(separator: ", ")
            body = body + """
                <h2>Sekretessmarkering</h2>
                <p>Handlingen är markerad för \(Page.ground(restriction.kind, restriction.legalReference)). Det som inte visas här: \
                \(parts).\(lastDay(restriction.until))</p>
                """
        }
        body = body + "<h2>Handlingen</h2>\n" + contentParagraph(entry)
        return body
    }

    static func fact(_ term: String, _ value: HTML) -> HTML { "<dt>\(term)</dt><dd>\(value)</dd>\n" }

    /// A marking's end date, said as the marking's: it does not end by itself (a registrar lifts it).
    static func lastDay(_ until: CalendarDate?) -> HTML {
        until.map { " Markeringen anger \($0.description) som sista dag; den gäller tills myndigheten har hävt den." } ?? ""
    }

    static func contentParagraph(_ entry: PublicEntry) -> HTML {
        guard let content = entry.content else {
            return "<p>Handlingen finns inte i elektronisk form. Kontakta registraturen för att ta del av den.</p>"
        }
        if content.available {
            let what = [content.mediaType.map(Page.formatName), content.size.map(Page.size)].compactMap { $0 }.joined(separator: ", ")
            return "<p><a href=\"\(Page.contentHref(entry.number))\">Hämta handlingen</a>\(what.isEmpty ? "" : " (\(what))")</p>"
        }
        return switch content.withheld {
        case .draft?: "<p>Handlingen är ett utkast. Innehållet visas här när handlingen är upprättad.</p>"
        case .restricted?: """
            <p>Innehållet visas inte här, eftersom handlingen har en sekretessmarkering. Du kan begära att få ta del av \
            handlingen; myndigheten prövar då om den eller delar av den kan lämnas ut.</p>
            """
        case .disposed?: "<p>Handlingen har gallrats enligt myndighetens gallringsbeslut. Innehållet finns inte längre.</p>"
        case nil: "<p>Innehållet kan inte hämtas här.</p>"
        }
    }

    // MARK: A case

    /// `?after=`: the case, and its documents 50 at a time in the order they were filed.
    func `case`(_ request: Request, _ context: DiariumRequestContext) async throws -> Response {
        let query = try Self.parameters(request, allowed: ["after"])
        let number = try PublicRoutes.caseNumber(path: context.parameters.getCatchAll().joined(separator: "/"), typed: true)
        let after = query.string("after")
        do {
            let page = try await records.run { service in try service.publicCase(number, limit: Self.registerPageSize, after: after) }
            let heading = page.case.title.flatMap { $0.isEmpty ? nil : $0 } ?? "Ärende \(number)"
            return Page.response(title: heading, body: Self.caseBody(page, heading: heading, first: after != nil),
                                 openData: Page.caseDataHref(number))
        } catch let error as DiariumError where error.field == "after" {
            // A link to a next page that is not this case's (edited, or of another case): start again from the first.
            return Page.response(status: .badRequest, title: "Fel i länken", body: """
                <h1>Ärende \(number.description)</h1>
                \(Mistake(field: "after", label: "Nästa sida", swedish: "Länken till nästa sida gäller inte det här ärendet.",
                          detail: error.message).summary)
                <p><a href="\(Page.caseHref(number))">Till ärendets första sida</a></p>
                """)
        }
    }

    static func caseBody(_ page: PublicCasePage, heading: String, first: Bool) -> HTML {
        let record = page.case
        let hidden = record.redacted.contains(.title)
        var facts: [HTML] = [
            fact("Diarienummer", HTML(text: record.number.description)),
            fact("Rubrik", title(record.title, restricted: hidden)),
            fact("Status", HTML(text: record.status.swedishName)),
            fact("Registrerat", HTML(text: Timestamp.swedishDate(of: record.openedAt).description)),
        ]
        if let closed = record.closedAt { facts.append(fact("Avslutat", HTML(text: Timestamp.swedishDate(of: closed).description))) }
        if let classification = record.classification { facts.append(fact("Klassificering", HTML(text: classification))) }
        if let department = record.department { facts.append(fact("Ansvarig enhet", HTML(text: department))) }
        if let officer = record.officer { facts.append(fact("Handläggare", HTML(text: officer))) }
        facts.append(fact("Antal handlingar", HTML(text: String(record.documentCount))))

        var body: HTML = "<h1>\(heading)</h1>\n<dl>\n\(facts)</dl>\n"
        if hidden {
            // A public title stands in for the title: say which one is shown, so the two are not taken for one.
            let which: HTML = record.title.map { _ in " Den rubrik som visas är en offentlig rubrik." } ?? ""
            let marking: HTML = record.restriction.map { restriction in
                """
                Ärendets fullständiga rubrik är markerad för \(Page.ground(restriction.kind, restriction.legalReference)) och \
                visas inte här.\(lastDay(restriction.until))\(which) Markeringen gäller bara rubriken; handlingarna i ärendet \
                har egna sekretessmarkeringar där sådana finns.
                """
            } ?? "Ärendets fullständiga rubrik visas inte här. Någon grund för det är inte registrerad.\(which)"
            body = body + """
                <h2>Sekretessmarkering</h2>
                <p>\(marking)</p>
                <p>Du kan begära att få ta del av rubriken; myndigheten prövar då om den kan lämnas ut.</p>

                """
        }
        body = body + "<h2>Handlingar i ärendet</h2>\n"
        if page.documents.isEmpty {
            body = body + (first ? "<p>Inga fler handlingar.</p>" : "<p>Inga handlingar är registrerade i ärendet.</p>")
        } else {
            body = body + """
                <p><a href="\(Page.href(searchPath, ["q": "case:\"\(record.number)\""]))">Sök bland ärendets handlingar</a></p>

                """ + documentTable(caption: "Handlingar i ärende \(record.number), i den ordning de registrerades", page.documents)
        }
        let own = Page.caseHref(record.number)
        let next = page.nextCursor.map { cursor -> HTML in "<a rel=\"next\" href=\"\(Page.href(own, ["after": cursor]))\">Nästa sida</a>" }
        let start: HTML? = first ? "<a href=\"\(own)\">Första sidan</a>" : nil
        if next != nil || start != nil {
            body = body + "<nav class=\"sidor\" aria-label=\"Sidor\">\(start)\(next)</nav>"
        }
        return body
    }

    // MARK: Form mistakes

    /// A value in the form (or the query) that is not one: answered with the form again, not an error page.
    static func isFormMistake(_ error: DiariumError) -> Bool {
        error.code == .invalidField || error.code == .invalidNumber
    }

    /// What is wrong with a form's field, in Swedish, with the server's own (English) words beside it.
    struct Mistake {
        var field: String?
        var label: String?
        var swedish: String
        var detail: String

        /// Above the form, announced as an alert; the field points at it with `aria-describedby`.
        var summary: HTML {
            let named: HTML = label.map { "<strong>\($0):</strong> " } ?? ""
            return """
                <div class="fel" id="fel" role="alert"><p>\(named)\(swedish)</p><p class="anm" lang="en">\(detail)</p></div>
                """
        }
    }

    static func invalidAttributes(_ field: String, _ invalid: String?) -> HTML {
        field == invalid ? " aria-invalid=\"true\" aria-describedby=\"fel\"" : ""
    }
}
