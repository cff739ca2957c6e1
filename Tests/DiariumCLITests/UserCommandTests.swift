import DiariumTesting
import Foundation
import GRDB
import Testing

@Suite struct UserCommandTests {
    @Test func usersTokensAndSeriesDepartments() throws {
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.ok(["init"])
        try cli.ok(["series", "add", "BUN", "--name", "Barn- och utbildningsnämnden", "--department", "UTB"], user: "admin")
        #expect(try cli.ok(["series", "list"]).contains("BUN\tUTB\t"))
        try cli.ok(["user", "add", "anna", "--role", "clerk", "--department", "KS,UTB"], user: "admin")
        let token = try cli.ok(["token", "create", "anna", "--label", "laptop"], user: "admin").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("dia_") && token.count == 47)

        // Only the hash is stored, and listings never show the secret.
        let catalog = try DatabaseQueue(path: cli.store + "/catalog.sqlite")
        let stored = try catalog.read { db in try String.fetchAll(db, sql: "SELECT sha256 || prefix || coalesce(label, '') FROM tokens") }
        #expect(stored.count == 1 && !stored[0].contains(token))
        let listing = try cli.ok(["token", "list"])
        #expect(listing.contains("anna") && listing.contains("active") && !listing.contains(token))
        // Who issued it: a token issued by someone else has been in their hands.
        #expect(listing.contains("\tno use recorded\tissued by admin\tlaptop"), "\(listing)")
        // When a server last accepted it (a server writes that; here, by hand).
        try catalog.write { db in try db.execute(sql: "UPDATE tokens SET last_used_at = '2026-03-01T10:15:00.000Z'") }
        #expect(try cli.ok(["token", "list"]).contains("\tlast used 2026-03-01 11:15:00 +01:00"), "the time a server wrote, in Swedish time")
        let listed = try #require(try cli.json(["token", "list", "--json"]) as? [[String: Any]])
        #expect(listed.first?["lastUsedAt"] as? String == "2026-03-01T10:15:00.000Z")
        #expect(!(try cli.ok(["audit"])).contains(token))
        // The log's own object names work as filters: an account's events, its tokens' included.
        let annas = try #require(try cli.json(["audit", "user:anna"]) as? [[String: Any]])
        #expect(annas.compactMap { $0["action"] as? String } == ["user.add", "token.create"])
        // An object nobody wrote about lists nothing and says what objects look like.
        let typo = try cli.run(["audit", "user:anan"])
        #expect(typo.status == 0 && typo.stdout.isEmpty && typo.stderr.contains("user:NAME"))

        let users = try #require(try cli.json(["user", "list", "--json"]) as? [[String: Any]])
        #expect(users.first?["departments"] as? [String] == ["KS", "UTB"])
        // A page at a time, by name.
        #expect(try cli.ok(["user", "list", "--after", "ann"]).hasPrefix("anna\t") && cli.ok(["user", "list", "--after", "anna"]).isEmpty)
        let tooMany = try cli.run(["user", "list", "--limit", "1001"])
        #expect(tooMany.status == 2 && tooMany.stderr.contains("limit"), "\(tooMany.stderr)")
        let page = try cli.run(["user", "list", "--limit", "1"])
        #expect(page.status == 0 && page.stderr.contains("--after anna"), "a full page says how to ask for the next")
        #expect(try cli.run(["user", "list", "--after", ""]).status == 2)
        try cli.ok(["user", "update", "anna", "--disable"], user: "admin")
        #expect(try cli.ok(["user", "list"]).contains("disabled"))
        try cli.ok(["token", "revoke", "1"], user: "admin")
        #expect(try cli.ok(["token", "list"]).contains("revoked"))

        // Bad input: one line, exit 2 or 3 or 4, nothing changed.
        let bad = try cli.run(["user", "add", "bo", "--role", "superuser"])
        #expect(bad.status == 2 && bad.stderr.contains("role"))
        #expect(try cli.run(["user", "add", "anna", "--role", "clerk"]).status == 4)
        #expect(try cli.run(["token", "create", "nobody"]).status == 3)
        #expect(try cli.run(["token", "revoke", "1"]).status == 4)
        #expect(try cli.run(["user", "add", "x y", "--role", "clerk"]).status == 2)
        #expect(try cli.run(["series", "department", "BUN", "utb!"]).status == 2)
        #expect(try cli.ok(["verify"]).contains("OK"))
    }
}
