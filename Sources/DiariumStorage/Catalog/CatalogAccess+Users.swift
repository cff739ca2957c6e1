import DiariumCore
import Foundation
import GRDB

/// Users, departments and API tokens (migration v3-access).
extension CatalogAccess {
    public func insertUser(_ user: User) throws {
        try db.execute(sql: "INSERT INTO users(name, role, created_at) VALUES (?, ?, ?)",
                       arguments: [user.name, user.role.rawValue, Timestamp.format(user.createdAt)])
        try setDepartments(userID: db.lastInsertedRowID, user.departments)
    }

    public func updateUser(_ user: User) throws {
        guard let id = try userID(user.name) else { return }
        try db.execute(sql: "UPDATE users SET role = ?, disabled_at = ? WHERE id = ?",
                       arguments: [user.role.rawValue, user.disabledAt.map(Timestamp.format), id])
        try db.execute(sql: "DELETE FROM user_departments WHERE user_id = ?", arguments: [id])
        try setDepartments(userID: id, user.departments)
    }

    private func setDepartments(userID: Int64, _ departments: [Department]) throws {
        for department in departments {
            try db.execute(sql: "INSERT INTO user_departments(user_id, department) VALUES (?, ?)", arguments: [userID, department.rawValue])
        }
    }

    func userID(_ name: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE name = ?", arguments: [name])
    }

    public func user(_ name: String) throws -> User? {
        try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(user)
    }

    /// Users by name; `after`: only those whose names sort after it (the next page).
    public func users(after: String? = nil, limit: Int = .max) throws -> [User] {
        try Row.fetchAll(db, sql: "SELECT * FROM users WHERE name > ? ORDER BY name LIMIT ?", arguments: [after ?? "", limit]).map(user)
    }

    private func user(_ row: Row) throws -> User {
        let departments = try String.fetchAll(db, sql: "SELECT department FROM user_departments WHERE user_id = ? ORDER BY department",
                                              arguments: [try row.value("id") as Int64])
        return User(name: try row.value("name"), role: try Self.enumValue(row, "role"),
                    departments: try departments.map { text throws(DiariumError) in try Department(parsing: text) },
                    createdAt: try Self.date(row, "created_at"), disabledAt: try Self.optionalDate(row, "disabled_at"))
    }

    /// `by`: who issues it, for the answer (the catalog learns it from the `token.create` event written with it).
    public func insertToken(user: String, sha256: String, prefix: String, label: String?, at: Date, expiresAt: Date?,
                            by: String) throws -> TokenInfo {
        guard let userID = try userID(user) else { throw DiariumError.notFound("user", user) }
        try db.execute(sql: "INSERT INTO tokens(user_id, sha256, prefix, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [userID, sha256, prefix, label, Timestamp.format(at), expiresAt.map(Timestamp.format)])
        return TokenInfo(id: db.lastInsertedRowID, user: user, prefix: prefix, label: label, createdAt: at, revokedAt: nil, createdBy: by,
                         expiresAt: expiresAt)
    }

    /// Token rows with their user's name and who issued them (the `token.create` event's actor).
    private static let tokenSQL = """
        SELECT t.*, u.name AS user_name,
               (SELECT a.actor FROM audit_events a WHERE a.object = 'user:' || u.name AND a.action = 'token.create'
                  AND json_valid(a.details) AND json_extract(a.details, '$.token') = t.id) AS created_by
        FROM tokens t JOIN users u ON u.id = t.user_id
        """

    public func tokens(user: String?) throws -> [TokenInfo] {
        var sql = Self.tokenSQL
        var arguments: StatementArguments = []
        if let user { sql += " WHERE u.name = ?"; arguments += [user] }
        return try Row.fetchAll(db, sql: sql + " ORDER BY t.id", arguments: arguments).map(Self.token)
    }

    public func token(id: Int64) throws -> TokenInfo? {
        try Row.fetchOne(db, sql: Self.tokenSQL + " WHERE t.id = ?",
                         arguments: [id]).map(Self.token)
    }

    public func revokeToken(id: Int64, at: Date) throws {
        try db.execute(sql: "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [Timestamp.format(at), id])
    }

    /// Notes that the tokens with these SHA-256s were accepted at `at` (an earlier time never replaces a later one).
    /// Unknown digests change nothing.
    public func recordTokenUse(sha256: some Sequence<String>, at: Date) throws {
        let statement = try db.cachedStatement(sql: "UPDATE tokens SET last_used_at = ?1 WHERE sha256 = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)")
        let time = Timestamp.format(at)
        for digest in sha256 { try statement.execute(arguments: [time, digest]) }
    }

    /// The active user holding the token with this SHA-256 at `now`, with the token's end (nil: until revoked); nil
    /// for an unknown, revoked or expired token or a disabled user.
    public func activeUser(tokenSHA256: String, at now: Date) throws -> (user: User, tokenExpiresAt: Date?)? {
        try Row.fetchOne(db, sql: """
            SELECT u.*, t.expires_at AS token_expires_at FROM tokens t JOIN users u ON u.id = t.user_id
            WHERE t.sha256 = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)
            """, arguments: [tokenSHA256, Timestamp.format(now)]).map { row in (try user(row), try Self.optionalDate(row, "token_expires_at")) }
    }

    static func token(_ row: Row) throws -> TokenInfo {
        TokenInfo(id: try row.value("id"), user: try row.value("user_name"), prefix: try row.value("prefix"), label: try row.value("label"),
                  createdAt: try date(row, "created_at"), revokedAt: try optionalDate(row, "revoked_at"), createdBy: try row.value("created_by"),
                  expiresAt: try optionalDate(row, "expires_at"), lastUsedAt: try optionalDate(row, "last_used_at"))
    }
}
