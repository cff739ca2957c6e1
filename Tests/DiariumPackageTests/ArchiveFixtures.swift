import DiariumTesting
import Foundation
import Testing

/// Writes an archive with Python's zipfile/tarfile, which (unlike the zip and tar tools) will store any name and any
/// entry type. `entries` lines: `file NAME SIZE_OR_TEXT`, `symlink NAME TARGET`, `hardlink NAME TARGET`, `fifo NAME`,
/// `zeros NAME BYTES` (highly compressible). Format: "zip", "tar" or "tar.gz".
func pythonArchive(_ path: String, format: String, entries: [[String]]) throws {
    let script = #"""
    import io, json, sys, tarfile, time, zipfile
    path, fmt, entries = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    if fmt == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for kind, name, *rest in entries:
                info = zipfile.ZipInfo(name, date_time=(2026, 3, 1, 9, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3
                if kind == "symlink":
                    info.external_attr = (0o120777 << 16)
                    z.writestr(info, rest[0])
                elif kind == "zeros":
                    info.external_attr = (0o100644 << 16)
                    z.writestr(info, b"\0" * int(rest[0]))
                else:
                    info.external_attr = (0o100644 << 16)
                    z.writestr(info, rest[0].encode())
    else:
        with tarfile.open(path, "w:gz" if fmt == "tar.gz" else "w", format=tarfile.PAX_FORMAT) as t:
            for kind, name, *rest in entries:
                info = tarfile.TarInfo(name)
                info.mtime = 1772355600
                data = None
                if kind == "symlink":
                    info.type, info.linkname = tarfile.SYMTYPE, rest[0]
                elif kind == "hardlink":
                    info.type, info.linkname = tarfile.LNKTYPE, rest[0]
                elif kind == "fifo":
                    info.type = tarfile.FIFOTYPE
                elif kind == "zeros":
                    data = b"\0" * int(rest[0])
                else:
                    data = rest[0].encode()
                if data is not None:
                    info.size = len(data)
                t.addfile(info, io.BytesIO(data) if data is not None else None)
    """#
    let json = String(decoding: try JSONSerialization.data(withJSONObject: entries), as: UTF8.self)
    try runTool("/usr/bin/env", ["python3", "-c", script, path, format, json])
}

/// Rewrites the uncompressed size of every entry in a zip (local headers and central directory) to `size`:
/// the lie a zip bomb tells.
func lieAboutZipSizes(_ path: String, size: Int) throws {
    let script = #"""
    import struct, sys
    path, size = sys.argv[1], int(sys.argv[2])
    data = bytearray(open(path, "rb").read())
    i = 0
    while True:
        i = data.find(b"PK\x03\x04", i)
        if i < 0: break
        struct.pack_into("<I", data, i + 22, size); i += 4
    i = 0
    while True:
        i = data.find(b"PK\x01\x02", i)
        if i < 0: break
        struct.pack_into("<I", data, i + 24, size); i += 4
    open(path, "wb").write(bytes(data))
    """#
    try runTool("/usr/bin/env", ["python3", "-c", script, path, String(size)])
}
