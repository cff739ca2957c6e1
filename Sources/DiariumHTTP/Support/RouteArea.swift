/// Which part of the server a path belongs to, read as the router reads it (empty segments, `//api/…`, passed over):
/// the token-protected API, the public diarium's JSON, or the pages and the service routes.
enum RouteArea {
    case api, publicJSON, other

    init(path: String) {
        switch path.split(separator: "/").first {
        case "api": self = .api
        case "public": self = .publicJSON
        default: self = .other
        }
    }
}
