import Foundation

/// Runs the built `diarium` binary the way a user or script would, capturing stdout, stderr and exit status.
public struct CLIRunner: Sendable {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        public var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    public let binary: String
    public let store: String
    public let scratch: TempDirectory

    /// The binary sits next to the test bundle in SwiftPM's build directory; `DIARIUM_BINARY` overrides.
    public static func locateBinary() -> String {
        if let path = ProcessInfo.processInfo.environment["DIARIUM_BINARY"] { return path }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // On Linux the tests run from `debug/diariumPackageTests.xctest`; step out of a bundle directory if any.
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("diarium").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/diarium"
    }

    public init(store: String? = nil) throws {
        binary = Self.locateBinary()
        scratch = try TempDirectory("diarium-cli")
        self.store = store ?? scratch.file("store")
    }

    /// Starts the binary with `DIARIUM_STORE` and `DIARIUM_USER` set; stdout is a pipe the caller reads.
    public func start(_ arguments: [String], user: String = "anna", stdout: Pipe, stderr: FileHandle? = nil) throws -> Process {
        let process = makeProcess(arguments, user: user, stdout: stdout, stderr: stderr ?? FileHandle.nullDevice)
        try Spawning.serially { try process.run() }
        return process
    }

    /// `launcher` runs the binary through another program, e.g. `setpriv` to run it as another account.
    private func makeProcess(_ arguments: [String], user: String, launcher: [String] = [], stdout: Any, stderr: Any) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher.first ?? binary)
        process.arguments = launcher.isEmpty ? arguments : launcher.dropFirst() + [binary] + arguments
        var env = ProcessInfo.processInfo.environment
        env["DIARIUM_STORE"] = store
        env["DIARIUM_USER"] = user
        process.environment = env
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        return process
    }

    @discardableResult
    public func run(_ arguments: [String], user: String = "anna", launcher: [String] = [], input: String? = nil) throws -> Result {
        let id = UUID().uuidString
        let outPath = scratch.file("out-\(id)"), errPath = scratch.file("err-\(id)")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outPath); try? FileManager.default.removeItem(atPath: errPath) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = makeProcess(arguments, user: user, launcher: launcher, stdout: out, stderr: err)
        if let input {
            let inPath = scratch.file("in-\(id)")
            _ = FileManager.default.createFile(atPath: inPath, contents: Data(input.utf8))
            process.standardInput = FileHandle(forReadingAtPath: inPath)
        }
        try Spawning.serially { try process.run() }
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Runs and requires exit 0, returning stdout.
    @discardableResult
    public func ok(_ arguments: [String], user: String = "anna") throws -> String {
        let result = try run(arguments, user: user)
        guard result.status == 0 else {
            throw CLIFailure(arguments: arguments, result: result)
        }
        return result.stdout
    }

    public func json(_ arguments: [String]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(ok(arguments + ["--json"]).utf8))
    }

    public func remove() { scratch.remove() }
}

public struct CLIFailure: Error, CustomStringConvertible {
    public let arguments: [String]
    public let result: CLIRunner.Result
    public var description: String { "diarium \(arguments) exited \(result.status): \(result.stderr)" }
}
