import Crypto
import DiariumCore
import Foundation
import Hummingbird
import NIOCore

/// The frame of every public page: Swedish, no script, one inline style sheet that the Content-Security-Policy
/// admits by its hash and nothing else from anywhere. What the pages show comes from the same public views as
/// `/public/v1` (`PublicEntry`, `PublicCase`, the search's public view), so a restricted part cannot reach them
/// either.
enum Page {
    static let styleSheet = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;line-height:1.5;margin:0;color:#1b1b1b;background:#fff}\
        header,main,footer{max-width:72rem;margin:0 auto;padding:0 1rem}\
        header{border-bottom:1px solid #c8c8c8}header nav{display:flex;flex-wrap:wrap;gap:0 1.5rem;margin:.75rem 0;font-size:1.25rem}header nav a:first-child{font-weight:700}\
        a{color:#0b4f8a}a:focus-visible,input:focus-visible,select:focus-visible,button:focus-visible,.tabell:focus-visible\
        {outline:3px solid #b34700;outline-offset:2px}\
        .hoppa{position:absolute;left:-100vw}.hoppa:focus{left:1rem;top:.5rem;background:#fff;padding:.25rem .5rem}\
        form{display:flex;flex-wrap:wrap;gap:.75rem 1rem;align-items:flex-end;margin:1rem 0}\
        label{display:flex;flex-direction:column;font-weight:600}input,select,button{font:inherit;padding:.3rem .5rem}\
        input[type=search]{min-width:min(28rem,80vw)}\
        .tabell{overflow-x:auto}table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:600;padding:.5rem 0}\
        th,td{text-align:left;vertical-align:top;padding:.4rem .6rem;border-bottom:1px solid #d8d8d8}\
        mark{background:#ffe17a;color:inherit}.fel{border-left:4px solid #b00020;background:#fdecee;padding:.25rem 1rem;margin:1rem 0}\
        .anm{color:#4a4a4a}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1.5rem}dt{font-weight:600}dd{margin:0}\
        ol.traffar{padding-left:1.25rem}ol.traffar li{margin-bottom:1rem}ol.traffar p{margin:.2rem 0}\
        .avgransa{display:flex;flex-wrap:wrap;gap:0 2rem}.avgransa ul{padding-left:1.25rem;margin:.25rem 0}\
        nav.sidor{margin:1rem 0;display:flex;gap:1.5rem}\
        footer{border-top:1px solid #c8c8c8;margin-top:2rem;font-size:.9rem;color:#4a4a4a}
        """

    /// Nothing but this page's own style sheet, links and forms to this server; no framing.
    static let securityPolicy: String = {
        let digest = Data(SHA256.hash(data: Data(styleSheet.utf8))).base64EncodedString()
        return "default-src 'none'; style-src 'sha256-\(digest)'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    }()

    /// A whole page. `title` names it in the browser's tab (before the site's name; nil: the site's name alone).
    /// `openData`: where the same facts are served as JSON under `/public/v1` (the footer links it).
    static func response(status: HTTPResponse.Status = .ok, title: String?, body: HTML,
                         openData: String = PublicRoutes.diariumPath) -> Response {
        let page: HTML = """
            <!DOCTYPE html>
            <html lang="sv">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title.map { "\($0) – " } ?? "")Diariet</title>
            <style>\(HTML(stringLiteral: styleSheet))</style>
            </head>
            <body>
            <a class="hoppa" href="#innehall">Till innehållet</a>
            <header><nav aria-label="Diariet"><a href="\(PublicPages.diariumPath)">Diariet</a> <a href="\(PublicPages.searchPath)">Sök handlingar</a> \
            <a href="\(PublicPages.casesPath)">Ärenden</a></nav></header>
            <main id="innehall">
            \(body)
            </main>
            <footer>
            <p>Diariet förtecknar de allmänna handlingar som registrerats hos myndigheten (5 kap. offentlighets- och \
            sekretesslagen). Uppgifter som har en sekretessmarkering visas inte; i stället anges grunden och lagrummet.</p>
            <p>Samma uppgifter som öppna data: <a href="\(openData)">\(openData)</a> \
            (JSON, beskrivet i <a href="/openapi.json">/openapi.json</a>).</p>
            </footer>
            </body>
            </html>

            """
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page.markup)))
    }

    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy: securityPolicy,
        .xContentTypeOptions: "nosniff",
        // What the public may see changes when a restriction is added: ask again each time (as /public/v1 does).
        .cacheControl: "no-cache",
    ]

    /// An error as a page, with the status the API would answer (`Problem` maps every error, in one place). The
    /// problem's own text is English, so it is marked so beside the Swedish explanation.
    static func problem(_ problem: Problem) -> Response {
        let (heading, explanation): (String, String?) = switch problem.status.code {
        case 400: ("Frågan kunde inte besvaras", "Något i adressen är fel.")
        case 404: ("Finns inte", "Det finns inget på den här adressen.")
        case 410: ("Gallrad", "Handlingen har gallrats.")
        case 503: ("Tillfälligt ur funktion", "Diariet svarar inte just nu. Försök igen om en stund.")
        case 500...: ("Något gick fel", "Sidan kunde inte visas. Felet har loggats.")
        default: (problem.title, nil)
        }
        var response = Page.response(status: problem.status, title: heading, body: """
            <h1>\(heading)</h1>
            \(explanation.map { "<p>\($0)</p>" as HTML })
            <p lang="en" class="anm">\(problem.detail)</p>
            <p><a href="\(PublicPages.diariumPath)">Till diariet</a></p>
            """)
        for field in problem.headers { response.headers.append(field) }
        return response
    }

    // MARK: Addresses

    /// A document's page: `/diarium/handlingar/KS%202026%2F14-3`.
    static func documentHref(_ number: DocumentNumber) -> String {
        PublicPages.documentsPrefix + number.description.percentEncoded()
    }

    /// A case's page: `/diarium/arenden/KS%202026%2F14`.
    static func caseHref(_ number: CaseNumber) -> String {
        PublicPages.casesPrefix + number.description.percentEncoded()
    }

    /// A document's public entry as JSON.
    static func entryHref(_ number: DocumentNumber) -> String {
        "/public/v1/documents/" + number.description.percentEncoded()
    }

    /// A case's public description as JSON.
    static func caseDataHref(_ number: CaseNumber) -> String {
        "/public/v1/cases/" + number.description.percentEncoded()
    }

    /// The public download of a document's content.
    static func contentHref(_ number: DocumentNumber) -> String {
        entryHref(number) + "/content"
    }

    /// `path?a=1&b=x%20y`, leaving out the parameters without a value.
    static func href(_ path: String, _ parameters: KeyValuePairs<String, String?>) -> String {
        let query = parameters.compactMap { name, value in value.map { "\(name)=\($0.percentEncoded())" } }
        return query.isEmpty ? path : path + "?" + query.joined(separator: "&")
    }

    // MARK: Words

    /// "293 kB", "1,2 MB": decimal units, a decimal comma.
    static func size(_ bytes: Int64) -> String {
        func decimal(_ value: Double, _ unit: String) -> String {
            let rounded = value < 10 ? (value * 10).rounded() / 10 : value.rounded()
            let text = rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded).replacingOccurrences(of: ".", with: ",")
            return "\(text) \(unit)"
        }
        switch bytes {
        case ..<1000: return "\(bytes) byte"
        case ..<1_000_000: return decimal(Double(bytes) / 1e3, "kB")
        case ..<1_000_000_000: return decimal(Double(bytes) / 1e6, "MB")
        default: return decimal(Double(bytes) / 1e9, "GB")
        }
    }

    /// What a reader calls the file: "PDF", "Word" …; other types by their media type.
    static func formatName(_ mediaType: String) -> String {
        let base = mediaType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return switch base {
        case "application/pdf": "PDF"
        case "text/plain": "text"
        case "text/html": "webbsida (HTML)"
        case "application/xml", "text/xml": "XML"
        case "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/msword": "Word"
        case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-excel": "Excel"
        case "application/vnd.openxmlformats-officedocument.presentationml.presentation", "application/vnd.ms-powerpoint": "PowerPoint"
        case "application/vnd.oasis.opendocument.text": "OpenDocument-text"
        case "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument-kalkylblad"
        case "application/vnd.oasis.opendocument.presentation": "OpenDocument-presentation"
        case "image/jpeg": "JPEG-bild"
        case "image/png": "PNG-bild"
        case "image/tiff": "TIFF-bild"
        default: mediaType
        }
    }

    /// "sekretess enligt OSL 26 kap. 1 §".
    static func ground(_ kind: AccessRestriction.Kind, _ legalReference: String) -> String {
        "\(kind.swedishName) enligt \(legalReference)"
    }

    /// A final document is upprättad when the authority drew it up, inkommen when it came in (TF 2 kap. 9–10 §§).
    static func status(_ status: DocumentStatus, _ direction: Direction) -> String {
        status.swedishName(direction)
    }

    /// What a restriction hides, in the words of the pages ("rubrik", as the register's column says).
    static func partName(_ part: AccessRestriction.Part) -> String {
        part == .title ? "rubrik" : part.swedishName
    }
}
