import DiariumCore
import DiariumServices
import Foundation
import Hummingbird

/// The OpenAPI 3.1 description of every route this server answers, served at `/openapi.json` and kept in the
/// repository as `Schemas/openapi.json` (a test checks that the two are the same bytes).
///
/// Built from plain dictionaries and written with sorted keys, so the bytes only change when the description does.
/// Each operation lists every status its route can answer; errors are `application/problem+json` (`Problem`).
enum OpenAPIDocument {
    typealias JSON = [String: Any]

    static let json: [UInt8] = {
        // The dictionaries hold only JSON values, so writing them cannot fail.
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return Array(data) + [UInt8(ascii: "\n")]
    }()

    static var document: JSON {
        [
            "openapi": "3.1.0",
            "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
            "info": [
                "title": "Diarium",
                "version": "1",
                "description": """
                    Records management for Swedish municipalities. `/public/v1` is the public diarium (no token), and `/diarium` the same as \
                    web pages in Swedish; `/api/v1` is for clerks, archivists and admins (a bearer token from `diarium token create`). Errors are \
                    application/problem+json (RFC 9457), a page's are pages; unknown query parameters and unknown JSON fields are 400; methods \
                    a path does not answer are 405 with Allow.
                    """,
            ],
            "paths": paths,
            "components": [
                "schemas": schemas,
                "responses": responses,
                "parameters": parameters,
                "headers": headers,
                "securitySchemes": [
                    "bearerAuth": ["type": "http", "scheme": "bearer", "description": "A token from `diarium token create`."],
                    "partyAuth": ["type": "http", "scheme": "bearer", "description": "The token agreed with the sending party (`diarium party add --token`)."],
                ],
            ],
        ]
    }

    // MARK: Building blocks

    static func json(_ schema: JSON) -> JSON { ["application/json": ["schema": schema]] }

    /// A response whose body is JSON.
    static func ok(_ description: String, _ schema: JSON, headers: [String] = []) -> JSON {
        var response: JSON = ["description": description, "content": json(schema)]
        if !headers.isEmpty { response["headers"] = Dictionary(uniqueKeysWithValues: headers.map { ($0, headerRef($0)) }) }
        return response
    }

    /// A response with the case's ETag (its version), beside any other headers it has.
    static func caseETag(_ response: JSON) -> JSON {
        var response = response
        var headers = response["headers"] as? JSON ?? [:]
        headers["ETag"] = headerRef("CaseETag")
        response["headers"] = headers
        return response
    }

    /// A response with the user's ETag (their version), beside any other headers it has.
    static func userETag(_ response: JSON) -> JSON {
        var response = response
        var headers = response["headers"] as? JSON ?? [:]
        headers["ETag"] = headerRef("UserETag")
        response["headers"] = headers
        return response
    }

    /// A response with a setting's ETag (a digest of its JSON: a class, a series, the organisation).
    static func settingETag(_ response: JSON) -> JSON {
        var response = response
        var headers = response["headers"] as? JSON ?? [:]
        headers["ETag"] = headerRef("SettingETag")
        response["headers"] = headers
        return response
    }

    /// The optional conditions a change of a setting honours (`SettingConditions`).
    static var settingConditions: [JSON] { [parameterRef("SettingIf-Match"), parameterRef("SettingIf-None-Match")] }

    /// Links from a response that shows a document (and its ETag) to the changes that need both: how a client
    /// chains them, and what schemathesis' stateful phase follows.
    static func withChangeLinks(_ response: JSON, number: String) -> JSON {
        var response = response
        var links: JSON = [:]
        for (name, operation) in [("Update", "updateDocument"), ("Finalise", "finaliseDocument"), ("Archive", "archiveDocument"),
                                  ("PutContent", "putContent")] {
            links[name] = ["operationId": operation,
                           "parameters": ["path.number": number, "header.If-Match": "$response.header.ETag"]]
        }
        response["links"] = links
        return response
    }

    static func headerRef(_ name: String) -> JSON { ["$ref": "#/components/headers/\(name)"] }
    static func responseRef(_ name: String) -> JSON { ["$ref": "#/components/responses/\(name)"] }
    static func parameterRef(_ name: String) -> JSON { ["$ref": "#/components/parameters/\(name)"] }

    static func query(_ name: String, _ schema: JSON, _ description: String, required: Bool = false) -> JSON {
        ["name": name, "in": "query", "required": required, "schema": withoutNUL(schema), "description": description]
    }

    /// A page's parameter: the pages answer a NUL as any other mistake in their fields, with a page of their own
    /// (`NULMiddleware` guards the JSON routes).
    static func pageQuery(_ name: String, _ schema: JSON, _ description: String) -> JSON {
        ["name": name, "in": "query", "required": false, "schema": schema, "description": description]
    }

    /// A free string parameter holds no NUL (`NULMiddleware`); those with a pattern or a set of values say more.
    static func withoutNUL(_ schema: JSON) -> JSON {
        guard schema["type"] as? String == "string", schema["pattern"] == nil, schema["enum"] == nil else { return schema }
        var schema = schema
        schema["pattern"] = "^[^\\u0000]*$"
        return schema
    }

    static func limit(default value: Int, max: Int) -> JSON {
        query("limit", ["type": "integer", "minimum": 1, "maximum": max, "default": value], "Page size.")
    }

    static var afterSequence: JSON { query("after", int64, "Only events after this sequence number.") }

    /// The error statuses and the component response that describes each.
    static let problemResponses: [Int: String] = [
        400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 412: "PreconditionFailed",
        410: "Gone", 413: "ContentTooLarge", 415: "UnsupportedMediaType", 416: "RangeNotSatisfiable", 428: "PreconditionRequired",
        503: "ServiceUnavailable",
    ]

    /// One operation. `errors` are statuses from `problemResponses`; `/api/v1` operations get 401 and the bearer
    /// security requirement.
    static func operation(_ id: String, _ summary: String, secured: Bool, parameters: [JSON] = [], body: JSON? = nil,
                          responses: [String: JSON], errors: [Int]) -> JSON {
        var all = responses
        if secured {
            // PrivateResponseMiddleware: every answer of the API is for its token's holder alone.
            for (status, var response) in responses where response["$ref"] == nil {
                var headers = response["headers"] as? JSON ?? [:]
                headers["Cache-Control"] = headerRef("Cache-Control")
                response["headers"] = headers
                all[status] = response
            }
        }
        for status in Set(errors + (secured ? [401] : [])) {
            all[String(status)] = responseRef(problemResponses[status]!)
        }
        var operation: JSON = ["operationId": id, "summary": summary, "responses": all,
                               "tags": [secured ? "api" : "public"]]
        if !parameters.isEmpty { operation["parameters"] = parameters }
        if let body { operation["requestBody"] = body }
        operation["security"] = secured ? [["bearerAuth": [String]()]] : [[String: Any]]()
        return operation
    }

