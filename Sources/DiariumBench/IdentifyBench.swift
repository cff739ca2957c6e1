#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumExtraction
import DiariumStorage
import Foundation

/// What telling each content file's PRONOM format adds to an export, which reads every file once to copy it: reading
/// `pdfs` PDF/A files of `mib` MiB (the worst case: the whole file is searched for its XMP, which here lies at the
/// end) and ten times as many 4 KiB text files through a `FormatSniffer`, as the export does, beside reading the same
/// bytes alone and their SHA-256. Medians of `runs`, files in the page cache.
func identifyBench(pdfs: Int, mib: Int, runs: Int) throws {
    let dir = FileManager.default.temporaryDirectory.path + "/diarium-identify-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func random(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
    let xmp = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><rdf:Description xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" "
        + "pdfaid:part=\"2\" pdfaid:conformance=\"B\"/></rdf:RDF></x:xmpmeta>"
    let body = random(mib << 20)
    var files: [(path: String, name: String, type: String)] = []
    for i in 0..<pdfs {
        let path = "\(dir)/a-\(i).pdf"
        // A distinct first line per file so no two are the same bytes; the body is shared (the page cache holds it once
        // per file anyway).
        let bytes = Array("%PDF-1.7\n%\(i)\n".utf8) + body + Array("\n1 0 obj\n<< /Type /Metadata >>\nstream\n\(xmp)\nendstream\nendobj\n%%EOF\n".utf8)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        files.append((path, "a-\(i).pdf", "application/pdf"))
    }
    let text = Array(String(repeating: "Beslutet får överklagas hos förvaltningsrätten. ", count: 84).utf8.prefix(4096))
    for i in 0..<(pdfs * 10) {
        let path = "\(dir)/t-\(i).txt"
        _ = FileManager.default.createFile(atPath: path, contents: Data(Array("\(i) ".utf8) + text))
        files.append((path, "t-\(i).txt", "text/plain; charset=utf-8"))
    }
    let bytes = files.reduce(Int64(0)) { total, file in
        var st = stat()
        stat(file.path, &st)
        return total + Int64(st.st_size)
    }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
    defer { buffer.deallocate() }
    let read = median(runs: runs) {
        for file in files {
            let fd = open(file.path, O_RDONLY)
            while Glibc.read(fd, buffer.baseAddress, buffer.count) > 0 {}
            close(fd)
        }
    }
    let sha = try median(runs: runs) { for file in files { _ = try FileDigest.sha256(of: file.path) } }
    var found: [String: Int] = [:]
    let identify = median(runs: runs) {
        found = [:]
        for file in files {
            var sniffer = FormatSniffer()
            let fd = open(file.path, O_RDONLY)
            while true {
                let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if n <= 0 { break }
                sniffer.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
            close(fd)
            found[sniffer.finish(path: file.path, originalName: file.name, mediaType: file.type)?.puid ?? "none", default: 0] += 1
        }
    }
    guard found == ["fmt/477": pdfs, "x-fmt/111": pdfs * 10] else { fail("unexpected identification: \(found)") }
    let mb = Double(bytes) / 1_048_576
    print(String(format: "%d PDF/A of %d MiB and %d text files of 4 KiB, %.1f MiB, %d runs (medians), page cache", pdfs, mib, pdfs * 10, mb, runs))
    print(String(format: "  read the bytes             %8.1f ms  %7.1f MiB/s", read * 1000, mb / read))
    print(String(format: "  SHA-256 of the bytes       %8.1f ms  %7.1f MiB/s", sha * 1000, mb / sha))
    print(String(format: "  read through the sniffer   %8.1f ms  %7.1f MiB/s  %.2f× read, %.2f× SHA-256",
                 identify * 1000, mb / identify, identify / read, identify / sha))
}
