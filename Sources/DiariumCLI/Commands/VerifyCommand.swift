import ArgumentParser
import DiariumCore
import DiariumServices

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove that nothing in the store was altered or lost.",
        discussion: """
            Re-hashes every stored file, checks every version's content exists, walks the audit hash chain,
            cross-checks the log against the versions it records, and runs SQLite's integrity checks.
            Exits 0 when all is well, 1 naming each problem otherwise. Files no catalog row names (left by an
            interrupted registration) are reported as notes, not problems.

            Example: diarium verify --json
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let progress = Output.Progress()
        let report = try store.open().verify { phase, done, total in progress.update("checking \(phase)", done, total) }
        progress.finish()
        if output.json {
            try Output.json(report)
        } else {
            for problem in report.problems { Output.line("PROBLEM \(problem.code): \(problem.message)") }
            if !report.orphanBlobs.isEmpty {
                Output.line("note: \(report.orphanBlobs.count) stored file(s) not referenced by any version (left by an interrupted registration)")
            }
            Output.line("checked \(report.blobsChecked) files (\(report.bytesChecked) bytes) and \(report.auditEventsChecked) audit events")
            if let head = report.auditHead { Output.line("audit head \(head)") }
            Output.line(report.ok ? "OK" : "FAILED: \(report.problems.count) problem(s)")
        }
        if !report.ok { throw VerifyFailed(code: ExitCodes.verifyFailed) }
    }
}