    /// A web page (`PublicPages`): HTML, its errors too (as pages with the status the API would give).
    static func page(_ id: String, _ summary: String, parameters: [JSON], errors: [Int: String],
                     success: (status: String, response: JSON)? = nil) -> JSON {
        var responses: JSON = [success?.status ?? "200": success?.response ?? html("The page.")]
        for (status, description) in errors { responses[String(status)] = html(description) }
        var operation: JSON = ["operationId": id, "summary": summary, "tags": ["pages"], "responses": responses, "security": [[String: Any]]()]
        if !parameters.isEmpty { operation["parameters"] = parameters }
        return operation
    }

    /// A page's response: HTML, with the headers every page has.
    static func html(_ description: String) -> JSON {
        let headers: JSON = ["Content-Security-Policy": headerRef("PageSecurityPolicy"),
                             "X-Content-Type-Options": headerRef("X-Content-Type-Options"), "Cache-Control": headerRef("Cache-Control")]
        return ["description": description, "headers": headers, "content": ["text/html": ["schema": ["type": "string"]]]]
    }

    /// A form's field: a browser sends it empty when nothing was filled in, which means "no filter". The component
    /// schema is written out, not referred to: schemathesis 4.32 fails to bundle a `$ref` inside a parameter's
    /// `anyOf` when it checks its dictionaries against the parameter.
    static func formField(_ component: String) -> JSON {
        ["anyOf": [schemas[component]!, ["type": "string", "maxLength": 0]]]
    }

    static func jsonBody(_ schema: String, required: Bool = true, description: String? = nil) -> JSON {
        var body: JSON = ["required": required, "content": json(ref(schema))]
        if let description { body["description"] = description }
        return body
    }

    /// The answers of a content download (`ContentResponse`).
    static var contentResponses: [String: JSON] {
        let contentHeaders = ["ETag", "Accept-Ranges", "Cache-Control", "Content-Disposition", "X-Content-Type-Options",
                              "Content-Security-Policy"]
        func headerMap(_ names: [String]) -> JSON { Dictionary(uniqueKeysWithValues: names.map { ($0, headerRef($0 == "ETag" ? "ContentETag" : $0)) }) }
        let binary: JSON = ["*/*": ["schema": ["type": "string", "contentMediaType": "application/octet-stream"]]]
        return [
            "200": ["description": "The content, with its stored media type.", "headers": headerMap(contentHeaders), "content": binary],
            "206": ["description": "One byte range of the content.", "headers": headerMap(contentHeaders + ["Content-Range"]), "content": binary],
            "304": ["description": "If-None-Match matched: the client's copy is current.", "headers": headerMap(["ETag", "Accept-Ranges", "Cache-Control"])],
        ]
    }

    static var contentParameters: [JSON] { [
        ["name": "Range", "in": "header", "required": false, "schema": ["type": "string"],
         "description": "One byte range (bytes=0-99, bytes=100-, bytes=-100); several or unparsable: the whole content."],
        ["name": "If-Match", "in": "header", "required": false, "schema": ["type": "string"],
         "description": "Entity tags (or *), compared strongly: 412 unless one is the content's ETag."],
        ["name": "If-None-Match", "in": "header", "required": false, "schema": ["type": "string"],
         "description": "Entity tags (or *): 304 when one matches."],
        ["name": "If-Range", "in": "header", "required": false, "schema": ["type": "string"],
         "description": "Range applies only when this is the current ETag."],
    ] }

    // MARK: Paths

