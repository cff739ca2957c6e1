import DiariumCore
import DiariumServices
import Foundation
import Hummingbird
import NIOPosix

/// `/public/v1/…`: the public diarium, read-only and without a token. Everything here goes through `PublicEntry`
/// or the search's public view, so a restricted part never reaches a response.
struct PublicRoutes {
    let records: Records
    let threadPool: NIOThreadPool

    static let diariumPath = "/public/v1/diarium"
    static let documentPath = "/public/v1/documents/{number}"
    static let contentPath = "/public/v1/documents/{number}/content"
    static let searchPath = "/public/v1/search"
    static let casePath = "/public/v1/cases/{case}"
    static let casesPath = "/public/v1/cases"
    static let paths = [diariumPath, documentPath, contentPath, searchPath, casePath, casesPath]

    func add(to router: Router<DiariumRequestContext>) {
        router.get(RouterPath(Self.diariumPath)) { request, _ in try await diarium(request) }
        router.get(RouterPath(Self.documentPath)) { request, context in try await document(request, context) }
        router.get(RouterPath(Self.contentPath)) { request, context in try await content(request, context) }
        router.get(RouterPath(Self.searchPath)) { request, _ in try await search(request) }
        router.get(RouterPath(Self.casePath)) { request, context in try await `case`(request, context) }
        router.get(RouterPath(Self.casesPath)) { request, _ in try await cases(request) }
    }

    /// `?title=&series=&limit=&after=`: cases newest first, found by the words of their public titles.
    func cases(_ request: Request) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["title", "series", "limit", "after"])
        let title = try query.typed("title").map { text throws(DiariumError) in try TitleWords(parsing: text, field: "title") }
        let series = try query.series("series")
        let limit = try query.int("limit", default: 50, in: RecordsService.publicPageSizes)
        let after = try query.typed("after").map { text throws(DiariumError) in try CaseNumber(parsing: text, field: "after") }
        let cases = try await records.run { service in try service.publicCases(series: series, title: title, limit: limit, after: after) }
        return try JSONCoding.response(cases, headers: Self.revalidate)
    }

    /// `?from=&to=` (registration dates, Swedish time, inclusive) `&series=&limit=&after=`.
    func diarium(_ request: Request) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["from", "to", "series", "limit", "after"])
        let series = try query.series("series")
        let from = try query.date("from")
        let to = try query.date("to")
        let limit = try query.int("limit", default: 50, in: RecordsService.publicPageSizes)
        let after = query.string("after")
        let page = try await records.run { service in
            try service.publicDiarium(series: series, from: from, to: to, limit: limit, after: after)
        }
        return try JSONCoding.response(page, headers: Self.revalidate)
    }

    /// `?limit=&after=`: the case and a page of its documents, first filed first.
    func `case`(_ request: Request, _ context: DiariumRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["limit", "after"])
        let number = try Self.caseNumber(path: context.parameters.require("case"))
        let limit = try query.int("limit", default: 50, in: RecordsService.publicPageSizes)
        let after = query.string("after")
        let page = try await records.run { service in try service.publicCase(number, limit: limit, after: after) }
        return try JSONCoding.response(page, headers: Self.revalidate)
    }

    /// What the public sees of a document changes when a restriction is added: caches must ask again each time.
    static let revalidate: HTTPFields = [.cacheControl: "no-cache"]

    func document(_ request: Request, _ context: DiariumRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let number = try Self.number(context)
        let entry = try await records.run { service in try service.publicEntry(number) }
        return try JSONCoding.response(entry, headers: Self.revalidate)
    }

    /// The current content of a final (or archived) document whose restriction does not hide it. A document that
    /// exists but whose content is withheld is a 403 naming the reason (the diarium already shows the document, its
    /// status and its restriction, so saying why reveals nothing more); no such document, or no electronic content,
    /// is a 404.
    func content(_ request: Request, _ context: DiariumRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let number = try Self.number(context)
        let (entry, file) = try await records.run { service in try service.publicContent(number) }
        guard let file else {
            switch entry.content?.withheld {
            case .restricted:
                let ground = entry.restriction.map { " (\($0.kind.rawValue), \($0.legalReference))" } ?? ""
                throw Problem(status: .forbidden, code: "content-restricted", title: "Content restricted",
                              detail: "The content of \(number) is restricted\(ground) and is not public.")
            case .draft:
                throw Problem(status: .forbidden, code: "content-not-final", title: "Content not final",
                              detail: "\(number) is a draft: its content is public once the document is final.")
            case .disposed:
                throw Problem(DiariumError(.gone, "the content of \(number) was disposed of", field: "number"))
            case nil:
                throw Problem(status: .notFound, code: "no-content", title: "No electronic content",
                              detail: "\(number) has no electronic content (it may be kept on paper).")
            }
        }
        return try ContentResponse.make(file, request: request, threadPool: threadPool, logger: context.logger)
    }

    /// `?q=` (the query language of `diarium search`) `&limit=&after=`, in the public view.
    func search(_ request: Request) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["q", "limit", "after"])
        guard let text = query.string("q") else { throw DiariumError.invalid("q", "give a query: q=words or filters such as type:decision") }
        let options = SearchOptions(limit: try query.int("limit", default: 20, in: RecordsService.publicPageSizes),
                                    cursor: query.string("after"))
        do {
            let result = try await records.run { service in try service.search(text, view: .public, options: options) }
            // The public view neither matches nor shows restricted parts or a draft's text (see search_content).
            return try JSONCoding.response(result, headers: Self.revalidate)
        } catch let error as DiariumError where error.field == "query" {
            // The parser names its input "query"; here that is the parameter q.
            throw DiariumError(error.code, error.message, field: "q")
        }
    }

    /// The `{number}` path segment, percent-decoded: `KS%202026%2F14-3` is `KS 2026/14-3`.
    static func number(_ context: DiariumRequestContext) throws -> DocumentNumber {
        try number(path: context.parameters.require("number"))
    }

    /// A document number as it stands in a path, percent-encoded.
    /// `typed`: as a person types it into the address bar, the series in any case (the pages).
    static func number(path raw: some StringProtocol, typed: Bool = false) throws(DiariumError) -> DocumentNumber {
        let text = try decoded(raw, "document number", field: "number")
        return try DocumentNumber(parsing: typed ? SeriesCode.uppercasingSeries(of: text) : text, field: "number")
    }

    /// A case number as it stands in a path, percent-encoded.
    static func caseNumber(path raw: some StringProtocol, typed: Bool = false) throws(DiariumError) -> CaseNumber {
        let text = try decoded(raw, "case number", field: "case")
        return try CaseNumber(parsing: typed ? SeriesCode.uppercasingSeries(of: text) : text, field: "case")
    }

    private static func decoded(_ raw: some StringProtocol, _ what: String, field: String) throws(DiariumError) -> String {
        guard let text = raw.percentDecoded() else {
            throw DiariumError(.invalidNumber, "the \(what) in the path is not correctly percent-encoded", field: field)
        }
        return text
    }
}
