import Foundation

/// The OpenAPI 3.1 description of every route this server answers, served at `/openapi.json`.
enum OpenAPIDocument {
    static let json: [UInt8] = Array(#"{"openapi":"3.1.0","info":{"title":"Diarium","version":"1"},"paths":{}}"#.utf8)
}
