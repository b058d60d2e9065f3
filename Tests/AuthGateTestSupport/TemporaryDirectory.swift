import Glibc

/// A fresh directory under /tmp, removed with everything in it by `remove()`.
package struct TemporaryDirectory {
    package let path: String

    package init() throws {
        var template = Array("/tmp/authgate-test-XXXXXX".utf8CString)
        guard
            let made = template.withUnsafeMutableBufferPointer({ buffer in buffer.baseAddress.flatMap { mkdtemp($0) } })
        else {
            throw TemporaryDirectoryError(errno: errno)
        }
        path = String(cString: made)
    }

    /// Removes the files directly inside (SQLite's db, -wal, -shm) and the directory.
    package func remove() {
        guard let dir = opendir(path) else { return }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                raw.bindMemory(to: CChar.self).baseAddress.map { String(cString: $0) } ?? ""
            }
            if name != ".", name != ".." { unlink(path + "/" + name) }
        }
        closedir(dir)
        rmdir(path)
    }
}

package struct TemporaryDirectoryError: Error { let errno: Int32 }
