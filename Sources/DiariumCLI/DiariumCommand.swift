#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import DiariumCore

/// The root command. Async so that `serve` can run the server (argument-parser needs an async root for an async
/// subcommand); every other command stays a synchronous `ParsableCommand`.
public struct DiariumCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "diarium",
        abstract: "Diarium: records and document management for Swedish municipalities.",
        discussion: prose("""
            The store is --store PATH, else $DIARIUM_STORE, else ./Storage. Actions are logged as --as USER,
            else $DIARIUM_USER, else the OS user. --store may also come before the command (diarium --store /srv/ks show …),
            as may --as for a command that acts (a command that only reads takes none).

            Exit codes: 0 ok, 1 integrity problem (verify), 2 invalid input, 3 not found, 4 wrong state, already
            exists or changed meanwhile (--if-version), 5 not a store, 6 unreadable input file, 7 storage failure,
            8 interchange not delivered, 9 interchange rejected by the receiver, 64 usage error.

            Example:
              diarium init
              diarium series add KS --name Kommunstyrelsen
              diarium case open --series KS --title "Handlingsplan för klimat" --class 2.4
              diarium register plan.pdf --case "KS 2026/1" --type actionPlan --title "Handlingsplan 2026"
              diarium finalise "KS 2026/1-1"
              diarium verify

            diarium --version prints the version.
            """),
        subcommands: [
            InitCommand.self, SeriesCommand.self, CaseCommand.self, RegisterCommand.self, VersionCommand.self,
            UpdateCommand.self, FinaliseCommand.self, ArchiveCommand.self, ShowCommand.self, HistoryCommand.self,
            GetCommand.self, SearchCommand.self, IndexCommand.self, VerifyCommand.self, AuditCommand.self,
            ExportCommand.self, ImportCommand.self, ClassCommand.self, RetentionCommand.self, DisposeCommand.self, DisposalsCommand.self,
            HoldCommand.self,
            PublicCommand.self, FormatsCommand.self, RestrictionsCommand.self, BackupCommand.self, BackupsCommand.self, RestoreCommand.self, UserCommand.self, TokenCommand.self, ServeCommand.self,
            PartyCommand.self, ExchangeCommand.self, OrganisationCommand.self,
        ])

    public init() {}

    /// Printed by `diarium --version`. Not ArgumentParser's `version:`, which would add a `--version` flag to every
    /// command's help beside `show`'s and `get`'s own `--version N` (which version of a document).
    static let version = "0.1.0"

    /// `diarium --store PATH show …`, as git and most tools take it: ArgumentParser knows options only after the
    /// (sub)command that declares them, so `--store` and `--as` given before the command are moved after it (before a
    /// `--`, where everything is an argument). A command that takes no such option then says so.
    static func moveLeadingOptions(_ arguments: inout [String]) {
        let movable: Set<String> = ["--store", "--as"]
        var moved: [String] = []
        while let first = arguments.first {
            if movable.contains(first), arguments.count >= 2 {
                moved += arguments.prefix(2)
                arguments.removeFirst(2)
            } else if let name = first.split(separator: "=", maxSplits: 1).first, first.contains("="), movable.contains(String(name)) {
                moved.append(first)
                arguments.removeFirst()
            } else {
                break
            }
        }
        guard !moved.isEmpty else { return }
        guard !arguments.isEmpty else {
            arguments = moved   // nothing after them: ArgumentParser's own message
            return
        }
        arguments.insert(contentsOf: moved, at: arguments.firstIndex(of: "--") ?? arguments.endIndex)
    }

    /// The process entry point: process-wide setup, then the command, then errors mapped to exit codes.
    @MainActor
    public static func runMain() async -> Never {
        // Swift starts in the C locale; libarchive (used by exports) crashes on non-ASCII names there.
        setlocale(LC_CTYPE, "C.UTF-8")
        // A batch of registrations keeps one descriptor per file open until its group sync.
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
        // Swift turns bytes that are not UTF-8 into U+FFFD: a title would be stored changed, and a file named in
        // Latin-1 (an old share, an unzipped archive) could not be found under the name it was given.
        for index in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[index], String(validatingCString: raw) == nil else { continue }
            Output.error("argument \(index) (\(CommandLine.arguments[index])) is not UTF-8: give names and text in UTF-8 "
                         + "(a file named in Latin-1 can be renamed, e.g. with `convmv -f latin1 -t utf8 --notest FILE`)")
            Glibc.exit(ExitCodes.code(for: .invalid("argument", "")))
        }
        var command: any ParsableCommand
        do {
            var arguments = Array(CommandLine.arguments.dropFirst())
            if arguments == ["--version"] {
                print(version)
                Glibc.exit(0)
            }
            moveLeadingOptions(&arguments)
            let leadingFiles = RegisterCommand.takeLeadingFiles(&arguments)
            SearchCommand.keepNegatedWords(&arguments)
            command = try parseAsRoot(arguments)
            if var register = command as? RegisterCommand {
                register.files = leadingFiles + register.files
                command = register
            }
        } catch {
            self.exit(withError: error)   // usage, help, version
        }
        do {
            // Only `serve` is async (it runs the server until SIGTERM or SIGINT); the rest run here, on the main thread.
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Glibc.exit(0)
        } catch let error as DiariumError {
            Output.error(error.message)
            Glibc.exit(ExitCodes.code(for: error))
        } catch let error as VerifyFailed {
            Glibc.exit(error.code)
        } catch let error where error is ExitCode || exitCode(for: error) != .failure {
            // ArgumentParser's own: help (its help command throws from run), a ValidationError, a clean exit.
            self.exit(withError: error)
        } catch {
            // Not a domain error: the system or a library refused (a file, a socket). A storage failure, not the
            // integrity problem that ArgumentParser's exit code 1 would say.
            Output.error(error.localizedDescription)
            Glibc.exit(ExitCodes.storageFailure)
        }
    }
}

/// Thrown by `verify` after printing its report, to exit non-zero without another message.
struct VerifyFailed: Error {
    let code: Int32
}
