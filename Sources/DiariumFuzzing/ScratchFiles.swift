import Foundation

/// Where the extraction targets write their input: a directory per process and target (the tests run targets in
/// parallel), removed by `remove`.
public enum ScratchFiles {
    static let directory = NSTemporaryDirectory() + "/diarium-fuzz-\(ProcessInfo.processInfo.processIdentifier)"

    static func write(_ bytes: [UInt8], target: String, fileName: String) -> String {
        let folder = directory + "/" + target
        let path = folder + "/" + fileName
        if !FileManager.default.createFile(atPath: path, contents: Data(bytes)) {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fatalError("cannot write \(path)") }
        }
        return path
    }

    /// One target's files, or all of them.
    public static func remove(target: String? = nil) {
        try? FileManager.default.removeItem(atPath: target.map { directory + "/" + $0 } ?? directory)
    }
}