    static var paths: JSON {
        let number = parameterRef("DocumentNumber")
        let caseNumber = parameterRef("CaseNumber")
        let version = parameterRef("Version")
        let userName = parameterRef("UserName")
        let exportID = parameterRef("ExportID")
        let holdID = parameterRef("HoldID")
        let ifMatch = parameterRef("If-Match")
        let noneMatch = parameterRef("ChangeIf-None-Match")
        let documentOK = withChangeLinks(ok("The document as changed, with its new ETag.", ref("Document"), headers: ["ETag"]),
                                         number: "$request.path.number")
        let change: [Int] = [400, 403, 404, 409, 412, 413, 415, 428]

        return [
            "/health": ["get": operation("health", "Whether the store answers.", secured: false,
                                         responses: ["200": ok("The store answers.", ref("Health"))], errors: [400, 503])],
            "/metrics": ["get": operation("metrics", "Prometheus metrics: requests and latency by route, method and status; connections open, accepted and ended by the server; export jobs running and queued.", secured: false,
                                          responses: ["200": ["description": "Prometheus text exposition format 0.0.4.",
                                                              "content": ["text/plain": ["schema": ["type": "string"]]]]],
                                          errors: [400])],
            "/openapi.json": ["get": operation("openapi", "This document.", secured: false,
                                               responses: ["200": ok("The OpenAPI 3.1 document.", ["type": "object"])], errors: [400])],

            PublicRoutes.diariumPath: ["get": operation(
                "publicDiarium", "Registered documents, newest registration first, as the public may see them.", secured: false,
                parameters: [
                    query("from", ref("CalendarDate"), "Registered on or after this day (Swedish time)."),
                    query("to", ref("CalendarDate"), "Registered on or before this day (Swedish time); not before from."),
                    query("series", ref("SeriesCode"), "Only this series."),
                    limit(default: 50, max: RecordsService.publicPageSizes.upperBound),
                    query("after", ["type": "string"], "The nextCursor of the previous page."),
                ],
                responses: ["200": ok("A page of the diarium.", ref("PublicDiariumPage"), headers: ["Cache-Control"])], errors: [400])],
            PublicRoutes.documentPath: ["get": operation(
                "publicDocument", "One document as the public diarium shows it.", secured: false, parameters: [number],
                responses: ["200": ok("The entry.", ref("PublicEntry"), headers: ["Cache-Control"])], errors: [400, 404])],
            PublicRoutes.contentPath: ["get": operation(
                "publicContent", "The content of a final document whose restriction does not hide it.", secured: false,
                parameters: [number] + contentParameters, responses: contentResponses, errors: [400, 403, 404, 410, 412, 416])],
            PublicRoutes.searchPath: ["get": operation(
                "publicSearch", "Search in the public view: restricted parts are neither matched nor shown.", secured: false,
                parameters: [
                    query("q", line(1000), "The query, in the language of `diarium search` (words, \"phrases\", -word, OR, type:decision …).", required: true),
                    limit(default: 20, max: RecordsService.publicPageSizes.upperBound),
                    query("after", ["type": "string"], "The nextCursor of the previous page of the same search."),
                ],
                responses: ["200": ok("Hits, in the public view.", ref("SearchResult"), headers: ["Cache-Control"])], errors: [400])],
            PublicRoutes.casesPath: ["get": operation(
                "publicCases", "Cases as the public diarium shows them, newest first (by when they were opened), a page at a time.",
                secured: false,
                parameters: [
                    query("title", line(1000), "Only cases whose public title holds all these words, in any order; a word ending in `*` is a prefix (at least 3 letters); `-word`, `OR` and `NOT` are refused. A restricted title is neither matched nor shown."),
                    query("series", ref("SeriesCode"), "Only this series (one that does not exist is a 400)."),
                    limit(default: 50, max: RecordsService.publicPageSizes.upperBound),
                    query("after", ref("CaseNumber"), "After this case (the last of the previous page)."),
                ],
                responses: ["200": ok("The cases.", array(ref("PublicCase")), headers: ["Cache-Control"])], errors: [400, 404])],
            PublicRoutes.casePath: ["get": operation(
                "publicCase", "A case as the public diarium shows it, with a page of its documents in the order they were filed.",
                secured: false,
                parameters: [
                    caseNumber,
                    limit(default: 50, max: RecordsService.publicPageSizes.upperBound),
                    query("after", ["type": "string"], "The nextCursor of the previous page of the same case."),
                ],
                responses: ["200": ok("The case and its documents.", ref("PublicCasePage"), headers: ["Cache-Control"])], errors: [400, 404])],

            "/": ["get": page("home", "To the public diarium's page.", parameters: [],
                              errors: [400: "A query parameter (other than those sites add to links they share, utm_… and fbclid …)."],
                              success: ("302", ["description": "Found: the public diarium's page.", "headers": ["Location": headerRef("Location")]]))],
            PublicPages.diariumPath: ["get": page(
                "publicDiariumPage", "The public diarium as a web page (Swedish): registered documents, newest first, 50 a page.",
                parameters: [
                    pageQuery("series", formField("SeriesCode"), "Only this series; empty: all."),
                    pageQuery("from", formField("CalendarDate"), "Registered on or after this day (Swedish time); empty: no limit."),
                    pageQuery("to", formField("CalendarDate"), "Registered on or before this day; empty: no limit."),
                    pageQuery("after", ["type": "string"], "The next page, as the page's own link gives it."),
                ],
                errors: [400: "A field is not valid: the form again, the mistake named beside it."])],
            PublicPages.searchPath: ["get": page(
                "publicSearchPage", "Search in the public view, as a web page (Swedish): hits with their snippets, counts to narrow by.",
                parameters: [
                    pageQuery("q", ["type": "string", "maxLength": PublicPages.maximumQueryLength], "The query, in the language of `diarium search`; empty: the form alone."),
                    pageQuery("after", ["type": "string"], "The next page, as the page's own link gives it."),
                ],
                errors: [400: "The query is malformed: the form again, the mistake named."])],
            PublicPages.casesPath: ["get": page(
                "publicCasesPage",
                "Cases in the public diarium, as a web page (Swedish): newest first, 50 a page, found by the words of their public titles.",
                parameters: [
                    pageQuery("title", ["type": "string"], "Words of the case's public title, in any order; a word ending in `*` is a prefix (at least 3 letters); empty: every case."),
                    pageQuery("series", formField("SeriesCode"), "Only this series; empty: all."),
                    pageQuery("after", ["type": "string"], "The next page, as the page's own link gives it."),
                ],
                errors: [400: "A field is not valid: the form again, the mistake named beside it."])],
            PublicPages.documentPath: ["get": page(
                "publicDocumentPage", "One document's entry in the public diarium, as a web page (Swedish), with its content's link when public.",
                parameters: [number],
                errors: [400: "Not a document number.", 404: "No such document."])],
            PublicPages.casePath: ["get": page(
                "publicCasePage", "One case in the public diarium, as a web page (Swedish), with its documents 50 a page.",
                parameters: [caseNumber, pageQuery("after", ["type": "string"], "The next page, as the page's own link gives it.")],
                errors: [400: "Not a case number, or a link to a next page that is not this case's.", 404: "No such case."])],

            "/api/v1/me": ["get": operation("me", "Who the token belongs to.", secured: true,
                                            responses: ["200": ok("The principal.", ref("Principal"))], errors: [400])],
            "/api/v1/series": [
                "get": operation("listSeries", "Every series.", secured: true,
                                 responses: ["200": ok("The series.", array(ref("Series")))], errors: [400]),
                "post": operation("addSeries", "Add a series (admins).", secured: true, body: jsonBody("NewSeries"),
                                  responses: ["201": settingETag(ok("The series.", ref("Series"), headers: ["Location"]))],
                                  errors: [400, 403, 409, 413, 415]),
            ],
            "/api/v1/series/{series}": [
                "get": operation("getSeries", "One series.", secured: true, parameters: [parameterRef("Series")],
                                 responses: ["200": settingETag(ok("The series.", ref("Series")))], errors: [400, 404]),
                "patch": operation(
                    "updateSeries", "Set the department that keeps a series: its clerks register in it and read its restricted documents (admins; logged as series.update).",
                    secured: true, parameters: [parameterRef("Series")] + settingConditions, body: jsonBody("SeriesPatch"),
                    responses: ["200": settingETag(ok("The series.", ref("Series")))], errors: [400, 403, 404, 409, 412, 413, 415]),
            ],
            "/api/v1/series/{series}/retention": ["get": operation(
                "getRetentionSchedule", "The series' retention rules: its default (no recordType) and rules per record type.", secured: true,
                parameters: [parameterRef("Series")], responses: ["200": ok("The rules.", array(ref("RetentionRule")))], errors: [400, 404])],
            "/api/v1/series/{series}/retention/{type}": [
                "put": operation("setRetentionRule", "Set or replace the series' default rule or a record type's rule (admins).", secured: true,
                                 parameters: [parameterRef("Series"), parameterRef("RetentionScope")], body: jsonBody("RetentionRuleInput"),
                                 responses: ["200": ok("The rule, replacing the one there was.", ref("RetentionRule")),
                                             "201": ok("The rule, where there was none.", ref("RetentionRule"))],
                                 errors: [400, 403, 404, 409, 413, 415]),
                "delete": operation("removeRetentionRule", "Remove a rule (admins).", secured: true,
                                    parameters: [parameterRef("Series"), parameterRef("RetentionScope")],
                                    responses: ["204": ["description": "Removed."]], errors: [400, 403, 404, 409]),
            ],
            "/api/v1/classification": ["get": operation(
                "listClassification", "The classification structure in tree order, each class with its rule if it has one.", secured: true,
                responses: ["200": ok("The classes.", array(ref("ClassificationClass")))], errors: [400])],
            "/api/v1/classification/{code}": [
                "get": operation("getClass", "One class of the classification structure.", secured: true, parameters: [parameterRef("ClassCode")],
                                 responses: ["200": settingETag(ok("The class.", ref("ClassificationClass")))], errors: [400, 404]),
                "put": operation("setClass", "Add a class (the class above it must exist) or replace its title, description and rule (admins). If-Match makes it replace only the class as it was read; If-None-Match: * makes it add only.",
                                 secured: true, parameters: [parameterRef("ClassCode")] + settingConditions, body: jsonBody("ClassInput"),
                                 responses: ["200": settingETag(ok("The class, replacing the one there was.", ref("ClassificationClass"))),
                                             "201": settingETag(ok("The class, where there was none.", ref("ClassificationClass")))],
                                 errors: [400, 403, 409, 412, 413, 415]),
                "delete": operation("removeClass", "Remove a class no class, case or document is classified under (admins).", secured: true,
                                    parameters: [parameterRef("ClassCode")] + settingConditions,
                                    responses: ["204": ["description": "Removed."]], errors: [400, 403, 404, 409, 412]),
            ],
            "/api/v1/classification/{code}/retention/{type}": [
                "put": operation("setClassRule", "Set or replace a class's rule for a record type, which comes before the class's own rule (admins).",
                                 secured: true, parameters: [parameterRef("ClassCode"), parameterRef("ClassRuleType")] + settingConditions,
                                 body: jsonBody("RetentionRuleInput"),
                                 responses: ["200": settingETag(ok("The class with its rules, the type's replaced.", ref("ClassificationClass"))),
                                             "201": settingETag(ok("The class with its rules, where the type had none.", ref("ClassificationClass")))],
                                 errors: [400, 403, 404, 409, 412, 413, 415]),
                "delete": operation("removeClassRule", "Remove a class's rule for a record type (admins).", secured: true,
                                    parameters: [parameterRef("ClassCode"), parameterRef("ClassRuleType")] + settingConditions,
                                    responses: ["204": ["description": "Removed."]], errors: [400, 403, 404, 409, 412]),
            ],
            "/api/v1/cases": [
                "get": operation("listCases", "Cases, newest first (by when they were opened), a page at a time.", secured: true,
                                 parameters: [query("series", ref("SeriesCode"), "Only this series."),
                                              query("status", ref("CaseStatus"), "Only open or closed cases."),
                                              query("year", ["type": "integer", "minimum": 1000, "maximum": 9999], "Only cases of this year (of their number)."),
                                              query("after", ref("CaseNumber"), "After this case (the last of the previous page)."),
                                              query("title", line(1000), "Only cases whose title holds all these words, in any order; a word ending in `*` is a prefix (at least 3 letters); `-word`, `OR` and `NOT` are refused. A restricted title is matched only for a reader cleared for its series (the public title for others), as search does."),
                                              limit(default: 100, max: 1000)],
                                 responses: ["200": ok("The cases.", array(ref("Case")))], errors: [400, 404]),
                "post": operation("openCase", "Open a case in a series of the reader's departments.", secured: true, body: jsonBody("NewCase"),
                                  responses: ["201": caseETag(ok("The case, with its ETag (\"d1\") for a correction or its closing.", ref("Case"),
                                                                 headers: ["Location"]))],
                                  errors: [400, 403, 404, 413, 415]),
            ],
            "/api/v1/restrictions/ended": ["get": operation(
                "endedRestrictions", "Restrictions of cases and documents whose last day has passed (Swedish time), oldest end first: due for review. Numbers and grounds only.",
                secured: true,
                parameters: [query("asOf", ref("CalendarDate"), "Ended before this day instead of today."),
                             query("series", ref("SeriesCode"), "Only this series."),
                             query("limit", ["type": "integer", "minimum": 1, "maximum": 1000, "default": 100],
                                   "At most this many, the oldest ends first; after lifting or extending them, ask again for the next.")],
                responses: ["200": ok("The ended restrictions.", array(ref("EndedRestriction")))], errors: [400])],
            "/api/v1/cases/{case}": [
                "get": operation("getCase", "A case and its documents in filing order, a page at a time, as this reader may see them; the ETag names its current version (corrections, closings, reopenings).",
                                 secured: true,
                                 parameters: [caseNumber,
                                              query("after", ["type": "integer", "minimum": 0, "maximum": Int(Int32.max), "default": 0],
                                                    "Only documents after this ordinal (the previous page's nextAfter)."),
                                              limit(default: 1000, max: 1000)],
                                 responses: ["200": caseETag(ok("The case.", ref("CaseView")))], errors: [400, 404]),
                "patch": operation("updateCase", "Correct a case's description, or set, correct or lift the restriction on its title "
                                   + "(at most 10,000 corrections a case, what a package carries: then 409).",
                                   secured: true, parameters: [caseNumber, parameterRef("CaseIf-Match"), noneMatch], body: jsonBody("CasePatch"),
                                   responses: ["200": caseETag(ok("The case as corrected, with its new ETag.", ref("Case")))],
                                   errors: [400, 403, 404, 409, 412, 413, 415, 428]),
            ],
            "/api/v1/cases/{case}/history": ["get": operation(
                "getCaseHistory", "A case and its earlier descriptions (what each correction replaced), as this reader may see them.",
                secured: true, parameters: [caseNumber],
                responses: ["200": ok("The case and its revisions, oldest first.", ref("CaseHistory"))], errors: [400, 404])],
            "/api/v1/cases/{case}/close": ["post": operation(
                "closeCase", "Close a case as last seen (If-Match): it takes no new documents, and retention periods run from now.",
                secured: true, parameters: [caseNumber, parameterRef("CaseIf-Match"), noneMatch],
                responses: ["200": caseETag(ok("The closed case.", ref("Case")))], errors: [400, 403, 404, 409, 412, 413, 415, 428])],
            "/api/v1/cases/{case}/reopen": ["post": operation(
                "reopenCase", "Open a closed case again as last seen (If-Match; a late appeal, a matter taken up again): "
                + "it takes documents again, and retention periods run from its next closing.",
                secured: true, parameters: [caseNumber, parameterRef("CaseIf-Match"), noneMatch],
                responses: ["200": caseETag(ok("The case, open.", ref("Case")))], errors: [400, 403, 404, 409, 412, 413, 415, 428])],

            "/api/v1/documents": ["post": operation(
                "registerDocument", "Register a document: multipart (metadata and an optional file) or JSON (metadata only).",
                secured: true,
                body: [
                    "required": true,
                    "content": [
                        "multipart/form-data": ["schema": ref("DocumentUpload"),
                                                "encoding": ["metadata": ["contentType": "application/json"],
                                                             "file": ["contentType": "application/octet-stream"]]],
                        "application/json": ["schema": ref("NewDocument")],
                    ],
                ],
                responses: ["201": withChangeLinks(ok("The registered document.", ref("Document"), headers: ["ETag", "Location"]),
                                                   number: "$response.body#/number")],
                errors: [400, 403, 404, 409, 413, 415])],
            "/api/v1/documents/{number}": [
                "get": operation("getDocument", "A document's current version, as this reader may see it.", secured: true,
                                 parameters: [number],
                                 responses: ["200": withChangeLinks(ok("The document.", ref("Document"), headers: ["ETag"]),
                                                                    number: "$request.path.number")],
                                 errors: [400, 404]),
                "patch": operation("updateDocument", "Correct metadata: a new version (of an archived document only its restriction and public title).", secured: true, parameters: [number, ifMatch, noneMatch],
                                   body: jsonBody("MetadataPatch"), responses: ["200": documentOK], errors: change),
            ],
            "/api/v1/documents/{number}/content": [
                "get": operation("getContent", "The current content.", secured: true, parameters: [number] + contentParameters,
                                 responses: contentResponses, errors: [400, 403, 404, 410, 412, 416]),
                "put": operation(
                    "putContent", "New content for a draft: a new version.", secured: true,
                    parameters: [number, ifMatch, noneMatch,
                                 query("filename", fileName(uploaded: true), "The original file name (default: the previous version's): one file's name, no path."),
                                 query("comment", ["type": "string", "maxLength": 1000, "pattern": "^[^\(control)]*$"], "Why the content changed.")],
                    body: ["required": true, "description": "The content; Content-Type is its media type.",
                           "content": ["application/octet-stream": ["schema": ["type": "string", "contentMediaType": "application/octet-stream"]]]],
                    responses: ["200": documentOK], errors: [400, 403, 404, 409, 412, 413, 415, 428]),
            ],
            "/api/v1/documents/{number}/content/info": ["get": operation(
                "getContentInfo", "What is known of the current content besides its bytes: its PRONOM format and how its text was extracted for search. As readable as the content (for a reader with clearance, audited when the content is restricted).",
                secured: true, parameters: [number], responses: ["200": ok("The content's facts.", ref("ContentInfo"))],
                errors: [400, 403, 404, 410])],
            "/api/v1/documents/{number}/finalise": ["post": operation(
                "finaliseDocument", "Make a draft final (upprättad).", secured: true, parameters: [number, ifMatch, noneMatch],
                body: jsonBody("Comment", required: false), responses: ["200": documentOK], errors: change)],
            "/api/v1/documents/{number}/archive": ["post": operation(
                "archiveDocument", "Archive a final document (archivists).", secured: true, parameters: [number, ifMatch, noneMatch],
                body: jsonBody("Comment", required: false), responses: ["200": documentOK], errors: change)],
            "/api/v1/documents/{number}/versions": ["get": operation(
                "listVersions", "Every version, oldest first.", secured: true, parameters: [number],
                responses: ["200": ok("The versions.", array(ref("Document")))], errors: [400, 404])],
            "/api/v1/documents/{number}/versions/{version}": ["get": operation(
                "getVersion", "One version.", secured: true, parameters: [number, version],
                responses: ["200": ok("The version.", ref("Document"))], errors: [400, 404])],
            "/api/v1/documents/{number}/versions/{version}/content": ["get": operation(
                "getVersionContent", "One version's content.", secured: true, parameters: [number, version] + contentParameters,
                responses: contentResponses, errors: [400, 403, 404, 410, 412, 416])],
            "/api/v1/documents/{number}/versions/{version}/content/info": ["get": operation(
                "getVersionContentInfo", "The same for one version's content.", secured: true, parameters: [number, version],
                responses: ["200": ok("The content's facts.", ref("ContentInfo"))], errors: [400, 403, 404, 410])],
            "/api/v1/documents/{number}/history": ["get": operation(
                "documentHistory", "The audit events of a document.", secured: true,
                parameters: [number, afterSequence, limit(default: 100, max: 1000)],
                responses: ["200": ok("The events.", array(ref("AuditEvent")))], errors: [400, 404])],

            "/api/v1/search": ["get": operation(
                "search", "Search: archivists in everything, clerks in the restricted parts of their departments' series too, others in the public view (reads of restricted parts are audited).",
                secured: true,
                parameters: [
                    query("q", line(1000), "The query, in the language of `diarium search`.", required: true),
                    limit(default: 20, max: RecordsService.publicPageSizes.upperBound),
                    query("after", ["type": "string"], "The nextCursor of the previous page of the same search."),
                    query("facets", ["type": "boolean", "default": true], "Whether to count facets."),
                ],
                responses: ["200": ok("Hits.", ref("SearchResult"))], errors: [400])],
            "/api/v1/audit": ["get": operation(
                "audit", "The audit log (archivists and admins).", secured: true,
                parameters: [query("object", ["type": "string"], "Only events on this object (a number or code)."), afterSequence,
                             limit(default: 100, max: 1000)],
                responses: ["200": ok("The events.", array(ref("AuditEvent")))], errors: [400, 403])],
            "/api/v1/verify": ["post": operation(
                "verify", "Verify blobs, the audit chain and the catalog against it (archivists); one at a time (409 while one runs). The full-text index is not checked here (`diarium verify --check-index`): the check would hold every registration meanwhile.",
                secured: true, responses: ["200": ok("The report.", ref("VerifyReport"))], errors: [400, 403, 409, 413, 415])],

            "/api/v1/organisation": [
                "get": operation("getOrganisation", "The organisation whose records the store keeps: the archival creator (arkivbildare) its packages name.",
                                 secured: true, responses: ["200": settingETag(ok("The organisation.", ref("Organisation")))], errors: [400, 404]),
                "put": operation("setOrganisation", "Set the store's organisation (admins); audited as store.organisation.", secured: true,
                                 parameters: settingConditions,
                                 body: jsonBody("OrganisationInput"), responses: ["200": settingETag(ok("The organisation as set.", ref("Organisation")))],
                                 errors: [400, 403, 412, 413, 415]),
            ],
            "/api/v1/formats": ["get": operation(
                "formatReport", "The current content of each series' documents by PRONOM format, identified at registration: documents and bytes per format, content no signature matched by its media type, and content not looked at yet (archivists).",
                secured: true, parameters: [query("series", ref("SeriesCode"), "Only this series.")],
                responses: ["200": ok("Per series, the most documents first.", array(ref("FormatTally")))], errors: [400, 403, 404])],
            "/api/v1/formats/documents": ["get": operation(
                "formatlessDocuments", "The documents whose current content's format is not known, by number: those no signature matched (unidentified) or not looked at yet (pending), with media type, size and original name (archivists).",
                secured: true,
                parameters: [query("state", ["type": "string", "enum": FormatTally.State.allCases.filter { $0 != .identified }.map(\.rawValue),
                                                    "default": FormatTally.State.unidentified.rawValue], "Which ones."),
                             query("series", ref("SeriesCode"), "Only this series."),
                             query("after", ref("DocumentNumber"), "After this document (the last of the previous page)."),
                             limit(default: 100, max: 1000)],
                responses: ["200": ok("In number order.", array(ref("FormatlessDocument")))], errors: [400, 403, 404])],
            "/api/v1/exports": [
                "get": operation("listExports", "This server's export jobs, newest first (archivists).", secured: true,
                                 responses: ["200": ok("The jobs.", array(ref("ExportJob")))], errors: [400, 403]),
                "post": operation(
                    "startExport", "Start exporting a series (and year), a case or a search result as an information package (archivists); two run at once, the others wait queued. A finished job and its package are kept for 24 hours.",
                    secured: true, body: jsonBody("NewExport"),
                    responses: ["202": ok("The job, queued; poll its Location.", ref("ExportJob"), headers: ["Location"])],
                    errors: [400, 403, 404, 409, 413, 415]),
            ],
            "/api/v1/exports/{id}": [
                "get": operation("getExport", "An export job: status, progress and, when done, the package's size and SHA-256.",
                                 secured: true, parameters: [exportID],
                                 responses: ["200": ok("The job.", ref("ExportJob"))], errors: [400, 403, 404]),
                "delete": operation("deleteExport", "Remove an export job and its package. A queued export never starts; a running one stops at its next file, leaving no package and no audit event.",
                                    secured: true, parameters: [exportID],
                                    responses: ["200": ok("The removed job, as it was.", ref("ExportJob"))], errors: [400, 403, 404]),
            ],
            "/api/v1/exports/{id}/package": ["get": operation(
                "downloadExport", "The package of a finished export (tar or zip), streamed. 410 once withdrawn: documents it covers were disposed of after it was made.", secured: true,
                parameters: [exportID] + contentParameters, responses: contentResponses, errors: [400, 403, 404, 409, 410, 412, 416])],
            "/api/v1/exchange/interchanges": ["get": operation(
                "listInterchanges", "Interchanges sent and received, newest first, with their status, the numbers the receiver gave and why one was rejected (clerks and archivists).",
                secured: true,
                parameters: [query("direction", ["type": "string", "enum": ["in", "out"]], "Only received (in) or sent (out) ones."),
                             query("party", ref("PartyID"), "Only those with this party."),
                             query("document", ref("DocumentNumber"), "Only those that carried this document (sent) or brought it (received)."),
                             query("after", ["type": "string", "pattern": "^(in|out):[A-Za-z0-9][A-Za-z0-9._-]{0,34}/[A-Za-z0-9]{1,14}$"],
                                   "The next page: the last interchange of this one, as DIRECTION:SENDER/REFERENCE (e.g. out:sundsvall-ks/01JQ7Z8K4M2P9X)."),
                             limit(default: 100, max: 1000)],
                responses: ["200": ok("The interchanges.", array(ref("Interchange")))], errors: [400, 403, 404])],
            "/api/v1/exchange/outbox": ["post": operation(
                "sendInterchange", "Send a case (with all its documents) or chosen documents to a party: exported as an E-ARK package, queued in the outbox and delivered to the party's inbox once (clerks of the documents' series). 200: the party answered (status accepted, with the numbers it gave, or rejected, with its reasons); 202: not delivered, kept in the outbox (failure says why; resend it).",
                secured: true, body: jsonBody("InterchangeSend"),
                responses: ["200": ok("Delivered and answered.", ref("Interchange"), headers: ["Location"]),
                            "202": ok("Queued, not delivered.", ref("Interchange"), headers: ["Location"])],
                errors: [400, 403, 404, 409, 413, 415])],
            "/api/v1/exchange/outbox/{controlReference}": ["get": operation(
                "getInterchange", "An interchange this store sent, as it stands.", secured: true, parameters: [parameterRef("ControlReference")],
                responses: ["200": ok("The interchange.", ref("Interchange"))], errors: [400, 403, 404])],
            "/api/v1/exchange/outbox/{controlReference}/resend": ["post": operation(
                "resendInterchange", "Deliver an outbox interchange again: the same control reference and bytes (a receiver that registered it answers with the same receipt). Clerks of the series whose documents it carries.",
                secured: true, parameters: [parameterRef("ControlReference")],
                responses: ["200": ok("Delivered and answered.", ref("Interchange")), "202": ok("Not delivered; still in the outbox.", ref("Interchange"))],
                errors: [400, 403, 404, 409, 413, 415])],
            "/api/v1/exchange/outbox/{controlReference}/withdraw": ["post": operation(
                "withdrawInterchange", "Withdraw an outbox interchange waiting for its receipt: it is not delivered again, and its files leave the outbox.",
                secured: true, parameters: [parameterRef("ControlReference")],
                responses: ["200": ok("The interchange, withdrawn.", ref("Interchange"))], errors: [400, 403, 404, 409, 413, 415])],
            "/api/v1/imports": ["post": operation(
                "importPackage", "Import an information package (tar or zip as the body): all or nothing (archivists).", secured: true,
                parameters: [
                    query("dryRun", ["type": "boolean", "default": false], "Check everything and report, without writing."),
                    query("intoSeries", ref("SeriesCode"), "Give the cases new numbers in this series (the originals are kept as external references)."),
                    query("intoCase", ref("CaseNumber"), "For packages from other tools: the open case their content goes into."),
                    query("filename", line(255), "The package's file name, for messages."),
                ],
                body: ["required": true, "description": "The package: a tar (application/x-tar) or zip (application/zip).",
                       "content": ["application/octet-stream": ["schema": ["type": "string", "contentMediaType": "application/octet-stream"]],
                                   "application/x-tar": ["schema": ["type": "string", "contentMediaType": "application/x-tar"]],
                                   "application/zip": ["schema": ["type": "string", "contentMediaType": "application/zip"]]]],
                responses: ["200": ok("A dry run's report.", ref("ImportReport")), "201": ok("What was imported.", ref("ImportReport"))],
                errors: [400, 403, 404, 409, 413, 415])],

            "/api/v1/disposal/due": ["get": operation(
                "disposalDue", "The disposal list (gallringslista): documents whose retention period has run out, in number order, with the legal holds that keep any of them (archivists).",
                secured: true,
                parameters: [query("asOf", ref("CalendarDate"), "Due by the end of this day (Swedish time) instead of today: a preview."),
                             query("series", ref("SeriesCode"), "Only this series."),
                             query("after", ref("DocumentNumber"), "The next page: the last number of the page before."),
                             limit(default: 100, max: 1000)],
                responses: ["200": ok("What is due.", array(ref("DueDisposal")))], errors: [400, 403, 404])],
            "/api/v1/backups": ["get": operation(
                "listBackups", "The backups the log records (`diarium backup`), oldest first: when, by whom, where, whether still there on the server's machine, and how many of their documents were disposed of since (archivists, admins).",
                secured: true, responses: ["200": ok("The backups.", array(ref("BackupEntry")))], errors: [400, 403])],
            "/api/v1/disposal/record": ["get": operation(
                "disposalRecord", "The disposal record (gallringsprotokoll): per day (Swedish time), series, record type, archivist and rule, how many documents were disposed of and the years of their cases; in day order (archivists).",
                secured: true,
                parameters: [query("series", ref("SeriesCode"), "Only this series."),
                             query("from", ref("CalendarDate"), "From this day."),
                             query("to", ref("CalendarDate"), "Through this day (not before from).")],
                responses: ["200": ok("The record.", array(ref("DisposalRecordLine")))], errors: [400, 403, 404])],
            "/api/v1/disposal": ["post": operation(
                "dispose", "Dispose of documents that are due, as of now (archivists): the named ones (all or none), or everything due that no legal hold keeps. Their content is removed; their registration stays with a record of the disposal.",
                secured: true, body: jsonBody("DisposalRequest"),
                responses: ["200": ok("What was disposed of.", ref("DisposalReport"))], errors: [400, 403, 404, 409, 413, 415])],
            "/api/v1/holds": [
                "get": operation("listHolds", "Legal holds, newest first: the active ones, or with all=true also the released (archivists; clerks those on a case or document of their departments' series, named with on).", secured: true,
                                 parameters: [query("on", ["anyOf": [ref("CaseNumber"), ref("DocumentNumber")]],
                                                    "Only holds on this case (with its documents') or those that keep this document (with its case's)."),
                                              query("all", ["type": "boolean", "default": false], "Also released holds."),
                                              query("after", ["type": "integer", "minimum": 1, "maximum": Int64.max],
                                                    "The id of the last hold of the previous page: the older holds follow."),
                                              limit(default: 100, max: 1000)],
                                 responses: ["200": ok("The holds.", array(ref("LegalHold")))], errors: [400, 403]),
                "post": operation("placeHold", "Place a legal hold on a case or document: nothing under it is disposed of until it is released (archivists).",
                                  secured: true, body: jsonBody("NewHold"),
                                  responses: ["201": ok("The hold.", ref("LegalHold"), headers: ["Location"])], errors: [400, 403, 404, 409, 413, 415]),
            ],
            "/api/v1/holds/{id}": ["get": operation(
                "getHold", "One legal hold (archivists; clerks of the series it holds records of).", secured: true, parameters: [holdID],
                responses: ["200": ok("The hold.", ref("LegalHold"))], errors: [400, 403, 404])],
            "/api/v1/holds/{id}/release": ["post": operation(
                "releaseHold", "Release a legal hold, saying why (archivists).", secured: true, parameters: [holdID],
                body: jsonBody("HoldRelease"),
                responses: ["200": ok("The released hold.", ref("LegalHold"))], errors: [400, 403, 404, 409, 413, 415])],

            "/api/v1/exchange/inbox": ["post": {
                var inbox = operation(
                    "exchangeInbox",
                    "Deliver an interchange from a partner (party token): the E-ARK package as the body, its envelope in Diarium-Envelope.",
                    secured: true,
                    parameters: [["name": "Diarium-Envelope", "in": "header", "required": true,
                                  "schema": ["type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9_-]+$"],
                                  "description": "The envelope XML (Schemas/exchange/envelope-1.xsd) as base64url without padding; checked before the body is read."]],
                    body: ["required": true, "description": "The package, exactly the size and SHA-256 the envelope names.",
                           "content": ["application/octet-stream": ["schema": ["type": "string", "contentMediaType": "application/octet-stream"]]]],
                    responses: ["200": ["description": "The receipt envelope, for an accepted and for a rejected interchange alike; a redelivery gets the stored receipt.",
                                        "content": ["application/xml": ["schema": ["type": "string"]]]]],
                    errors: [400, 403, 404, 409, 413, 415])
                inbox["security"] = [["partyAuth": [String]()]]
                inbox["tags"] = ["exchange"]
                return inbox
            }()],
            "/api/v1/users": [
                "get": operation("listUsers", "Users by name, a page at a time (admins).", secured: true,
                                 parameters: [query("after", ["type": "string", "minLength": 1], "The name of the last user of the previous page."),
                                              limit(default: 1000, max: 1000)],
                                 responses: ["200": ok("The users.", array(ref("User")))], errors: [400, 403]),
                "post": operation("addUser", "Add a user (admins).", secured: true, body: jsonBody("NewUser"),
                                  responses: ["201": userETag(ok("The user.", ref("User"), headers: ["Location"]))],
                                  errors: [400, 403, 409, 413, 415]),
            ],
            "/api/v1/users/{name}": [
                "get": operation("getUser", "A user (admins, or the user).", secured: true, parameters: [userName],
                                 responses: ["200": userETag(ok("The user.", ref("User")))], errors: [400, 403, 404]),
                "patch": operation("updateUser", "Change a user's role or departments, or disable or enable the account (admins; not one's own role, which another admin changes), as the admin saw the user (If-Match).",
                                   secured: true, parameters: [userName, parameterRef("UserIf-Match"), noneMatch], body: jsonBody("UserPatch"),
                                   responses: ["200": userETag(ok("The user.", ref("User")))], errors: [400, 403, 404, 412, 413, 415, 428]),
            ],
            "/api/v1/users/{name}/tokens": [
                "get": operation("listTokens", "A user's tokens (admins, or the user).", secured: true, parameters: [userName],
                                 responses: ["200": ok("The tokens, without their secrets.", array(ref("TokenInfo")))],
                                 errors: [400, 403, 404]),
                "post": operation("createToken", "Create a token for one's own account (admins; tokens for others come from the CLI on the server, or the admin could act as them): the secret is in this response only.", secured: true,
                                  parameters: [userName], body: jsonBody("NewToken", required: false),
                                  responses: ["201": ok("The token and its secret.", ref("CreatedToken"), headers: ["Cache-Control"])],
                                  errors: [400, 403, 404, 409, 413, 415]),
            ],
            "/api/v1/tokens/{id}": ["delete": operation(
                "revokeToken", "Revoke a token (admins, or its user).", secured: true,
                parameters: [["name": "id", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 1, "maximum": Int64.max]]],
                responses: ["200": ok("The revoked token.", ref("TokenInfo"))], errors: [400, 403, 404, 409])],
        ]
    }

    // MARK: Components

    static var parameters: JSON {
        func path(_ name: String, _ schema: JSON, _ description: String, example: String? = nil) -> JSON {
            var parameter: JSON = ["name": name, "in": "path", "required": true, "schema": withoutNUL(schema), "description": description]
            if let example { parameter["example"] = example }
            return parameter
        }
        // The examples also tell clients (and schemathesis) that a percent-encoded slash belongs in these segments.
        return [
            "DocumentNumber": path("number", ref("DocumentNumber"), "The document number, percent-encoded: KS%202026%2F14-3.",
                                   example: "KS 2026/14-3"),
            "CaseNumber": path("case", ref("CaseNumber"), "The case number, percent-encoded: KS%202026%2F14.", example: "KS 2026/14"),
            "Version": path("version", ["type": "integer", "minimum": 1, "maximum": Int.max], "A version number."),
            "UserName": path("name", ["type": "string", "minLength": 1], "A user name."),
            "ExportID": path("id", ["type": "string", "minLength": 1], "An export job's id."),
            "ControlReference": path("controlReference", ref("ControlReference"), "An outbound interchange's control reference."),
            "HoldID": path("id", ["type": "integer", "minimum": 1, "maximum": Int64.max], "A legal hold's number."),
            "Series": path("series", ref("SeriesCode"), "A series code.", example: "KS"),
            "ClassCode": path("code", ["type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9]+(\\.[A-Za-z0-9]+)*$"],
                              "A class code: dotted parts such as 2.4 (the server also takes non-ASCII letters in a part).", example: "2.4"),
            "ClassRuleType": path("type", ref("RecordType"), "The record type the class's rule is for."),
            "RetentionScope": path("type", ["type": "string", "enum": ["default"] + RecordType.allCases.map(\.rawValue)],
                                   "`default` for the series' own rule, or the record type the rule is for."),
            "CaseIf-Match": ["name": "If-Match", "in": "header", "required": true,
                             "schema": ["type": "string", "pattern": #"^(\*|"d[1-9][0-9]{0,17}"( *, *"d[1-9][0-9]{0,17}")*)$"#],
                             "description": "The case's current ETag (\"d2\": its version after one correction, closing or reopening), a list of tags one of which must be current, or * for whatever is current. Missing: 428; another version: 412."],
            "UserIf-Match": ["name": "If-Match", "in": "header", "required": true,
                             "schema": ["type": "string", "pattern": #"^(\*|"u[1-9][0-9]{0,17}"( *, *"u[1-9][0-9]{0,17}")*)$"#],
                             "description": "The user's current ETag (\"u2\": after one change), a list of tags one of which must be current, or * for whatever is current. Missing: 428; another version: 412."],
            "ChangeIf-None-Match": ["name": "If-None-Match", "in": "header", "required": false, "schema": ["type": "string"],
                                    "description": "Optional: * (it exists, so the change is refused) or ETags it must not have now (weak comparison). Otherwise 412."],
            "SettingIf-Match": ["name": "If-Match", "in": "header", "required": false, "schema": ["type": "string"],
                                "description": "Optional: change it only if its current ETag is one of these (or * for: only if it exists). Otherwise 412."],
            "SettingIf-None-Match": ["name": "If-None-Match", "in": "header", "required": false, "schema": ["type": "string"],
                                     "description": "Optional: * to change it only if it does not exist yet (a PUT that adds only), or ETags it must not have. Otherwise 412."],
            "If-Match": ["name": "If-Match", "in": "header", "required": true,
                         "schema": ["type": "string", "pattern": #"^(\*|"v[1-9][0-9]{0,17}(-disposed)?"( *, *"v[1-9][0-9]{0,17}(-disposed)?")*)$"#],
                         "description": "The document's current ETag (or a list of tags, one of which must be current, or * for whatever is current). Missing: 428; another version: 412; a disposed document's: 409."],
        ]
    }

    static var headers: JSON {
        func header(_ description: String, _ schema: JSON = ["type": "string"]) -> JSON {
            ["description": description, "required": true, "schema": schema]
        }
        return [
            "ETag": header("The document's version as an entity tag, for If-Match (a disposed document's is marked so, and takes no changes).",
                           ["type": "string", "pattern": #"^"v[1-9][0-9]*(-disposed)?"$"#]),
            "CaseETag": header("The case's current version as an entity tag, for If-Match: one more with each correction, closing and reopening.", ["type": "string", "pattern": #"^"d[1-9][0-9]*"$"#]),
            "UserETag": header("The user's version as an entity tag, for If-Match: one more with each change of role, departments or state.",
                               ["type": "string", "pattern": #"^"u[1-9][0-9]*"$"#]),
            "SettingETag": header("A digest of the setting as this response shows it, for If-Match on its next change.",
                                  ["type": "string", "pattern": #"^"s[0-9a-f]{24}"$"#]),
            "ContentETag": header("The content's SHA-256 as a strong entity tag.", ["type": "string", "pattern": #"^"[0-9a-f]{64}"$"#]),
            "Location": header("Where the new resource is."),
            "Accept-Ranges": header("Byte ranges are supported.", ["type": "string", "enum": ["bytes"]]),
            "Cache-Control": header("Caching rules.", ["type": "string"]),
            "Content-Disposition": header("attachment, with the file name (RFC 6266)."),
            "X-Content-Type-Options": header("Never sniffed.", ["type": "string", "enum": ["nosniff"]]),
            "Content-Security-Policy": header("Never run as a page of this site.", ["type": "string", "enum": ["sandbox"]]),
            "PageSecurityPolicy": header("A page's own style sheet and nothing else: no script, no framing, forms to this server only.",
                                         ["type": "string", "pattern": "^default-src 'none'; "]),
            "Content-Range": header("The range sent (206), or bytes */size (416).", ["type": "string", "pattern": #"^bytes ([0-9]+-[0-9]+|\*)/[0-9]+$"#]),
            "WWW-Authenticate": header("The scheme to use.", ["type": "string", "pattern": "^Bearer "]),
            "Allow": header("The methods the path answers."),
        ]
    }

    static var responses: JSON {
        func problem(_ description: String, headers: [String] = []) -> JSON {
            var response: JSON = ["description": description, "content": ["application/problem+json": ["schema": ref("Problem")]]]
            if !headers.isEmpty { response["headers"] = Dictionary(uniqueKeysWithValues: headers.map { ($0, headerRef($0)) }) }
            return response
        }
        return [
            "BadRequest": problem("A parameter, header or field is invalid; `field` names it."),
            "Unauthorized": problem("No token, or one that is unknown, revoked or of a disabled user.", headers: ["WWW-Authenticate"]),
            "Forbidden": problem("The reader may not do this (role, department, or restricted content)."),
            "NotFound": problem("No such resource."),
            "Conflict": problem("Not allowed in the current state (closed case, final, archived or disposed document), or already exists."),
            "Gone": problem("The document was disposed of (gallrad) under the retention schedule: its content no longer exists."),
            "PreconditionFailed": problem("If-Match does not name the current version."),
            "ContentTooLarge": problem("The body is larger than the limit (JSON: 1 MiB; uploads: the server's --max-upload)."),
            "UnsupportedMediaType": problem("The body is not of a media type this operation takes."),
            "RangeNotSatisfiable": problem("The range lies outside the content.", headers: ["Content-Range", "Accept-Ranges"]),
            "PreconditionRequired": problem("A change needs If-Match with the current ETag."),
            "ServiceUnavailable": problem("The store does not answer."),
        ]
    }

    /// Every documented path with its methods, upper-case (checked against the router's table in tests).
    static var documentedRoutes: [String: Set<String>] {
        paths.mapValues { item in Set((item as! JSON).keys.map { $0.uppercased() }) }
    }
}
