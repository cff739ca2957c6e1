/// Which part of the server a path belongs to, read as the router reads it (empty segments, `//api/…`, passed over):
/// the token-protected API, the public diarium's JSON, its pages, or the service routes.
enum RouteArea {
    case api, publicJSON, pages, other

    init(path: String) {
        switch path.split(separator: "/").first {
        case "api": self = .api
        case "public": self = .publicJSON
        case "diarium": self = .pages
        default: self = .other
        }
    }
}
