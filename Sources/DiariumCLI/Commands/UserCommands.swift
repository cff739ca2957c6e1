import ArgumentParser
import Foundation
import DiariumCore
import DiariumServices

/// `diarium user …`: the accounts the HTTP API knows. The CLI itself acts with the store owner's rights.
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage the users of the HTTP API and their roles.",
        subcommands: [Add.self, Update.self, List.self])

    /// Each code checked, empty ones too: `--department ""` made a clerk of no department (and `user update` took
    /// every department away), where `--no-departments` is the way to say so.
    static func departments(_ values: [String]) throws -> [Department] {
        try values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { try Department(parsing: String($0)) }
    }

    /// A department no series is kept by gives a clerk nothing (a typo, or a series not added yet): said, not refused,
    /// since accounts may be set up before their series.
    static func noteUnkept(_ departments: [Department], of user: String, _ service: RecordsService) throws {
        let kept = Set(try service.listSeries().map(\.department))
        let unkept = departments.filter { !kept.contains($0) }
        guard !unkept.isEmpty else { return }
        Output.note("note: no series is kept by \(unkept.map(\.rawValue).joined(separator: ", ")) (departments that keep one: "
                    + "\(kept.isEmpty ? "none yet" : kept.map(\.rawValue).sorted().joined(separator: ", "))): \(user) has no rights "
                    + "there until one is (`diarium series add CODE --name … --department …`)")
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user.",
            discussion: prose("""
                Roles: clerk (registers and edits in the series of their departments, reads their restricted documents),
                archivist (reads everything, verifies, exports), admin (manages users and series).
                Example: diarium user add anna --role clerk --department KS --department BUN
                """))

        @Argument(help: "The user name (letters, digits, . _ - @), as the audit log will name them.") var name: String
        @Option(help: "clerk, archivist or admin.") var role: String
        @Option(name: .customLong("department"), help: ArgumentHelp("A department the user works in (repeat, or comma-separate).", valueName: "code"))
        var departments: [String] = []
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let role: Role = try parseChoice(role, field: "role")
            let service = try store.open()
            let departments = try UserCommand.departments(departments)
            let user = try service.addUser(name: name, role: role, departments: departments, actor: actor.name)
            try? UserCommand.noteUnkept(departments, of: user.name, service)   // the change is made: a note, never its failure
            if output.json { try Output.json(user) } else { Output.line(user.name) }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a user's role or departments, or disable or enable the account.",
            discussion: prose("Example: diarium user update anna --department KS --department SBN\n         diarium user update bo --disable"))

        @Argument(help: "The user name.") var name: String
        @Option(help: "clerk, archivist or admin.") var role: String?
        @Option(name: .customLong("department"), help: ArgumentHelp("The user's departments (replaces the list).", valueName: "code"))
        var departments: [String] = []
        @Flag(help: "Remove every department.") var noDepartments = false
        @Flag(help: "Disable the account: its tokens stop working (a running server notices within 2 s; enabling it again revives the tokens not revoked).") var disable = false
        @Flag(help: "Enable a disabled account.") var enable = false
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            if disable && enable { throw DiariumError.invalid("disable", "give --disable or --enable, not both") }
            if noDepartments && !departments.isEmpty { throw DiariumError.invalid("department", "give --department or --no-departments, not both") }
            let role: Role? = try role.map { try parseChoice($0, field: "role") }
            let departments: [Department]? = noDepartments ? [] : departments.isEmpty ? nil : try UserCommand.departments(departments)
            let service = try store.open()
            let user = try service.updateUser(name: name, role: role, departments: departments,
                                              enabled: disable ? false : enable ? true : nil, actor: actor.name)
            try? UserCommand.noteUnkept(departments ?? [], of: user.name, service)
            if output.json { try Output.json(user) } else { Output.line(user.name) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users by name.",
                                                        discussion: prose("Example: diarium user list --json\n         diarium user list --after maria --limit 100"))

        @Option(help: "After this name (the last of the previous page).") var after: String?
        @Option(help: "At most this many (1–1000).") var limit = 1000
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            if after?.isEmpty == true { throw DiariumError.invalid("after", "--after needs a user name: leave it out or give one") }
            let users = try store.open().listUsers(after: after, limit: limit)
            if output.json { return try Output.json(users) }
            defer { if users.count == limit, let last = users.last { Output.note("a full page: the next with --after \(last.name)") } }
            if users.isEmpty { Output.note(after.map { "no users after \($0)" } ?? "no users yet (an admin adds one with `diarium user add`)") }
            for user in users {
                let departments = user.departments.map(\.rawValue).joined(separator: ",")
                Output.line("\(user.name)\t\(user.role.rawValue)\t\(departments.isEmpty ? "-" : departments)\(user.disabledAt == nil ? "" : "\tdisabled")")
            }
        }
    }
}

/// `diarium token …`: bearer tokens for the HTTP API. A token is printed once, at creation; only its hash is kept.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke API tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token for a user and print it (once: it cannot be shown again).",
            discussion: prose("Example: diarium token create anna --label \"laptop\"\n         curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8080/api/v1/me"))

        @Argument(help: "The user name.") var user: String
        @Option(help: "A note to tell tokens apart.") var label: String?
        @Option(name: .customLong("valid-days"), help: "Accepted for this many days (1–3650); without it, until revoked.") var validDays: Int?
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let created = try store.open().createToken(user: user, label: label, validDays: validDays, actor: actor.name)
            if output.json { return try Output.json(created) }
            Output.line(created.token)
            Output.note("token \(created.info.id) for \(created.info.user): store it now, it is not shown again"
                        + (created.info.expiresAt.map { "; valid until \(Output.time($0))" } ?? ""))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (ids and prefixes, never the secrets).")

        @Option(help: "Only this user's tokens.") var user: String?
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let tokens = try store.open().listTokens(user: user)
            if output.json { return try Output.json(tokens) }
            if tokens.isEmpty { Output.note("no tokens" + (user.map { " of \($0)" } ?? "") + " (create one with `diarium token create NAME`)") }
            for token in tokens {
                let now = Date()
                let state = token.revokedAt.map { "revoked \(Output.time($0))" }
                    ?? token.expiresAt.map { $0 > now ? "active until \(Output.time($0))" : "expired \(Output.time($0))" } ?? "active"
                // Who issued it: a token issued by someone other than its user has been in their hands.
                // When a server last accepted it: a token unused for months is one to revoke.
                let used = token.lastUsedAt.map { "last used \(Output.time($0))" } ?? "no use recorded"
                Output.line("\(token.id)\t\(token.user)\t\(token.prefix)…\t\(state)\t\(used)\tissued by \(token.createdBy ?? "?")\t\(token.label ?? "")")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: it stops working (a running server notices within 2 s).",
                                                        discussion: prose("Example: diarium token revoke 3"))

        @Argument(help: "The token id (see `diarium token list`).") var id: Int64
        @OptionGroup var store: StoreOptions
        @OptionGroup var actor: ActorOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let token = try store.open().revokeToken(id: id, actor: actor.name)
            if output.json { try Output.json(token) } else { Output.line("revoked \(token.id)") }
        }
    }
}
