import DiariumCore
import Foundation

/// A fresh directory under the system temp dir, removed by `remove()`.
public struct TempDirectory: Sendable {
    public let path: String

    public init(_ label: String = "diarium-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes `contents` to `name` inside the directory and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        try write(name, Data(contents.utf8))
    }

    @discardableResult
    public func write(_ name: String, _ data: Data) throws -> String {
        let path = file(name)
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A clock tests can set and advance.
public final class FixedClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ iso: String = "2026-03-01T09:00:00.000Z") {
        current = Timestamp.parse(iso)!
    }

    public func now() -> Date {
        lock.lock(); defer { lock.unlock() }
        current = current.addingTimeInterval(0.001)
        return current
    }

    public func set(_ iso: String) {
        lock.lock(); defer { lock.unlock() }
        current = Timestamp.parse(iso)!
    }
}

/// Deterministic pseudo-random bytes, so content differs per document without a random source.
public func testBytes(count: Int, seed: UInt64) -> Data {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    var bytes = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
    }
    return Data(bytes)
}

/// SHA-256 of a file as an independent tool (coreutils) computes it.
public func sha256Hex(ofFile path: String) throws -> String {
    String(try runTool("/usr/bin/sha256sum", [path]).prefix(64))
}

/// Starts processes one at a time. Foundation's `Process.run` keeps descriptors out of a child by a list it takes
/// before spawning, so a pipe or socket another thread opens meanwhile can slip into that child: a long-lived child
/// (a server, a test inbox) then holds another test's pipe open, and that test waits for an end of file, or for an
/// exit it never hears of, until the long-lived one ends. Test helpers open their pipes and start under this lock.
public enum Spawning {
    private static let lock = NSLock()

    public static func serially<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// Runs a tool; returns its exit status and what it printed (stdout and stderr together).
public func runCapturing(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = try Spawning.serially {
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return output
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs a tool and throws unless it exits 0; returns what it printed (stdout and stderr together).
@discardableResult
public func runTool(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> String {
    let (status, text) = try runCapturing(executable, arguments, in: directory)
    guard status == 0 else {
        throw ToolFailed(description: "\(executable) \(arguments.joined(separator: " ")) exited \(status): \(text)")
    }
    return text
}

public struct ToolFailed: Error, CustomStringConvertible {
    public let description: String
}

/// Writes `count` random bytes to `path` (content that neither compresses nor deduplicates).
public func writeRandomFile(_ path: String, count: Int) throws {
    guard let random = FileHandle(forReadingAtPath: "/dev/urandom"),
          FileManager.default.createFile(atPath: path, contents: random.readData(ofLength: count)) else {
        throw CocoaError(.fileWriteUnknown)
    }
}

/// Waits (up to about 8 s) until process `pid` has a file open whose path satisfies `matches` (its /proc/PID/fd
/// links; an unnamed O_TMPFILE shows as `DIR/#inode (deleted)`), for tests that must act while it writes.
/// False if it never did, or exited first.
public func waitForOpenFile(of pid: Int32, where matches: (String) -> Bool) -> Bool {
    for _ in 0..<4000 {
        guard kill(pid, 0) == 0 else { return false }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        if fds.contains(where: { matches((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) ?? "") }) {
            return true
        }
        usleep(2_000)
    }
    return false
}

/// Appends a zip entry whose name is in CP437 without the UTF-8 flag, as old zip tools wrote it: `name` with every
/// "ö" as the byte 0x94 (not UTF-8).
public func appendLegacyNamedZipEntry(_ path: String, name: String, content: String) throws {
    let script = #"""
    import sys, zipfile
    path, name, content = sys.argv[1:4]
    placeholder = name.replace("ö", "\x01")
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(placeholder, content)
    data = open(path, "rb").read().replace(placeholder.encode("ascii"), name.encode("cp437"))
    open(path, "wb").write(data)
    """#
    try runTool("/usr/bin/env", ["python3", "-c", script, path, name, content])
}
