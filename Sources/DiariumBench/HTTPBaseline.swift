import Foundation
import GRDB
import Hummingbird

/// The reference the HTTP benchmark compares `GET /api/v1/documents/{number}` with: the plainest Hummingbird route
/// that looks a document up in the same SQLite catalog (GRDB pool, async read) and answers JSON. No auth, no
/// access checks, no audit: the cost of HTTP + one SQLite lookup + JSON, nothing else.
///
/// The statement is cached, as any server's would be: prepared afresh per request, GRDB's statement authorizer and
/// SQLite's parser took half the route's time (7,190 against 14,480 req/s on a 20,000-document store), which made
/// this reference half as fast as it should be and flattered the ratio measured against it.
struct BaselineDocument: ResponseEncodable, Sendable {
    let id: Int64
    let number: String
    let title: String
    let recordType: String
    let status: String
    let registeredAt: String
}

func httpBaseline(store: String, port: Int) async throws {
    var configuration = Configuration()
    configuration.readonly = true
    let pool = try DatabasePool(path: store + "/catalog.sqlite", configuration: configuration)
    let router = Router()
    router.get("/doc/{id}") { _, context -> BaselineDocument in
        guard let id = Int64(try context.parameters.require("id")) else { throw HTTPError(.badRequest) }
        // The async read (GRDB's reader queue), so the event loop never blocks; the row is decoded inside it.
        let found: BaselineDocument? = try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT d.id, c.series || ' ' || c.year || '/' || c.serial || '-' || d.ordinal AS number, v.title, v.record_type,
                       v.status, d.registered_at
                FROM documents d JOIN cases c ON c.id = d.case_id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
                WHERE d.id = ?
                """), arguments: [id]).map { row in
                BaselineDocument(id: row[0], number: row[1], title: row[2], recordType: row[3], status: row[4], registeredAt: row[5])
            }
        }
        guard let found else { throw HTTPError(.notFound) }
        return found
    }
    router.get("/health") { _, _ in "ok" }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
    try await app.runService()
}
