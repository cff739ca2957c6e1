#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DiariumXML
import Foundation

/// PDF text through poppler's `pdftotext`, in a subprocess: a hostile PDF can at worst crash or hang that process,
/// which is killed after a timeout.
enum PDFText {
    static let defaultTimeout: Duration = .seconds(30)
    /// Raw output read at most, in case the text never fills up (pages of whitespace).
    static let maxOutputBytes = 64 << 20
    /// Address space the tool may take (KiB, for `ulimit -v`): a hostile PDF must not take the server's memory for
    /// the 30 seconds before the timeout. Real documents need a fraction of it.
    static let memoryLimitKiB = 1 << 20

    /// The first executable `pdftotext` in /usr/bin, then in PATH.
    static func findTool() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = ["/usr/bin"] + path.split(separator: ":").map(String.init)
        return candidates.lazy.map { $0 + "/pdftotext" }.first(where: isExecutable)
    }

    static func isExecutable(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    static func extract(
        tool: String, path: String, timeout: Duration, into text: inout TextAccumulator
    ) throws(ExtractionStop) {
        let process = Process()
        // A name starting with "-" would read as an option.
        let arguments = ["-enc", "UTF-8", "-q", path.hasPrefix("-") ? "./" + path : path, "-"]
        if isExecutable("/bin/sh") {
            // Through the shell only to set the memory limit (Foundation cannot set a child's rlimits); the tool and its
            // arguments pass as positional parameters, never as shell text.
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -v \(memoryLimitKiB) 2>/dev/null; exec \"$0\" \"$@\"", tool] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
        }
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .failed("cannot run pdftotext: \(error.localizedDescription)")
        }

        let fd = output.fileHandleForReading.fileDescriptor
        let deadline = ContinuousClock.now + timeout
        var decoder = UTF8ChunkDecoder(repairs: true)
        var buffer = [UInt8](repeating: 0, count: 65536)
        var outputBytes = 0
        var timedOut = false
        var stoppedEarly = false
        var readError: Int32 = 0
        reading: while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero {
                timedOut = true
                break
            }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
            let ready = poll(&descriptor, 1, Int32(clamping: milliseconds + 1))
            if ready < 0 && errno != EINTR {
                readError = errno
                break
            }
            guard ready > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            switch n {
            case 0:
                break reading
            case ..<0:
                if errno == EINTR { continue }
                readError = errno
                break reading
            default:
                outputBytes += n
                text.append(decoder.decode(buffer[..<n]) ?? "")
                if text.isTruncated || outputBytes > maxOutputBytes {
                    stoppedEarly = true
                    break reading
                }
            }
        }
        if timedOut || stoppedEarly || readError != 0 {
            kill(process.processIdentifier, SIGKILL)
        } else {
            text.append(decoder.decode([], isLast: true) ?? "")
        }
        process.waitUntilExit()
        try? output.fileHandleForReading.close()

        if timedOut { throw .failed("pdftotext did not finish within \(timeout.components.seconds) seconds") }
        if readError != 0 { throw .failed("cannot read pdftotext output: \(String(cString: strerror(readError)))") }
        if stoppedEarly {
            text.markTruncated()
            return
        }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw .failed(
                process.terminationReason == .exit
                    ? "pdftotext could not read the PDF (exit status \(process.terminationStatus); damaged or encrypted?)"
                    : "pdftotext crashed (signal \(process.terminationStatus))")
        }
    }
}
